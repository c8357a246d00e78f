#include "parallel/startup_agreement.h"

#include <torch/torch.h>

namespace tf::parallel {

AgreedError::AgreedError(const std::string& message, int rank, int world_size,
                         std::vector<int> failed)
    : Error(message),
      prints_here_(!failed.empty() && failed.front() == rank),
      world_size_(world_size),
      failed_(std::move(failed)) {}

std::string AgreedError::report(const char* program) const {
  std::string others;  // ranks that failed besides the one that prints, unless every rank did
  for (size_t i = 1; i < failed_.size() && static_cast<int>(failed_.size()) < world_size_; ++i) {
    others += (others.empty() ? "" : ", ") + std::to_string(failed_[i]);
  }
  return std::string(program) + ": rank " + std::to_string(failed_.front()) + ": error: " + what() +
         (others.empty() ? ""
                         : (failed_.size() == 2 ? " (rank " : " (ranks ") + others +
                               " failed as well)");
}

void agree_on_startup(Communicator& world, const std::function<void()>& body) {
  std::string failure;
  bool failed = false;
  try {
    body();
  } catch (const Error& e) {
    failure = e.what();
    failed = true;
  }
  const torch::Tensor all = world.all_gather(torch::tensor({failed ? int64_t{1} : int64_t{0}}, torch::kInt64));
  std::vector<int> failing;
  const int64_t* flags = all.data_ptr<int64_t>();
  for (int r = 0; r < world.size(); ++r) {
    if (flags[r] != 0) failing.push_back(r);
  }
  if (failing.empty()) return;
  throw AgreedError(failure, world.rank(), world.size(), std::move(failing));
}

}  // namespace tf::parallel
