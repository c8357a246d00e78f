// Blends follow their weights, and each source is read in its own order without repeats.
#include <gtest/gtest.h>

#include "core/data/blend.h"
#include "core/error.h"

namespace tf {
namespace {

// Sample i of source k is the row [k, i]: shows which source and index a blended sample came from.
class LabelledSource : public BatchSource {
 public:
  explicit LabelledSource(int64_t label) : label_(label) {}
  torch::Tensor samples(int64_t first, int64_t count) const override {
    auto out = torch::empty({count, 2}, torch::kInt64);
    for (int64_t i = 0; i < count; ++i) {
      out[i][0] = label_;
      out[i][1] = first + i;
    }
    return out;
  }
  int64_t epoch_size() const override { return 1000; }

 private:
  int64_t label_;
};

std::vector<std::shared_ptr<BatchSource>> labelled_sources(int n) {
  std::vector<std::shared_ptr<BatchSource>> sources;
  for (int k = 0; k < n; ++k) sources.push_back(std::make_shared<LabelledSource>(k));
  return sources;
}

TEST(BlendedSource, FollowsWeightsWithinOnePercentOn100kSamples) {
  const std::vector<double> weights{0.5, 0.3, 0.15, 0.05};
  const BlendedSource blend(labelled_sources(4), weights, 1234, "data.train");
  std::vector<int64_t> count(4, 0);
  for (int64_t i = 0; i < 100000; ++i) ++count[blend.locate(i).first];
  for (size_t k = 0; k < 4; ++k) {
    const double share = static_cast<double>(count[k]) / 100000;
    EXPECT_NEAR(share / weights[k], 1.0, 0.01) << "source " << k << " got " << count[k];
  }
}

// Over whole blocks every source's indices run 0, 1, 2, ... without repeats or gaps.
TEST(BlendedSource, ReadsEachSourceInOrderWithoutRepeatsOrGaps) {
  const BlendedSource blend(labelled_sources(3), {2, 1, 1}, 99, "data.train");
  constexpr int64_t kSamples = 2 * BlendedSource::kBlock;
  std::vector<std::vector<bool>> seen(3, std::vector<bool>(kSamples, false));
  for (int64_t i = 0; i < kSamples; ++i) {
    const auto [source, within] = blend.locate(i);
    ASSERT_LT(source, 3u) << "sample " << i;
    ASSERT_LT(within, kSamples) << "sample " << i;
    ASSERT_FALSE(seen[source][within]) << "sample " << i << " repeats " << source << ":" << within;
    seen[source][within] = true;
  }
  const std::vector<int64_t> expected{kSamples / 2, kSamples / 4, kSamples / 4};
  for (size_t k = 0; k < 3; ++k) {
    for (int64_t j = 0; j < kSamples; ++j) {
      ASSERT_EQ(seen[k][j], j < expected[k]) << "source " << k << " index " << j;
    }
  }
}

TEST(BlendedSource, SamplesComeFromTheLocatedSource) {
  const BlendedSource blend(labelled_sources(3), {1, 2, 3}, 7, "data.train");
  const torch::Tensor rows = blend.samples(70000, 50);
  for (int64_t i = 0; i < 50; ++i) {
    const auto [source, within] = blend.locate(70000 + i);
    EXPECT_EQ(rows[i][0].item<int64_t>(), static_cast<int64_t>(source)) << "sample " << i;
    EXPECT_EQ(rows[i][1].item<int64_t>(), within) << "sample " << i;
  }
}

TEST(BlendedSource, TooSmallAWeightIsAnError) {
  try {
    BlendedSource(labelled_sources(2), {1, 1e-6}, 7, "data.train");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "data.train[1]: weight 1e-06 is below 1/65536 of the total weight 1");
  }
}

TEST(BlendedSource, WeightsWhoseSumOverflowsAreAnError) {
  try {
    BlendedSource(labelled_sources(2), {1.5e308, 1.5e308}, 7, "data.train");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "data.train: the weights add up to more than a double holds; only their ratios "
                 "matter, so scale them down");
  }
}

}  // namespace
}  // namespace tf
