#include "parallel/zero1_optimizer.h"

#include <algorithm>
#include <cmath>

#include "core/checkpoint/adamw_state.h"
#include "core/grad_norm.h"

namespace tf::parallel {
namespace {

bool contains(const std::vector<torch::Tensor>& list, const torch::Tensor& t) {
  for (const auto& x : list) {
    if (x.is_same(t)) return true;
  }
  return false;
}

}  // namespace

Zero1Optimizer::Zero1Optimizer(Communicator& dp, Communicator& tp, Communicator& pp,
                               TokenFormer& model, torch::optim::AdamW& optimizer,
                               const TrainConfig& train)
    : dp_(dp), tp_(tp), pp_(pp), train_(train), params_(model->parameters()) {
  std::vector<torch::Tensor> tokens;
  for (const auto& layer : model->pattentions()) {
    tokens.push_back(layer->key_tokens);
    tokens.push_back(layer->value_tokens);
  }
  const std::vector<torch::Tensor> no_decay = model->no_decay_parameters();
  // The last pipeline rank's copy of the tied embedding is the first one's: its norm counts there.
  const bool tied_copy = !model->pipeline_layers().embeds;
  std::vector<torch::Tensor> decay_flags, shard_flags, counted_flags, values, avg, avg_sq;
  for (const auto& p : params_) {
    const auto flags = torch::TensorOptions().dtype(torch::kBool).device(p.device());
    decay_flags.push_back(torch::full({p.numel()}, !contains(no_decay, p), flags));
    shard_flags.push_back(torch::full({p.numel()}, contains(tokens, p), flags));
    counted_flags.push_back(
        torch::full({p.numel()}, !(tied_copy && p.is_same(model->embedding)), flags));
    values.push_back(p.detach().reshape({-1}));
    const std::optional<AdamWMoments> state = get_adamw_state(optimizer, p);
    avg.push_back(state ? state->exp_avg.reshape({-1}) : torch::zeros({p.numel()}, p.options()));
    avg_sq.push_back(state ? state->exp_avg_sq.reshape({-1})
                           : torch::zeros({p.numel()}, p.options()));
    if (state) steps_ = state->step;
  }
  const torch::Tensor flat = torch::cat(values);
  const int64_t total = flat.numel(), parts = dp_.size();
  for (int64_t r = 0; r < parts; ++r) {
    counts_.push_back(total / parts + (r < total % parts ? 1 : 0));
    if (r < dp_.rank()) offset_ += counts_.back();
  }
  const int64_t count = counts_[dp_.rank()];
  master_ = flat.narrow(0, offset_, count).clone();
  decays_ = torch::cat(decay_flags).narrow(0, offset_, count).clone();
  sharded_ = torch::cat(shard_flags).narrow(0, offset_, count).clone();
  counted_ = torch::cat(counted_flags).narrow(0, offset_, count).clone();
  exp_avg_ = torch::cat(avg).narrow(0, offset_, count).clone();
  exp_avg_sq_ = torch::cat(avg_sq).narrow(0, offset_, count).clone();
}

void Zero1Optimizer::export_state(torch::optim::AdamW& optimizer) {
  if (steps_ == 0) return;
  const torch::Tensor avg = dp_.all_gather(exp_avg_, {counts_});
  const torch::Tensor avg_sq = dp_.all_gather(exp_avg_sq_, {counts_});
  int64_t offset = 0;
  for (const auto& p : params_) {
    set_adamw_state(optimizer, p,
                    {avg.narrow(0, offset, p.numel()).view_as(p),
                     avg_sq.narrow(0, offset, p.numel()).view_as(p), steps_});
    offset += p.numel();
  }
}

torch::Tensor Zero1Optimizer::flat_gradients() const {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params_) {
    grads.push_back(p.grad().defined() ? p.grad().reshape({-1})
                                       : torch::zeros({p.numel()}, p.options()));
  }
  return torch::cat(grads);
}

