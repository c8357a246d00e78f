#include "core/local_context.h"

namespace tf {

LocalContext::LocalContext()
    : sync_(torch::kCPU, NormGroups{[](torch::Tensor&) {}, [](torch::Tensor&) {}}) {}

std::string LocalContext::describe() const {
  return "world 1 = dp 1 x pp 1 x tp 1 (single process)";
}

}  // namespace tf
