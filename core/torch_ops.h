// LibTorch calls the model, the trainer and the checkpoints share, where LibTorch's own API is
// lower-level than they need: a seeded generator, the key of a parameter's
// optimizer state, and one AdamW step (fused on CUDA).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace tf::torch_ops {

// A CPU generator seeded with `seed`, usable with Tensor::normal_ and friends.
inline at::Generator make_generator(uint64_t seed) {
  return at::make_generator<at::CPUGeneratorImpl>(seed);
}

// Key of a parameter in torch::optim::Optimizer::state(): the address of its TensorImpl.
inline void* optimizer_state_key(const torch::Tensor& param) { return param.unsafeGetTensorImpl(); }

// One AdamW update of every parameter of `optimizer` that has a gradient. With parameters on CUDA
// devices: the fused multi-tensor kernel (one launch per group instead of a dozen per parameter),
// on torch::optim::AdamW's own state, so checkpoints and ZeRO-1 see the same moments and steps.
// Otherwise, and for amsgrad: torch::optim::AdamW::step.
inline void adamw_step(torch::optim::AdamW& optimizer) {
  bool all_cuda = true;
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& p : group.params()) all_cuda = all_cuda && p.is_cuda();
  }
  if (all_cuda) {
    torch::NoGradGuard no_grad;
    for (auto& group : optimizer.param_groups()) {
      const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
      if (options.amsgrad()) {
        optimizer.step();
        return;
      }
    }
    for (auto& group : optimizer.param_groups()) {
      const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
      std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
      int64_t last_step = -1;  // of steps.back(), known on the host
      for (const auto& p : group.params()) {
        if (!p.grad().defined()) continue;
        auto& slot = optimizer.state()[optimizer_state_key(p)];
        if (!slot) {
          auto fresh = std::make_unique<torch::optim::AdamWParamState>();
          fresh->step(0);
          fresh->exp_avg(torch::zeros_like(p, at::MemoryFormat::Preserve));
          fresh->exp_avg_sq(torch::zeros_like(p, at::MemoryFormat::Preserve));
          slot = std::move(fresh);
        }
        auto& state = static_cast<torch::optim::AdamWParamState&>(*slot);
        state.step(state.step() + 1);
        params.push_back(p);
        grads.push_back(p.grad());
        exp_avgs.push_back(state.exp_avg());
        exp_avg_sqs.push_back(state.exp_avg_sq());
        // The kernel reads each parameter's step (after this update) from an fp32 tensor on its
        // device; parameters that share a step and a device share the tensor.
        if (steps.empty() || steps.back().device() != p.device() || last_step != state.step()) {
          steps.push_back(torch::full({}, static_cast<double>(state.step()),
                                      p.options().dtype(torch::kFloat32)));
          last_step = state.step();
        } else {
          steps.push_back(steps.back());
        }
      }
      if (params.empty()) continue;
      at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps,
                        options.lr(), std::get<0>(options.betas()), std::get<1>(options.betas()),
                        options.weight_decay(), options.eps(), /*amsgrad=*/false,
                        /*maximize=*/false);
    }
    return;
  }
  optimizer.step();
}

}  // namespace tf::torch_ops
