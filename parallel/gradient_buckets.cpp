#include "parallel/gradient_buckets.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>

#include "core/error.h"

namespace tf::parallel {
namespace {

// Runs after AccumulateGrad has added this backward's contribution to param.grad().
class GradientReadyHook : public torch::autograd::FunctionPostHook {
 public:
  GradientReadyHook(GradientBuckets* owner, size_t index) : owner_(owner), index_(index) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list&) override {
    owner_->on_gradient_ready(index_);
    return outputs;
  }

 private:
  GradientBuckets* owner_;
  size_t index_;
};

}  // namespace

GradientBuckets::GradientBuckets(Communicator& group, std::vector<torch::Tensor> params,
                                 int64_t bucket_bytes)
    : group_(group),
      params_(std::move(params)),
      bucket_of_(params_.size()),
      copied_(params_.size(), false) {
  int64_t bucket_elements = 0;
  for (size_t k = params_.size(); k-- > 0;) {
    const torch::Tensor& p = params_[k];
    TF_CHECK(p.scalar_type() == torch::kFloat32 && p.requires_grad(), "parameter ", k);
    if (buckets_.empty() || bucket_elements * 4 >= bucket_bytes) {
      buckets_.emplace_back();
      bucket_elements = 0;
    }
    Bucket& b = buckets_.back();
    b.members.push_back(k);
    b.offsets.push_back(bucket_elements);
    bucket_elements += p.numel();
    bucket_of_[k] = buckets_.size() - 1;
  }
  for (Bucket& b : buckets_) {
    const size_t last = b.members.back();
    b.buffer = torch::zeros({b.offsets.back() + params_[last].numel()},
                            params_[last].options().dtype(torch::kFloat32));
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    accumulators_.push_back(torch::autograd::impl::grad_accumulator(params_[k]));
    hook_keys_.push_back(
        accumulators_.back()->add_post_hook(std::make_unique<GradientReadyHook>(this, k)));
  }
}

GradientBuckets::~GradientBuckets() noexcept {
  for (size_t k = 0; k < accumulators_.size(); ++k) accumulators_[k]->del_post_hook(hook_keys_[k]);
}

void GradientBuckets::copy_in(size_t index) {
  Bucket& b = buckets_[bucket_of_[index]];
  size_t slot = 0;
  while (b.members[slot] != index) ++slot;
  torch::Tensor view = b.buffer.narrow(0, b.offsets[slot], params_[index].numel());
  const torch::Tensor& grad = params_[index].grad();
  if (grad.defined()) {
    view.copy_(grad.reshape({-1}));
  } else {
    view.zero_();
  }
  copied_[index] = true;
  ++b.ready;
}

void GradientBuckets::on_gradient_ready(size_t index) {
  if (!armed_ || copied_[index]) return;
  copy_in(index);
  const size_t before = next_to_start_;
  start_ready_buckets();
  started_during_backward_ += static_cast<int64_t>(next_to_start_ - before);
  // MPI progresses non-blocking collectives only inside MPI calls: nudge the oldest one.
  for (const Bucket& b : buckets_) {
    if (b.work) {
      b.work->poll();
      break;
    }
  }
}

void GradientBuckets::start_ready_buckets() {
  while (next_to_start_ < buckets_.size()) {
    Bucket& b = buckets_[next_to_start_];
    if (b.ready < b.members.size()) return;
    b.work = group_.start_all_reduce(b.buffer, {ReduceOp::kSum});
    bytes_reduced_ += b.buffer.numel() * 4;
    ++next_to_start_;
  }
}

void GradientBuckets::finish() {
  for (size_t k = 0; k < params_.size(); ++k) {
    if (!copied_[k]) copy_in(k);
  }
  start_ready_buckets();
  torch::NoGradGuard no_grad;
  const double scale = 1.0 / group_.size();
  for (Bucket& b : buckets_) {
    b.work->wait();
    b.work.reset();
    b.buffer.mul_(scale);
    for (size_t slot = 0; slot < b.members.size(); ++slot) {
      torch::Tensor& p = params_[b.members[slot]];
      const torch::Tensor averaged = b.buffer.narrow(0, b.offsets[slot], p.numel()).view_as(p);
      if (p.grad().defined()) {
        p.mutable_grad().copy_(averaged);
      } else {
        p.mutable_grad() = averaged.clone();
      }
    }
    b.ready = 0;
  }
  std::fill(copied_.begin(), copied_.end(), false);
  next_to_start_ = 0;
  armed_ = false;
}

}  // namespace tf::parallel
