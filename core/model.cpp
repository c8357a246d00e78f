#include "core/model.h"

#include <cmath>

#include "core/error.h"
#include "core/lm_loss.h"
#include "core/matmul.h"
#include "core/torch_ops.h"

namespace tf {
namespace {

constexpr double kInitStd = 0.02;

torch::Tensor plain_layer_norm(const torch::Tensor& x) {
  return torch::layer_norm(x, {x.size(-1)}, {}, {}, kLayerNormEps);
}

// A block whose forward keeps only its input and whose backward recomputes it (the reentrant
// scheme of torch.utils.checkpoint): the nested backward accumulates the block's parameter
// gradients itself and returns the input's. The block, rotary and ops outlive the backward pass
// (they belong to the model and the trainer), so they travel as addresses.
struct RecomputedBlock : torch::autograd::Function<RecomputedBlock> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               BlockImpl* block, const Rotary* rotary,
                               const TokenParallelOps* ops) {
    ctx->save_for_backward({x});
    ctx->saved_data["block"] = reinterpret_cast<int64_t>(block);
    ctx->saved_data["rotary"] = reinterpret_cast<int64_t>(rotary);
    ctx->saved_data["ops"] = reinterpret_cast<int64_t>(ops);
    torch::NoGradGuard no_grad;
    return block->forward(x, *rotary, *ops);
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 const torch::autograd::variable_list& grads) {
    auto* block = reinterpret_cast<BlockImpl*>(ctx->saved_data["block"].toInt());
    const auto* rotary = reinterpret_cast<const Rotary*>(ctx->saved_data["rotary"].toInt());
    const auto* ops = reinterpret_cast<const TokenParallelOps*>(ctx->saved_data["ops"].toInt());
    const torch::Tensor x = ctx->get_saved_variables()[0].detach().requires_grad_(true);
    torch::Tensor y;
    {
      torch::AutoGradMode grad_mode(true);
      y = block->forward(x, *rotary, *ops);
    }
    torch::autograd::backward({y}, {grads[0]});
    return {x.grad(), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor seeded_normal(uint64_t seed, uint64_t stream, torch::IntArrayRef shape, double std) {
  // splitmix64 of (seed, stream): independent streams that do not depend on creation order.
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  auto generator = torch_ops::make_generator(z);
  return torch::empty(shape, torch::kFloat32).normal_(0.0, std, generator);
}

BlockImpl::BlockImpl(const ModelConfig& c, int64_t tp_size, int64_t tp_rank)
    : num_heads_(c.num_heads) {
  const PattentionNorm norm = c.norm;
  const int64_t d = c.hidden_size;
  auto make = [&](const char* name, int64_t tokens) {
    return register_module(name, Pattention(d, d, token_shard(tokens, tp_size, tp_rank), norm));
  };
  query = make("query", c.qkv_tokens);
  key = make("key", c.qkv_tokens);
  value = make("value", c.qkv_tokens);
  proj = make("proj", c.proj_tokens);
  mlp = make("mlp", c.ffn_tokens);
}

std::vector<torch::Tensor> BlockImpl::qkv(const torch::Tensor& x, const TokenParallelOps& ops) {
  Pattention layers[] = {query, key, value};
  if (ops.size() == 1) {  // no collectives to batch: each layer takes its own fused path
    std::vector<torch::Tensor> out;
    for (auto& layer : layers) out.push_back(layer->forward(x, ops));
    return out;
  }
  const torch::Tensor shared = ops.enter(x);
  std::vector<torch::Tensor> scores, stats, maxima;
  for (const auto& layer : layers) scores.push_back(layer->scores(shared));
  if (query->norm() == PattentionNorm::kSoftmax) {
    std::vector<torch::Tensor> local;
    for (const auto& a : scores) local.push_back(PattentionImpl::row_max(a));
    maxima = ops.max_stats(torch::cat(local, -1)).split(1, -1);
  } else {
    maxima.resize(3);
  }
  for (int i = 0; i < 3; ++i) stats.push_back(layers[i]->local_stat(scores[i], maxima[i]));
  const auto totals = ops.sum_stats(torch::cat(stats, -1)).split(1, -1);
  std::vector<torch::Tensor> partial;
  for (int i = 0; i < 3; ++i) {
    partial.push_back(layers[i]->mix(layers[i]->activate(scores[i], totals[i], maxima[i])));
  }
  return ops.sum_outputs(torch::cat(partial, -1)).chunk(3, -1);
}

torch::Tensor BlockImpl::forward(const torch::Tensor& x, const Rotary& rotary,
                                 const TokenParallelOps& ops) {
  const int64_t batch = x.size(0), seq = x.size(1), d = x.size(2);
  const auto heads = [&](const torch::Tensor& t) {
    return t.reshape({batch, seq, num_heads_, d / num_heads_}).transpose(1, 2);
  };
  const auto qkv_out = qkv(plain_layer_norm(x), ops);
  const auto q = rotary.apply(heads(qkv_out[0]));
  const auto k = rotary.apply(heads(qkv_out[1]));
  const auto v = heads(qkv_out[2]);
  const auto attended = causal_attention(q, k, v).transpose(1, 2).reshape({batch, seq, d});
  const auto h = x + proj->forward(attended, ops);
  return h + mlp->forward(plain_layer_norm(h), ops);
}

TokenFormerImpl::TokenFormerImpl(const ModelConfig& c, int64_t tp_size, int64_t tp_rank)
    : TokenFormerImpl(c, tp_size, tp_rank, whole_model(c)) {}

TokenFormerImpl::TokenFormerImpl(const ModelConfig& c, int64_t tp_size, int64_t tp_rank,
                                 const PipelineLayers& layers)
    : config_(c),
      layers_(layers),
      tp_size_(tp_size),
      tp_rank_(tp_rank),
      rotary_(c.head_dim(), c.rotary_pct) {
  TF_CHECK(layers.first >= 0 && layers.count >= 1 && layers.first + layers.count <= c.num_layers,
           "layers ", layers.first, "+", layers.count, " of ", c.num_layers);
  if (layers.holds_embedding()) {
    embedding = register_parameter("embedding", torch::zeros({c.padded_vocab(), c.hidden_size}));
  }
  for (int64_t i = layers.first; i < layers.first + layers.count; ++i) {
    blocks.push_back(register_module("block" + std::to_string(i), Block(c, tp_size, tp_rank)));
  }
  if (layers.heads) {
    final_norm_weight = register_parameter("final_norm_weight", torch::ones({c.hidden_size}));
    final_norm_bias = register_parameter("final_norm_bias", torch::zeros({c.hidden_size}));
  }
}

torch::Tensor TokenFormerImpl::embed(const torch::Tensor& tokens) const {
  TF_CHECK(layers_.embeds, "embed on a pipeline rank without the embedding input");
  return torch::embedding(embedding, tokens).to(compute_dtype_);
}

torch::Tensor TokenFormerImpl::run_blocks(torch::Tensor h, const TokenParallelOps& ops) {
  const bool recompute = checkpoint_blocks_ && torch::GradMode::is_enabled();
  for (auto& block : blocks) {
    h = recompute ? RecomputedBlock::apply(h, block.get(), &rotary_, &ops)
                  : block->forward(h, rotary_, ops);
  }
  return h;
}

namespace {

torch::Tensor final_norm(const torch::Tensor& h, const torch::Tensor& weight,
                         const torch::Tensor& bias) {
  return torch::layer_norm(h, {h.size(-1)}, weight.to(h.scalar_type()), bias.to(h.scalar_type()),
                           kLayerNormEps);
}

}  // namespace

torch::Tensor TokenFormerImpl::head_loss(const torch::Tensor& h,
                                         const torch::Tensor& targets) const {
  TF_CHECK(layers_.heads, "head_loss on a pipeline rank without the head");
  const torch::Tensor normed = final_norm(h, final_norm_weight, final_norm_bias);
  return chunked_cross_entropy(normed.reshape({-1, normed.size(-1)}), embedding,
                               targets.reshape({-1}));
}

torch::Tensor TokenFormerImpl::hidden(const torch::Tensor& tokens, const TokenParallelOps& ops) {
  TF_CHECK(whole(), "hidden() on a pipeline rank");
  return final_norm(run_blocks(embed(tokens), ops), final_norm_weight, final_norm_bias);
}

torch::Tensor TokenFormerImpl::forward(const torch::Tensor& tokens, const TokenParallelOps& ops) {
  const torch::Tensor h = hidden(tokens, ops);
  const auto logits = tf::matmul(h, embedding.to(h.scalar_type()).t());
  return logits.scalar_type() == torch::kFloat64 ? logits : logits.to(torch::kFloat32);
}

torch::Tensor TokenFormerImpl::loss(const torch::Tensor& samples, const TokenParallelOps& ops) {
  TF_CHECK(whole(), "loss() on a pipeline rank");
  const int64_t seq = samples.size(1) - 1;
  return head_loss(run_blocks(embed(samples.narrow(1, 0, seq)), ops), samples.narrow(1, 1, seq));
}

void TokenFormerImpl::init_parameters(uint64_t seed) {
  torch::NoGradGuard no_grad;
  const double value_std = 2.0 / (config_.num_layers * std::sqrt(double(config_.hidden_size)));
  // Streams by global position: the embedding's is 0, Pattention k's are 2k + 1 and 2k + 2, so
  // that every pipeline rank draws its layers as the whole model does.
  if (embedding.defined()) embedding.copy_(seeded_normal(seed, 0, embedding.sizes(), kInitStd));
  uint64_t stream = 1 + 2 * static_cast<uint64_t>(first_pattention());
  for (const auto& layer : pattentions()) {
    const TokenShard& s = layer->shard();
    const auto keys = seeded_normal(seed, stream++, {s.total, layer->d_in()}, kInitStd);
    const auto values = seeded_normal(seed, stream++, {s.total, layer->d_out()}, value_std);
    layer->key_tokens.copy_(take_rows(keys, s));
    layer->value_tokens.copy_(take_rows(values, s));
  }
  if (layers_.heads) {
    final_norm_weight.fill_(1.0);
    final_norm_bias.zero_();
  }
}

void TokenFormerImpl::set_token_counts(int64_t qkv, int64_t proj, int64_t ffn) {
  config_.qkv_tokens = qkv;
  config_.proj_tokens = proj;
  config_.ffn_tokens = ffn;
}

std::vector<Pattention> TokenFormerImpl::pattentions() const {
  std::vector<Pattention> all;
  for (const auto& block : blocks) {
    for (const auto& layer : block->pattentions()) all.push_back(layer);
  }
  return all;
}

std::vector<torch::Tensor> TokenFormerImpl::decay_parameters() const {
  std::vector<torch::Tensor> params;
  if (embedding.defined()) params.push_back(embedding);
  for (const auto& layer : pattentions()) {
    params.push_back(layer->key_tokens);
    params.push_back(layer->value_tokens);
  }
  return params;
}

std::vector<torch::Tensor> TokenFormerImpl::no_decay_parameters() const {
  if (!layers_.heads) return {};
  return {final_norm_weight, final_norm_bias};
}

}  // namespace tf
