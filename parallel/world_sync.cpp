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

bool WorldCheckpointSync::all_succeeded(bool mine) {
  auto failures = torch::tensor({mine ? int64_t{0} : int64_t{1}}, torch::kInt64);
  world_.all_reduce(failures);
  return failures.item<int64_t>() == 0;
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