torch::Tensor Zero1Optimizer::frozen_mask(const std::vector<FrozenRows>& frozen) const {
  if (frozen.empty()) return {};
  const int64_t begin = offset_, end = offset_ + counts_[dp_.rank()];
  torch::Tensor mask;
  int64_t offset = 0;  // of the parameter in the flattened model
  for (const auto& p : params_) {
    for (const FrozenRows& f : frozen) {
      if (!f.param.is_same(p)) continue;
      // Elements [offset, offset + rows x columns) of the flattened model, clipped to this range.
      const int64_t lo = std::max(offset, begin);
      const int64_t hi = std::min(offset + f.rows * p.size(1), end);
      if (lo >= hi) continue;
      if (!mask.defined())
        mask = torch::zeros({end - begin}, master_.options().dtype(torch::kBool));
      mask.narrow(0, lo - begin, hi - lo).fill_(true);
    }
    offset += p.numel();
  }
  return mask;
}

void Zero1Optimizer::scatter_parameters(const torch::Tensor& flat) {
  torch::NoGradGuard no_grad;
  int64_t offset = 0;
  for (auto& p : params_) {
    p.copy_(flat.narrow(0, offset, p.numel()).view_as(p));
    offset += p.numel();
  }
}

double Zero1Optimizer::step(double lr, const std::vector<FrozenRows>& frozen) {
  torch::NoGradGuard no_grad;
  torch::Tensor grad = dp_.reduce_scatter(flat_gradients(), {counts_});
  grad.mul_(1.0 / dp_.size());
  const torch::Tensor held = frozen_mask(frozen);
  if (held.defined()) grad.masked_fill_(held, 0);

  // Token shards are disjoint over tp (sum there too); everything else is replicated over tp.
  // Pipeline ranks hold disjoint layers (sum over pp), but for the tied embedding's second copy.
  const torch::Tensor sq = grad.to(torch::kFloat64).square();
  torch::Tensor parts = torch::stack(
      {sq.masked_select(sharded_).sum(), sq.masked_select(~sharded_ & counted_).sum()});
  dp_.all_reduce(parts);
  const NormGroups groups{[this](torch::Tensor& t) { tp_.all_reduce(t); },
                          [this](torch::Tensor& t) { pp_.all_reduce(t); }};
  const double norm = clip_to_global_norm({parts.narrow(0, 0, 1).clone(), parts.narrow(0, 1, 1)},
                                          groups, train_.grad_clip, {grad});
  if (!std::isfinite(norm)) return norm;  // the step is skipped: nothing changes

  // torch::optim::AdamW's arithmetic, element-wise, so a shard updates exactly like the whole.
  torch::Tensor kept_master, kept_avg, kept_avg_sq;
  if (held.defined()) {
    kept_master = master_.masked_select(held);
    kept_avg = exp_avg_.masked_select(held);
    kept_avg_sq = exp_avg_sq_.masked_select(held);
  }
  ++steps_;
  const double b1 = train_.beta1, b2 = train_.beta2;
  const double correction1 = 1 - std::pow(b1, double(steps_));
  const double correction2 = 1 - std::pow(b2, double(steps_));
  const torch::Tensor decay_factor = torch::full_like(master_, 1 - lr * train_.weight_decay);
  master_.copy_(torch::where(decays_, master_ * decay_factor, master_));
  exp_avg_.mul_(b1).add_(grad, 1 - b1);
  exp_avg_sq_.mul_(b2).addcmul_(grad, grad, 1 - b2);
  const torch::Tensor denom = (exp_avg_sq_.sqrt() / std::sqrt(correction2)).add_(train_.eps);
  master_.addcdiv_(exp_avg_, denom, -lr / correction1);
  if (held.defined()) {
    master_.masked_scatter_(held, kept_master);
    exp_avg_.masked_scatter_(held, kept_avg);
    exp_avg_sq_.masked_scatter_(held, kept_avg_sq);
  }

  scatter_parameters(dp_.all_gather(master_, {counts_}));
  return norm;
}

}  // namespace tf::parallel
