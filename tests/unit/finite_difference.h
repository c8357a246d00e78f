// Gradient checks for the unit tests: autograd's gradient of a scalar objective against central
// differences, in fp64.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <functional>
#include <string>

namespace tf::testing {

// Compares t.grad() (already computed by a backward of `objective`) with central differences of
// `objective` at every `stride`-th entry of `t`, to 1e-6 relative; failures name `name` and the
// entry.
inline void expect_gradient_matches(const std::string& name, const torch::Tensor& t,
                                    const std::function<torch::Tensor()>& objective,
                                    int64_t stride = 1) {
  const auto analytic = t.grad().reshape({-1}).clone();
  auto flat = t.detach().view({-1});
  for (int64_t i = 0; i < flat.numel(); i += stride) {
    const double saved = flat[i].item<double>(), h = 1e-6;
    double plus, minus;
    {
      torch::NoGradGuard no_grad;
      flat[i] = saved + h;
      plus = objective().item<double>();
      flat[i] = saved - h;
      minus = objective().item<double>();
      flat[i] = saved;
    }
    const double numeric = (plus - minus) / (2 * h);
    EXPECT_NEAR(analytic[i].item<double>(), numeric, 1e-6 * (1 + std::abs(numeric)))
        << name << " entry " << i << " (shape " << t.sizes() << ")";
  }
}

}  // namespace tf::testing
