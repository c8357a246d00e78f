#include "core/checkpoint/adamw_state.h"

#include "core/error.h"
#include "core/torch_ops.h"

namespace tf {

std::optional<AdamWMoments> get_adamw_state(torch::optim::AdamW& optimizer,
                                            const torch::Tensor& param) {
  auto found = optimizer.state().find(torch_ops::optimizer_state_key(param));
  if (found == optimizer.state().end()) return std::nullopt;
  const auto& s = static_cast<const torch::optim::AdamWParamState&>(*found->second);
  TF_CHECK(!s.max_exp_avg_sq().defined() || s.max_exp_avg_sq().numel() == 0,
           "amsgrad state is not checkpointed");
  return AdamWMoments{s.exp_avg(), s.exp_avg_sq(), s.step()};
}

void set_adamw_state(torch::optim::AdamW& optimizer, const torch::Tensor& param,
                     const AdamWMoments& moments) {
  TF_CHECK(moments.exp_avg.sizes() == param.sizes() && moments.exp_avg_sq.sizes() == param.sizes(),
           "moments of shape ", moments.exp_avg.sizes(), " for a parameter of ", param.sizes());
  auto state = std::make_unique<torch::optim::AdamWParamState>();
  state->step(moments.step);
  state->exp_avg(moments.exp_avg.detach().to(param.options()).clone());
  state->exp_avg_sq(moments.exp_avg_sq.detach().to(param.options()).clone());
  optimizer.state()[torch_ops::optimizer_state_key(param)] = std::move(state);
}

}  // namespace tf
