// The single-process communicator and the mesh arithmetic (no MPI needed).
#include <gtest/gtest.h>

#include "core/error.h"
#include "parallel/local_communicator.h"
#include "parallel/mesh.h"

namespace tf::parallel {
namespace {

TEST(LocalCommunicator, CollectivesOfOneAreIdentities) {
  LocalCommunicator comm;
  torch::Tensor x = torch::arange(0, 6, torch::kFloat32);
  comm.all_reduce(x, {ReduceOp::kMax});
  EXPECT_TRUE(x.equal(torch::arange(0, 6, torch::kFloat32)));
  EXPECT_TRUE(comm.start_all_reduce(x, {})->poll());
  EXPECT_TRUE(comm.all_gather(x.view({2, 3}), {}).equal(x));
  EXPECT_TRUE(comm.reduce_scatter(x, {{6}}).equal(x));
  EXPECT_EQ(comm.split({3, 0})->size(), 1);
}

TEST(LocalCommunicator, MisuseThrowsCommError) {
  LocalCommunicator comm;
  torch::Tensor x = torch::zeros({4});
  EXPECT_THROW(comm.send(x, {1, 0}), CommError);
  EXPECT_THROW(comm.recv(x, {1, 0}), CommError);
  EXPECT_THROW(comm.broadcast(x, {1}), CommError);
  EXPECT_THROW(comm.reduce_scatter(x, {{3}}), CommError);
}

TEST(Mesh, TokenParallelIsInnermost) {
  const Mesh mesh(8, 2, 2);
  EXPECT_EQ(mesh.dp(), 2);
  for (int64_t rank = 0; rank < 8; ++rank) {
    const MeshCoords c = mesh.coords(rank);
    EXPECT_EQ(c.tp, rank % 2) << "rank " << rank;
    EXPECT_EQ(c.dp, (rank / 2) % 2) << "rank " << rank;
    EXPECT_EQ(c.pp, rank / 4) << "rank " << rank;
    EXPECT_EQ(mesh.rank_of(c), rank) << "rank " << rank;
  }
  EXPECT_THROW(Mesh(6, 4, 1), Error);
}

}  // namespace
}  // namespace tf::parallel
