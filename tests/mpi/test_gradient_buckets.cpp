// Bucketed gradient averaging: buckets start from the autograd hooks during the armed backward
// (overlap), only the armed micro batch communicates, and the result is the mean over the group.
#include <gtest/gtest.h>

#include "parallel/gradient_buckets.h"
#include "tests/mpi/mpi_env.h"

namespace tf::parallel::testing {
namespace {

TEST(GradientBuckets, StartDuringBackwardAndAverage) {
  Communicator& comm = world();
  const int64_t r = comm.rank(), p = comm.size();
  // Sizes 300, 7, 1000, 64 floats, packed from the last with 256 B buckets: {64}, {1000}, {7, 300}.
  std::vector<torch::Tensor> params;
  for (int64_t n : {300, 7, 1000, 64}) params.push_back(torch::zeros({n}).requires_grad_(true));
  GradientBuckets buckets(comm, params, 256);
  ASSERT_EQ(buckets.num_buckets(), 3) << "rank " << r;
  // Two micro batches: loss_k = sum_i (i + 1) (r + 1) k . p_i for k = 1, 2; only the second armed.
  for (int k = 1; k <= 2; ++k) {
    buckets.arm(k == 2);
    torch::Tensor loss = torch::zeros({});
    for (size_t i = 0; i < params.size(); ++i)
      loss = loss + params[i].sum() * double((i + 1) * (r + 1) * k);
    loss.backward();
    if (k == 1) {
      EXPECT_EQ(buckets.started_during_backward(), 0) << "rank " << r;
    }
  }
  EXPECT_EQ(buckets.started_during_backward(), buckets.num_buckets()) << "rank " << r;
  buckets.finish();
  // Accumulated gradient of p_i on rank q is 3 (i + 1)(q + 1); its mean over q is 3 (i + 1)(p + 1)
  // / 2.
  for (size_t i = 0; i < params.size(); ++i) {
    expect_close(params[i].grad(), torch::full_like(params[i], 3.0 * (i + 1) * (p + 1) / 2.0),
                 "averaged gradient of parameter " + std::to_string(i));
  }
  EXPECT_EQ(buckets.bytes_reduced(), (300 + 7 + 1000 + 64) * 4) << "rank " << r;
}

}  // namespace
}  // namespace tf::parallel::testing
