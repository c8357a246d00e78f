#include "parallel/world_sync.h"

#include <cstring>

namespace tf::parallel {
namespace {

torch::Tensor to_bytes(const std::string& text) {
  auto t = torch::empty({static_cast<int64_t>(text.size())}, torch::kUInt8);
  if (!text.empty()) std::memcpy(t.data_ptr(), text.data(), text.size());
  return t;
}

}  // namespace

std::string WorldCheckpointSync::first_failure(const std::string& mine) {
  auto lengths = world_.all_gather(torch::tensor({static_cast<int64_t>(mine.size())}));
  const auto* length = lengths.data_ptr<int64_t>();
  for (int root = 0; root < world_.size(); ++root) {
    if (length[root] == 0) continue;
    torch::Tensor message =
        world_.rank() == root ? to_bytes(mine) : torch::empty({length[root]}, torch::kUInt8);
    world_.broadcast(message, BroadcastOptions{root});
    return std::string(reinterpret_cast<const char*>(message.data_ptr<uint8_t>()),
                       static_cast<size_t>(message.numel()));
  }
  return "";
}

std::vector<std::string> WorldCheckpointSync::gather(const std::string& mine) {
  auto lengths = world_.all_gather(torch::tensor({static_cast<int64_t>(mine.size())}));
  std::vector<int64_t> counts(lengths.data_ptr<int64_t>(),
                              lengths.data_ptr<int64_t>() + lengths.numel());
  const auto all = world_.all_gather(to_bytes(mine), CountsOptions{counts});
  if (world_.rank() != 0) return {};
  std::vector<std::string> out;
  const char* data = reinterpret_cast<const char*>(all.data_ptr<uint8_t>());
  for (int64_t n : counts) {
    out.emplace_back(data, static_cast<size_t>(n));
    data += n;
  }
  return out;
}

std::string broadcast_bytes(Communicator& world, const std::string& bytes) {
  auto length = torch::tensor({static_cast<int64_t>(bytes.size())});
  world.broadcast(length);
  auto payload =
      world.rank() == 0 ? to_bytes(bytes) : torch::empty({length.item<int64_t>()}, torch::kUInt8);
  world.broadcast(payload);
  return std::string(reinterpret_cast<const char*>(payload.data_ptr<uint8_t>()),
                     static_cast<size_t>(payload.numel()));
}

}  // namespace tf::parallel
