// Every rank's host, local rank, device and last step time: gathered by the ControlLoop at the same
// steps on every rank, shown by the status (tf-ctl status) and the metrics.
#include <gtest/gtest.h>

#include <prometheus/metric_family.h>

#include "core/config.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"
#include "launcher/control/control_loop.h"
#include "launcher/control/ctl_output.h"
#include "launcher/control/rank_placement.h"
#include "launcher/control/status_board.h"
#include "launcher/control/training_metrics.h"

namespace tf::control {
namespace {

Config run_config(int64_t steps, int64_t log_interval, bool metrics) {
  Config config = parse_config(
      "model: {hidden_size: 32, num_layers: 1, num_heads: 2, qkv_tokens: 32, proj_tokens: 32,\n"
      "        ffn_tokens: 64, seq_len: 16, vocab_size: 257}\n"
      "train: {steps: " +
          std::to_string(steps) + ", log_interval: " + std::to_string(log_interval) +
          ", global_batch: 2, micro_batch: 2, eval_interval: 0, eval_batches: 1}\n"
          "data: {synthetic: {documents: 50, doc_len: 64}}\n",
      "inline.yaml");
  config.control.address = "127.0.0.1:0";  // the loop only reads whether it is set
  if (metrics) config.metrics.address = "127.0.0.1:0";
  return config;
}

// Counts the gathers and the steps they come after.
class CountingContext : public LocalContext {
 public:
  torch::Tensor gather_over_world(const torch::Tensor& values) override {
    gathers.push_back(values.numel());
    return LocalContext::gather_over_world(values);
  }
  std::vector<int64_t> gathers;  // the length of each
};

TEST(RankFigures, TheStatusListsEveryRankGatheredEveryLogInterval) {
  const Config config = run_config(5, 2, false);
  CountingContext context;
  const Logger log(1);
  StatusBoard board(v1::Status{});
  ControlLoop loop(config, context, log, {}, nullptr, &board, nullptr, {"node7", 0, "cpu"});
  TrainerCollaborators with;
  with.observer = &loop;
  Trainer trainer(config, context, log, with);
  trainer.run();
  // The placement once (one wide row), then the figures (4 values) after steps 1, 2 and 4.
  ASSERT_EQ(context.gathers.size(), 4u);
  EXPECT_GT(context.gathers[0], 4);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(context.gathers[i], 4);
  const v1::Status status = board.status();
  ASSERT_EQ(status.ranks_size(), 1);
  EXPECT_EQ(status.ranks(0).rank(), 0);
  EXPECT_EQ(status.ranks(0).host(), "node7");
  EXPECT_EQ(status.ranks(0).local_rank(), 0);
  EXPECT_EQ(status.ranks(0).device(), "cpu");
  EXPECT_GT(status.ranks(0).step_seconds(), 0);
}

TEST(RankFigures, WithoutAServerOrMetricsNothingIsGathered) {
  Config config = run_config(3, 1, false);
  config.control.address.clear();
  CountingContext context;
  const Logger log(1);
  ControlLoop loop(config, context, log, {}, nullptr, nullptr, nullptr, {"node7", 0, "cpu"});
  TrainerCollaborators with;
  with.observer = &loop;
  Trainer(config, context, log, with).run();
  EXPECT_TRUE(context.gathers.empty());
}

TEST(RankFigures, PlacementsSurviveTheGather) {
  LocalContext context;
  const auto ranks = gather_placements(context, {std::string(300, 'h'), 3, "cuda:3"});
  ASSERT_EQ(ranks.size(), 1u);
  EXPECT_EQ(ranks[0].host, std::string(255, 'h'));  // cut, not overflowing into the device
  EXPECT_EQ(ranks[0].local_rank, 3);
  EXPECT_EQ(ranks[0].device, "cuda:3");
}

TEST(RankFigures, TheMetricsLabelEachRanksStepTimeWithItsHost) {
  const Config config = run_config(1, 1, true);
  LocalContext context;
  TrainingMetrics metrics(config, context);
  metrics.on_rank_figures({{0.5, 1e6, -1, -1, "node1"}, {0.75, 1e6, -1, -1, "node2"}});
  bool found = false;
  for (const prometheus::MetricFamily& family : metrics.registry()->Collect()) {
    if (family.name != "tokenformer_rank_step_seconds") continue;
    for (const prometheus::ClientMetric& m : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& l : m.label) labels[l.name] = l.value;
      if (labels["rank"] == "1") {
        EXPECT_EQ(labels["host"], "node2");
        EXPECT_EQ(m.gauge.value, 0.75);
        found = true;
      }
    }
  }
  EXPECT_TRUE(found) << "no step time of rank 1";
}

TEST(RankFigures, TfCtlPrintsOneLinePerRank) {
  v1::Status status;
  for (int r = 0; r < 2; ++r) {
    v1::RankStatus* rank = status.add_ranks();
    rank->set_rank(r);
    rank->set_host(r == 0 ? "node1" : "node2");
    rank->set_local_rank(0);
    rank->set_device("cuda:0");
    rank->set_step_seconds(r == 0 ? 0.25 : 0.5);
  }
  const std::string text = human_status(status);
  EXPECT_NE(text.find("ranks       rank 0 on node1, local rank 0, cuda:0: last step 0.250 s\n"
                      "            rank 1 on node2, local rank 0, cuda:0: last step 0.500 s\n"),
            std::string::npos)
      << text;
  const std::string json = to_json(status);
  EXPECT_NE(json.find("\"host\":\"node2\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"step_seconds\":0.5"), std::string::npos) << json;
  EXPECT_EQ(human_status(v1::Status{}).find("ranks"), std::string::npos);
}

}  // namespace
}  // namespace tf::control
