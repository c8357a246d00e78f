#include "launcher/control/rank_placement.h"

#include <algorithm>

#include "core/error.h"

namespace tf::control {
namespace {

constexpr int64_t kHostBytes = 255;
constexpr int64_t kDeviceBytes = 31;
constexpr int64_t kWidth = 1 + kHostBytes + kDeviceBytes;

// Bytes as values 0..255 of a float64 tensor (the dtype of the job's small agreements); 0 pads.
void put(const std::string& text, int64_t bytes, double* at) {
  const auto n = std::min<int64_t>(bytes, static_cast<int64_t>(text.size()));
  for (int64_t i = 0; i < n; ++i) at[i] = static_cast<unsigned char>(text[i]);
}

std::string take(const double* at, int64_t bytes) {
  std::string text;
  for (int64_t i = 0; i < bytes && at[i] != 0; ++i) text += static_cast<char>(int(at[i]));
  return text;
}

}  // namespace

std::vector<RankPlacement> gather_placements(JobAgreement& job, const RankPlacement& mine) {
  torch::Tensor row = torch::zeros({kWidth}, torch::kFloat64);
  double* at = row.data_ptr<double>();
  at[0] = static_cast<double>(mine.local_rank);
  put(mine.host, kHostBytes, at + 1);
  put(mine.device, kDeviceBytes, at + 1 + kHostBytes);
  const torch::Tensor all = job.gather_over_world(row).contiguous();
  TF_CHECK_EQ(all.numel() % kWidth, int64_t{0});
  std::vector<RankPlacement> ranks;
  const double* values = all.data_ptr<double>();
  for (int64_t r = 0; r < all.numel() / kWidth; ++r) {
    const double* v = values + r * kWidth;
    ranks.push_back({take(v + 1, kHostBytes), static_cast<int64_t>(v[0]),
                     take(v + 1 + kHostBytes, kDeviceBytes)});
  }
  return ranks;
}

}  // namespace tf::control
