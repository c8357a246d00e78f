#include "core/pipeline_links.h"

#include "core/error.h"

namespace tf {

void PipelineLinks::exchange_with_pp_rank(int64_t pp_rank, const torch::Tensor&,
                                          const torch::Tensor&) {
  throw Error(context_name() + ": exchange_with_pp_rank(" + std::to_string(pp_rank) +
              ") is not implemented: it has no other pipeline rank");
}

}  // namespace tf
