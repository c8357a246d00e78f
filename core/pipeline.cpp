#include "core/pipeline.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "core/error.h"
#include "core/sizes.h"

namespace tf {
namespace {

// Forward FLOPs per token of `m` with `layers` layers (core/sizes.h: the one formula).
double forward_flops(ModelConfig m, int64_t layers) {
  m.num_layers = layers;
  return forward_flops_per_token(m);
}
// One layer's share: what a layer adds to the model.
double layer_cost(const ModelConfig& m) { return forward_flops(m, 1) - forward_flops(m, 0); }
// The embedding: one row looked up per token and its gradient scattered back.
double embedding_cost(const ModelConfig& m) { return 2 * static_cast<double>(m.hidden_size); }
// The tied head's matmul (all a model without layers computes), the final norm and the loss.
double head_cost(const ModelConfig& m) {
  return forward_flops(m, 0) + 10 * static_cast<double>(m.hidden_size);
}

std::vector<int64_t> balanced_split(const ModelConfig& m, int64_t stages) {
  const int64_t layers = m.num_layers;
  const double layer = layer_cost(m), first = embedding_cost(m), last = head_cost(m);
  // best[s][l]: the smallest costliest stage when stages 0..s hold layers 0..l-1.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> best(stages, std::vector<double>(layers + 1, inf));
  std::vector<std::vector<int64_t>> cut(stages, std::vector<int64_t>(layers + 1, 0));
  const auto cost = [&](int64_t s, int64_t count) {
    return layer * static_cast<double>(count) + (s == 0 ? first : 0) + (s == stages - 1 ? last : 0);
  };
  for (int64_t l = 1; l <= layers; ++l) best[0][l] = cost(0, l);
  for (int64_t s = 1; s < stages; ++s) {
    for (int64_t l = s + 1; l <= layers; ++l) {
      for (int64_t k = s; k < l; ++k) {  // stages 0..s-1 hold k layers, stage s the rest
        const double worst = std::max(best[s - 1][k], cost(s, l - k));
        if (worst < best[s][l]) {
          best[s][l] = worst;
          cut[s][l] = k;
        }
      }
    }
  }
  std::vector<int64_t> split(stages, 0);
  int64_t end = layers;
  for (int64_t s = stages - 1; s > 0; --s) {
    split[s] = end - cut[s][end];
    end = cut[s][end];
  }
  split[0] = end;
  return split;
}

std::string layer_range(int64_t first, int64_t count) {
  return count == 1 ? "layer " + std::to_string(first)
                    : "layers " + std::to_string(first) + "-" + std::to_string(first + count - 1);
}

}  // namespace

StageLayers whole_model(const ModelConfig& model) { return {0, model.num_layers, true, true}; }

std::vector<int64_t> split_layers(const ModelConfig& model, const ParallelConfig& parallel,
                                  const std::string& source) {
  const int64_t stages = parallel.pp;
  if (stages > model.num_layers) {
    throw Error(source + ": 'parallel.pp' (" + std::to_string(stages) + ") must not exceed " +
                "model.num_layers (" + std::to_string(model.num_layers) +
                "): every pipeline stage holds at least one layer");
  }
  const std::vector<int64_t>& by_hand = parallel.pp_layers;
  if (by_hand.empty()) return balanced_split(model, stages);
  const int64_t sum = std::accumulate(by_hand.begin(), by_hand.end(), int64_t{0});
  const bool positive =
      std::all_of(by_hand.begin(), by_hand.end(), [](int64_t n) { return n > 0; });
  if (static_cast<int64_t>(by_hand.size()) != stages || sum != model.num_layers || !positive) {
    throw Error(source + ": 'parallel.pp_layers' lists " + std::to_string(by_hand.size()) +
                " stage(s) holding " + std::to_string(sum) + " layers; it needs parallel.pp (" +
                std::to_string(stages) + ") positive counts that add up to model.num_layers (" +
                std::to_string(model.num_layers) + ")");
  }
  return by_hand;
}

StageLayers stage_layers(const std::vector<int64_t>& split, int64_t stage) {
  TF_CHECK(stage >= 0 && stage < static_cast<int64_t>(split.size()), "stage ", stage);
  StageLayers s;
  s.first = std::accumulate(split.begin(), split.begin() + stage, int64_t{0});
  s.count = split[stage];
  s.embeds = stage == 0;
  s.heads = stage + 1 == static_cast<int64_t>(split.size());
  return s;
}

std::string split_text(const std::vector<int64_t>& split) {
  std::string text;
  for (size_t s = 0; s < split.size(); ++s) {
    const StageLayers layers = stage_layers(split, static_cast<int64_t>(s));
    text += (s == 0 ? "stage " : " | stage ") + std::to_string(s) + ": " +
            layer_range(layers.first, layers.count) + (layers.embeds ? " + embedding" : "") +
            (layers.heads ? " + head" : "");
  }
  return text;
}

std::vector<PipelineStep> one_f_one_b(int64_t stages, int64_t stage, int64_t micro_batches) {
  TF_CHECK(stage >= 0 && stage < stages && micro_batches >= 1, "stage ", stage, " of ", stages);
  const int64_t warmup = std::min(stages - stage - 1, micro_batches);
  std::vector<PipelineStep> steps;
  for (int64_t i = 0; i < warmup; ++i) steps.push_back({Pass::kForward, i});
  for (int64_t i = 0; i + warmup < micro_batches; ++i) {
    steps.push_back({Pass::kForward, warmup + i});
    steps.push_back({Pass::kBackward, i});
  }
  for (int64_t i = micro_batches - warmup; i < micro_batches; ++i) {
    steps.push_back({Pass::kBackward, i});
  }
  return steps;
}

std::vector<PipelineStep> gpipe(int64_t micro_batches) {
  std::vector<PipelineStep> steps;
  for (int64_t i = 0; i < micro_batches; ++i) steps.push_back({Pass::kForward, i});
  for (int64_t i = 0; i < micro_batches; ++i) steps.push_back({Pass::kBackward, i});
  return steps;
}

}  // namespace tf
