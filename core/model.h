// The TokenFormer language model (docs/model.md, The language model): pre-norm decoder blocks whose
// Q, K, V, output projection and FFN are Pattentions, partial rotary, causal attention, tied
// embedding. A model built with a token-parallel group holds that rank's shard of every Pattention;
// one built for a pipeline rank holds that pipeline rank's layers (core/pipeline.h), under their
// global indices.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "core/config.h"
#include "core/pattention.h"
#include "core/pipeline.h"
#include "core/rotary.h"
#include "core/token_parallel.h"

namespace tf {

// ε of every LayerNorm of the model (the weightless ones in the blocks and the final one).
inline constexpr double kLayerNormEps = 1e-5;

class BlockImpl : public torch::nn::Module {
 public:
  BlockImpl(const ModelConfig& config, int64_t tp_size, int64_t tp_rank);
  torch::Tensor forward(const torch::Tensor& x, const Rotary& rotary, const TokenParallelOps& ops);

  // Pattentions in the authors' order: query, key, value, proj, mlp.
  std::vector<Pattention> pattentions() const { return {query, key, value, proj, mlp}; }

  Pattention query{nullptr}, key{nullptr}, value{nullptr}, proj{nullptr}, mlp{nullptr};

 private:
  // Q, K and V share their input: one region entry and one reduction of each kind for all three.
  std::vector<torch::Tensor> qkv(const torch::Tensor& x, const TokenParallelOps& ops);
  int64_t num_heads_;
};
TORCH_MODULE(Block);

class TokenFormerImpl : public torch::nn::Module {
 public:
  // Parameters are zero until init_parameters; tp_* select this rank's token shards, `layers`
  // the pipeline rank's layers (default: the whole model). The embedding exists on the pipeline
  // ranks that embed or head; the final norm on the one that heads.
  TokenFormerImpl(const ModelConfig& config, int64_t tp_size = 1, int64_t tp_rank = 0);
  TokenFormerImpl(const ModelConfig& config, int64_t tp_size, int64_t tp_rank,
                  const PipelineLayers& layers);

  // Whole model only. tokens [batch, seq] int64 -> logits [batch, seq, padded_vocab] (fp32, or
  // fp64 for fp64 checks).
  torch::Tensor forward(const torch::Tensor& tokens, const TokenParallelOps& ops);
  // Whole model only. The final LayerNorm's output [batch, seq, hidden] in the compute dtype.
  torch::Tensor hidden(const torch::Tensor& tokens, const TokenParallelOps& ops);
  // Whole model only. samples [batch, seq + 1]: mean next-token cross entropy over all positions
  // (fp32), through the chunked head and loss (core/lm_loss.h).
  torch::Tensor loss(const torch::Tensor& samples, const TokenParallelOps& ops);

  // The pieces a pipeline rank runs. The first pipeline rank: tokens [batch, seq] -> hidden states
  // [batch, seq, hidden] in the compute dtype.
  torch::Tensor embed(const torch::Tensor& tokens) const;
  // This pipeline rank's blocks (recomputed in backward with activation checkpointing).
  torch::Tensor run_blocks(torch::Tensor h, const TokenParallelOps& ops);
  // The last pipeline rank: final norm, tied head and mean cross entropy against targets [batch,
  // seq].
  torch::Tensor head_loss(const torch::Tensor& h, const torch::Tensor& targets) const;
  const PipelineLayers& pipeline_layers() const { return layers_; }
  // Global index of the pipeline rank's first Pattention (5 per layer, in pattentions() order).
  int64_t first_pattention() const { return 5 * layers_.first; }

  // The authors' initialisation (docs/model.md, Initialisation). Every tensor is drawn whole from a
  // generator seeded by (seed, tensor index) and then sliced, so every layout gets the same model.
  void init_parameters(uint64_t seed);

  // This pipeline rank's Pattentions, in order.
  std::vector<Pattention> pattentions() const;
  // Parameters with weight decay (the embedding and the parameter tokens) and without (the final
  // LayerNorm), of those this pipeline rank holds.
  std::vector<torch::Tensor> decay_parameters() const;
  std::vector<torch::Tensor> no_decay_parameters() const;

  // Activations and matmuls run in `dtype` (bf16 for train.precision bf16); parameters, optimizer
  // state, norm statistics and the loss stay fp32. Default: the parameters' dtype.
  void set_compute_dtype(torch::ScalarType dtype) { compute_dtype_ = dtype; }
  torch::ScalarType compute_dtype() const { return compute_dtype_; }
  // train.activation_checkpointing: layer. With gradients on, each block's forward keeps only its
  // input; the backward pass runs the block again (collectives included, in the same order on
  // every rank) and back-propagates through it. The same gradients, less activation memory.
  void set_activation_checkpointing(bool on) { checkpoint_blocks_ = on; }

  const ModelConfig& config() const { return config_; }
  // Records new token counts in config(); grow_model calls it after growing every layer.
  void set_token_counts(int64_t qkv, int64_t proj, int64_t ffn);
  int64_t tp_size() const { return tp_size_; }
  int64_t tp_rank() const { return tp_rank_; }

  torch::Tensor embedding;  // [padded_vocab, hidden]; undefined on a pipeline rank that neither
                            // embeds nor heads
  torch::Tensor final_norm_weight, final_norm_bias;  // undefined but on the last pipeline rank
  std::vector<Block>
      blocks;  // this pipeline rank's: blocks[i] is layer pipeline_layers().first + i

 private:
  bool whole() const { return layers_.embeds && layers_.heads; }

  ModelConfig config_;
  PipelineLayers layers_;
  int64_t tp_size_, tp_rank_;
  Rotary rotary_;
  torch::ScalarType compute_dtype_ = torch::kFloat32;
  bool checkpoint_blocks_ = false;
};
TORCH_MODULE(TokenFormer);

// A normal(0, std) tensor of `shape` from a generator seeded by (seed, stream).
torch::Tensor seeded_normal(uint64_t seed, uint64_t stream, torch::IntArrayRef shape, double std);

}  // namespace tf
