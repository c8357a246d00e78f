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

std::vector<int64_t> balanced_split(const ModelConfig& m, int64_t ranks) {
  const int64_t layers = m.num_layers;
  const double layer = layer_cost(m), first = embedding_cost(m), last = head_cost(m);
  // best[s][l]: the smallest costliest pipeline rank when ranks 0..s hold layers 0..l-1.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<std::vector<double>> best(ranks, std::vector<double>(layers + 1, inf));
  std::vector<std::vector<int64_t>> cut(ranks, std::vector<int64_t>(layers + 1, 0));
  const auto cost = [&](int64_t s, int64_t count) {
    return layer * static_cast<double>(count) + (s == 0 ? first : 0) + (s == ranks - 1 ? last : 0);
  };
  for (int64_t l = 1; l <= layers; ++l) best[0][l] = cost(0, l);
  for (int64_t s = 1; s < ranks; ++s) {
    for (int64_t l = s + 1; l <= layers; ++l) {
      for (int64_t k = s; k < l; ++k) {  // ranks 0..s-1 hold k layers, rank s the rest
        const double worst = std::max(best[s - 1][k], cost(s, l - k));
        if (worst < best[s][l]) {
          best[s][l] = worst;
          cut[s][l] = k;
        }
      }
    }
  }
  std::vector<int64_t> split(ranks, 0);
  int64_t end = layers;
  for (int64_t s = ranks - 1; s > 0; --s) {
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

PipelineLayers whole_model(const ModelConfig& model) { return {0, model.num_layers, true, true}; }

std::vector<int64_t> split_layers(const ModelConfig& model, const ParallelConfig& parallel,
                                  const std::string& source) {
  check_layer_split(model, parallel, source);
  return parallel.pp_layers.empty() ? balanced_split(model, parallel.pp) : parallel.pp_layers;
}

PipelineLayers pipeline_layers(const std::vector<int64_t>& split, int64_t pp_rank) {
  TF_CHECK(pp_rank >= 0 && pp_rank < static_cast<int64_t>(split.size()), "pp rank ", pp_rank);
  PipelineLayers s;
  s.first = std::accumulate(split.begin(), split.begin() + pp_rank, int64_t{0});
  s.count = split[pp_rank];
  s.embeds = pp_rank == 0;
  s.heads = pp_rank + 1 == static_cast<int64_t>(split.size());
  return s;
}

std::string split_text(const std::vector<int64_t>& split) {
  std::string text;
  for (size_t s = 0; s < split.size(); ++s) {
    const PipelineLayers layers = pipeline_layers(split, static_cast<int64_t>(s));
    text += (s == 0 ? "pp rank " : " | pp rank ") + std::to_string(s) + ": " +
            layer_range(layers.first, layers.count) + (layers.embeds ? " + embedding" : "") +
            (layers.heads ? " + head" : "");
  }
  return text;
}

std::vector<PipelineStep> one_f_one_b(int64_t pp_size, int64_t pp_rank, int64_t micro_batches) {
  TF_CHECK(pp_rank >= 0 && pp_rank < pp_size && micro_batches >= 1, "pp rank ", pp_rank, " of ",
           pp_size);
  const int64_t warmup = std::min(pp_size - pp_rank - 1, micro_batches);
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

std::vector<PipelineStep> schedule_order(PipelineSchedule schedule, int64_t pp_size,
                                         int64_t pp_rank, int64_t micro_batches) {
  return schedule == PipelineSchedule::kGPipe ? gpipe(micro_batches)
                                              : one_f_one_b(pp_size, pp_rank, micro_batches);
}

int64_t micro_batches_in_flight(PipelineSchedule schedule, int64_t pp_size, int64_t pp_rank,
                                int64_t micro_batches) {
  return schedule == PipelineSchedule::kGPipe ? micro_batches
                                              : std::min(pp_size - pp_rank, micro_batches);
}

}  // namespace tf
