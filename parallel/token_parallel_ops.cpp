#include "parallel/token_parallel_ops.h"

namespace tf::parallel {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// AutogradContext stores IValues, which have no raw-pointer type: the group travels as an integer.
void save_group(AutogradContext* ctx, Communicator* group) {
  ctx->saved_data["group"] = static_cast<int64_t>(reinterpret_cast<intptr_t>(group));
}

Communicator& saved_group(AutogradContext* ctx) {
  return *reinterpret_cast<Communicator*>(static_cast<intptr_t>(ctx->saved_data["group"].toInt()));
}

torch::Tensor summed(Communicator& group, const torch::Tensor& t) {
  torch::Tensor out = t.contiguous().clone();
  group.all_reduce(out, {ReduceOp::kSum});
  return out;
}

struct EnterRegion : torch::autograd::Function<EnterRegion> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, Communicator* group) {
    save_group(ctx, group);
    return x;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {summed(saved_group(ctx), grads[0]), torch::Tensor()};
  }
};

struct SumStats : torch::autograd::Function<SumStats> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& s, Communicator* group) {
    save_group(ctx, group);
    return summed(*group, s);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {summed(saved_group(ctx), grads[0]), torch::Tensor()};
  }
};

struct SumOutputs : torch::autograd::Function<SumOutputs> {
  static torch::Tensor forward(AutogradContext*, const torch::Tensor& o, Communicator* group) {
    return summed(*group, o);
  }
  static variable_list backward(AutogradContext*, variable_list grads) {
    return {grads[0], torch::Tensor()};
  }
};

}  // namespace

// A group of one rank sums nothing: every op is the identity, with no copy and no autograd node.
torch::Tensor CommTokenParallelOps::enter(const torch::Tensor& x) const {
  return group_->size() == 1 ? x : EnterRegion::apply(x, group_);
}

torch::Tensor CommTokenParallelOps::sum_stats(const torch::Tensor& s) const {
  return group_->size() == 1 ? s : SumStats::apply(s, group_);
}

torch::Tensor CommTokenParallelOps::max_stats(const torch::Tensor& s) const {
  if (group_->size() == 1) return s.detach();
  torch::Tensor out = s.detach().contiguous().clone();
  group_->all_reduce(out, {ReduceOp::kMax});
  return out;
}

torch::Tensor CommTokenParallelOps::sum_outputs(const torch::Tensor& o) const {
  return group_->size() == 1 ? o : SumOutputs::apply(o, group_);
}

}  // namespace tf::parallel
