// Collectives against closed-form values: rank r of P contributes inputs that depend on r, so a
// wrong order, a missing rank or a double count changes the result.
#include <gtest/gtest.h>

#include "tests/mpi/mpi_env.h"

namespace tf::parallel::testing {
namespace {

int64_t triangle(int64_t p) { return p * (p + 1) / 2; }

TEST(Collectives, AllReduceSumEveryDtype) {
  Communicator& comm = world();
  const int64_t r = comm.rank(), p = comm.size();
  for (auto dtype : {torch::kFloat32, torch::kFloat64, torch::kInt32, torch::kInt64}) {
    // 13 elements: not a multiple of any vector width or group size.
    torch::Tensor x = (torch::arange(1, 14, torch::kInt64) * (r + 1)).to(dtype);
    comm.all_reduce(x);
    expect_close(x, torch::arange(1, 14, torch::kInt64) * triangle(p),
                 std::string("all_reduce(sum) ") + c10::toString(dtype));
  }
}

TEST(Collectives, AllReduceMaxWithNegatives) {
  Communicator& comm = world();
  const int64_t r = comm.rank(), p = comm.size();
  torch::Tensor x = -torch::arange(0, 7, torch::kFloat32) * (r + 1) + 10 * r;
  comm.all_reduce(x, {ReduceOp::kMax});
  // Each element's maximum over r of 10r - i(r+1): the last rank wins for i < 10.
  torch::Tensor expected = torch::empty({7}, torch::kFloat32);
  for (int64_t i = 0; i < 7; ++i) {
    double best = -1e30;
    for (int64_t q = 0; q < p; ++q) best = std::max(best, double(10 * q - i * (q + 1)));
    expected[i] = best;
  }
  expect_close(x, expected, "all_reduce(max)");
}

TEST(Collectives, StartedAllReducesCompleteInAnyWaitOrder) {
  Communicator& comm = world();
  const int64_t r = comm.rank(), p = comm.size();
  torch::Tensor a = torch::full({5}, double(r + 1), torch::kFloat64);
  torch::Tensor b = torch::full({3}, double(2 * r), torch::kFloat64);
  auto first = comm.start_all_reduce(a);
  auto second = comm.start_all_reduce(b);
  while (!second->poll()) {
  }
  first->wait();
  expect_close(a, torch::full({5}, double(triangle(p)), torch::kFloat64), "started a");
  expect_close(b, torch::full({3}, double(2 * triangle(p - 1)), torch::kFloat64), "started b");
}

TEST(Collectives, AllGatherUnevenCounts) {
  Communicator& comm = world();
  const int64_t r = comm.rank(), p = comm.size();
  // Rank q contributes q + 1 values 100q, 100q + 1, ...
  CountsOptions options;
  for (int64_t q = 0; q < p; ++q) options.counts.push_back(q + 1);
  const torch::Tensor mine = torch::arange(0, r + 1, torch::kFloat32) + 100 * r;
  std::vector<torch::Tensor> parts;
  for (int64_t q = 0; q < p; ++q)
    parts.push_back(torch::arange(0, q + 1, torch::kFloat32) + 100 * q);
  expect_close(comm.all_gather(mine, options), torch::cat(parts), "uneven all_gather");
}

TEST(Collectives, AllGatherEqualCountsFlattens) {
  Communicator& comm = world();
  const int64_t r = comm.rank(), p = comm.size();
  const torch::Tensor mine = torch::full({2, 3}, r, torch::kInt64);
  const torch::Tensor expected = torch::arange(0, p, torch::kInt64).repeat_interleave(6);
  expect_close(comm.all_gather(mine), expected, "equal all_gather");
}

TEST(Collectives, ReduceScatterUnevenCounts) {
  Communicator& comm = world();
  const int64_t r = comm.rank(), p = comm.size();
  CountsOptions options;
  int64_t total = 0, offset = 0;
  for (int64_t q = 0; q < p; ++q) {
    options.counts.push_back(q + 2);
    if (q < r) offset += q + 2;
    total += q + 2;
  }
  const torch::Tensor input = torch::arange(0, total, torch::kFloat64) * (r + 1);
  const torch::Tensor expected =
      torch::arange(offset, offset + r + 2, torch::kFloat64) * triangle(p);
  expect_close(comm.reduce_scatter(input, options), expected, "uneven reduce_scatter");
}

TEST(Collectives, BroadcastFromLastRank) {
  Communicator& comm = world();
  const int root = comm.size() - 1;
  torch::Tensor x = comm.rank() == root ? torch::arange(0, 9, torch::kInt64) * 3
                                        : torch::full({9}, -1, torch::kInt64);
  comm.broadcast(x, {root});
  expect_close(x, torch::arange(0, 9, torch::kInt64) * 3, "broadcast");
}

TEST(Collectives, SendRecvRing) {
  Communicator& comm = world();
  const int r = comm.rank(), p = comm.size();
  if (p == 1) GTEST_SKIP() << "a ring needs two ranks";
  const int next = (r + 1) % p, prev = (r + p - 1) % p;
  torch::Tensor out = torch::full({4}, float(r), torch::kFloat32);
  torch::Tensor in = torch::empty({4}, torch::kFloat32);
  // Even ranks send first and odd ranks receive first, so blocking calls pair up.
  if (r % 2 == 0) {
    comm.send(out, {next, 7});
    comm.recv(in, {prev, 7});
  } else {
    comm.recv(in, {prev, 7});
    comm.send(out, {next, 7});
  }
  expect_close(in, torch::full({4}, float(prev), torch::kFloat32), "ring recv");
}

TEST(Collectives, SplitByParityWithReversedKeys) {
  Communicator& comm = world();
  const int r = comm.rank(), p = comm.size();
  auto sub = comm.split({r % 2, -r});
  int expected_size = 0, expected_rank = 0;
  int64_t expected_sum = 0;
  for (int q = 0; q < p; ++q) {
    if (q % 2 != r % 2) continue;
    ++expected_size;
    expected_sum += q;
    if (q > r) ++expected_rank;  // key -q orders the group by decreasing world rank
  }
  EXPECT_EQ(sub->size(), expected_size) << "rank " << r;
  EXPECT_EQ(sub->rank(), expected_rank) << "rank " << r;
  torch::Tensor x = torch::tensor({int64_t(r)});
  sub->all_reduce(x);
  EXPECT_EQ(x.item<int64_t>(), expected_sum) << "rank " << r;
  sub->barrier();
}

TEST(Collectives, MisuseThrowsCommErrorNamingRankOpAndDtype) {
  Communicator& comm = world();
  torch::Tensor flags = torch::zeros({3}, torch::kBool);
  try {
    comm.all_reduce(flags);
    ADD_FAILURE() << "bool all_reduce did not throw on rank " << comm.rank();
  } catch (const CommError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("all_reduce(sum) on rank " + std::to_string(comm.rank())),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("Bool"), std::string::npos) << text;
  }
  CountsOptions wrong{std::vector<int64_t>(comm.size() + 1, 1)};
  EXPECT_THROW(comm.reduce_scatter(torch::zeros({comm.size() + 1}), wrong), CommError);
  EXPECT_THROW(comm.all_gather(torch::zeros({2, 2}).t(), {}), CommError);  // not contiguous
}

}  // namespace
}  // namespace tf::parallel::testing
