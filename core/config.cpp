#include "core/config.h"

#include <algorithm>
#include <numeric>

#include "core/error.h"
#include "core/log.h"

namespace tf {

int64_t ModelConfig::padded_vocab() const {
  constexpr int64_t multiple = 128;
  return (vocab_size + multiple - 1) / multiple * multiple;
}

std::string growth_norm_conflict(GrowthPolicy growth, PattentionNorm norm) {
  if (growth != GrowthPolicy::kPreserve || norm != PattentionNorm::kSoftmax) return "";
  return std::string("keeps the function only for ") + choice_name(PattentionNorm::kL2NormGelu) +
         " and " + choice_name(PattentionNorm::kGeluL2Norm) + "; with model.norm " +
         choice_name(norm) + ", zero-key tokens still take probability mass";
}

void check_layer_split(const ModelConfig& model, const ParallelConfig& parallel,
                       const std::string& source) {
  const int64_t ranks = parallel.pp;
  if (ranks > model.num_layers) {
    throw Error(source + ": 'parallel.pp' (" + std::to_string(ranks) + ") must not exceed " +
                "model.num_layers (" + std::to_string(model.num_layers) +
                "): every pipeline rank holds at least one layer");
  }
  const std::vector<int64_t>& by_hand = parallel.pp_layers;
  if (by_hand.empty()) return;
  const int64_t sum = std::accumulate(by_hand.begin(), by_hand.end(), int64_t{0});
  const bool positive =
      std::all_of(by_hand.begin(), by_hand.end(), [](int64_t n) { return n > 0; });
  if (static_cast<int64_t>(by_hand.size()) != ranks || sum != model.num_layers || !positive) {
    throw Error(source + ": 'parallel.pp_layers' lists " +
                count_of(by_hand.size(), "pipeline rank") + " holding " + std::to_string(sum) +
                " layers; it needs parallel.pp (" + std::to_string(ranks) +
                ") positive counts that add up to model.num_layers (" +
                std::to_string(model.num_layers) + ")");
  }
}

std::string layout_text(const ParallelConfig& p) {
  return "tp " + std::to_string(p.tp) + " x pp " + std::to_string(p.pp) +
         (p.dp > 0 ? " x dp " + std::to_string(p.dp) : "") + (p.zero1 ? ", ZeRO-1" : "");
}

}  // namespace tf
