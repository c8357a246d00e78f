#include "parallel/communicator.h"

#include <numeric>

namespace tf::parallel {

std::vector<int64_t> resolve_counts(const Communicator& comm, const char* op, int64_t total,
                                    const CountsOptions& options) {
  const int64_t size = comm.size();
  if (options.counts.empty()) {
    if (total % size != 0) {
      throw CommError(std::string(op) + " on rank " + std::to_string(comm.rank()) + ": " +
                      std::to_string(total) + " elements do not split evenly over " +
                      std::to_string(size) + " ranks; pass counts");
    }
    return std::vector<int64_t>(size, total / size);
  }
  const int64_t sum = std::accumulate(options.counts.begin(), options.counts.end(), int64_t{0});
  if (static_cast<int64_t>(options.counts.size()) != size || sum != total) {
    throw CommError(std::string(op) + " on rank " + std::to_string(comm.rank()) + ": " +
                    std::to_string(options.counts.size()) + " counts summing to " +
                    std::to_string(sum) + " for a group of " + std::to_string(size) + " and " +
                    std::to_string(total) + " elements");
  }
  return options.counts;
}

std::vector<int64_t> gather_counts(const Communicator& comm, const torch::Tensor& input,
                                   const CountsOptions& options) {
  if (options.counts.empty()) return std::vector<int64_t>(comm.size(), input.numel());
  if (static_cast<int64_t>(options.counts.size()) != comm.size() ||
      options.counts[comm.rank()] != input.numel()) {
    throw CommError(describe_call(comm, "all_gather", input) + ": " +
                    std::to_string(options.counts.size()) + " counts for a group of " +
                    std::to_string(comm.size()) + " do not match this rank's input");
  }
  return options.counts;
}

std::string describe_call(const Communicator& comm, const std::string& op,
                          const torch::Tensor& tensor) {
  std::string text = op + " on rank " + std::to_string(comm.rank()) + "/" +
                     std::to_string(comm.size()) + " [" + comm.backend() + "]";
  if (tensor.defined()) {
    text += ", dtype " + std::string(c10::toString(tensor.scalar_type())) + ", numel " +
            std::to_string(tensor.numel());
  }
  return text;
}

}  // namespace tf::parallel
