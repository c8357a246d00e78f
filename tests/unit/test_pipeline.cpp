// Pipeline parallelism's single-process parts: the layer split (balanced by cost, or by hand),
// the 1F1B and GPipe orders, and stage models that, chained by hand, are the whole model: the same
// initial and grown parameters, loss and gradients (the tied embedding's as the sum of its two
// copies'), under the same checkpoint names.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <map>

#include "checkpoint_test_util.h"
#include "core/checkpoint/model_tensors.h"
#include "core/config.h"
#include "core/error.h"
#include "core/growth.h"
#include "core/model.h"
#include "core/pipeline.h"
#include "core/stages.h"
#include "small_model.h"

namespace tf {
namespace {

ModelConfig four_layers() {
  ModelConfig m = testing::small_model();
  m.num_layers = 4;
  return m;
}

ParallelConfig pipeline(int64_t pp, std::vector<int64_t> layers = {}) {
  ParallelConfig p;
  p.pp = pp;
  p.pp_layers = std::move(layers);
  return p;
}

TEST(Stages, TheBatchSplitsIntoMicroBatchesPerDataParallelRank) {
  const Config config = parse_config("train: {global_batch: 16, micro_batch: 4}\n", "t.yaml");
  EXPECT_EQ(accumulation_steps(config, 1), 4);
  EXPECT_EQ(accumulation_steps(config, 2), 2);
  try {
    accumulation_steps(config, 3);
    FAIL() << "16 sequences were split over 3 data-parallel ranks";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "t.yaml: 'train.global_batch' (16) must be a multiple of micro_batch x "
                 "data-parallel size (4 x 3)");
  }
}

TEST(PipelineSplit, BalancesLayerCostAgainstEmbeddingAndHead) {
  ModelConfig m = four_layers();
  // A layer here costs 2·2·16·(3·6 + 5 + 12) + 4·8·16 = 2752 FLOPs per token, the head
  // 2·128·16 + 160 = 4256: the last stage takes fewer layers.
  EXPECT_EQ(split_layers(m, pipeline(2), "t.yaml"), (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(split_layers(m, pipeline(4), "t.yaml"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(split_layers(m, pipeline(1), "t.yaml"), (std::vector<int64_t>{4}));
  // Layers far costlier than the head: an even split.
  m.ffn_tokens = 4000;
  m.num_layers = 8;
  EXPECT_EQ(split_layers(m, pipeline(2), "t.yaml"), (std::vector<int64_t>{4, 4}));
  EXPECT_EQ(split_layers(m, pipeline(4), "t.yaml"), (std::vector<int64_t>{2, 2, 2, 2}));
}

TEST(PipelineSplit, ByHandIsCheckedAgainstTheModel) {
  const ModelConfig m = four_layers();
  EXPECT_EQ(split_layers(m, pipeline(2, {1, 3}), "t.yaml"), (std::vector<int64_t>{1, 3}));
  for (const auto& wrong : std::vector<std::vector<int64_t>>{{2, 1}, {4, 0}, {1, 1, 2}}) {
    try {
      split_layers(m, pipeline(2, wrong), "t.yaml");
      ADD_FAILURE() << "accepted a split of " << wrong.size() << " stages";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("t.yaml: 'parallel.pp_layers'"), std::string::npos)
          << e.what();
    }
  }
  try {
    split_layers(m, pipeline(5), "t.yaml");
    ADD_FAILURE() << "accepted more stages than layers";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'parallel.pp' (5) must not exceed model.num_layers (4)"),
              std::string::npos)
        << e.what();
  }
}

TEST(PipelineSplit, ConfigKeysAndTheirErrors) {
  const std::string yaml =
      "model: {num_layers: 4}\nparallel: {pp: 2, pp_layers: [1, 3], pp_schedule: gpipe}\n";
  const Config c = parse_config(yaml, "p.yaml");
  EXPECT_EQ(c.parallel.pp_layers, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(c.parallel.pp_schedule, PipelineSchedule::kGPipe);
  const Config again = parse_config(to_yaml(c), "again.yaml");
  EXPECT_EQ(again.parallel.pp_layers, c.parallel.pp_layers);
  EXPECT_EQ(again.parallel.pp_schedule, PipelineSchedule::kGPipe);
  const auto error_of = [](const std::string& text) {
    try {
      parse_config(text, "p.yaml");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(error_of("model: {num_layers: 4}\nparallel: {pp: 2, pp_layers: [4]}\n")
                .find("parallel.pp_layers"),
            std::string::npos);
  EXPECT_NE(error_of("model: {num_layers: 4}\nparallel: {pp: 2, pp_layers: [2, 1]}\n")
                .find("add up to model.num_layers (4)"),
            std::string::npos);
  EXPECT_NE(error_of("model: {num_layers: 4}\nparallel: {pp: 2, pp_layers: [a, 3]}\n")
                .find("cannot read item 1"),
            std::string::npos);
  EXPECT_NE(error_of("parallel: {pp_schedule: zigzag}\n").find("'zigzag' is not one of"),
            std::string::npos);
  // A stage that changes pp without its own split gets the balanced one.
  const Config staged = parse_config(
      "model: {num_layers: 4}\nparallel: {pp: 2, pp_layers: [1, 3]}\n"
      "stages: [{name: a, steps: 1, qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 8},\n"
      "         {name: b, steps: 1, qkv_tokens: 16, proj_tokens: 8, ffn_tokens: 8,\n"
      "          parallel: {pp: 4}}]\n",
      "s.yaml");
  EXPECT_EQ(staged.stages[0].parallel.pp_layers, (std::vector<int64_t>{1, 3}));
  EXPECT_TRUE(staged.stages[1].parallel.pp_layers.empty());
}

TEST(PipelineSplit, EachLayoutIsBalancedAtItsFirstStage) {
  // Layers cheap at first (the head weighs most), far costlier after growth; the last stage
  // changes the layout.
  const Config c = parse_config(
      "model: {hidden_size: 16, num_layers: 8, num_heads: 2, seq_len: 8, vocab_size: 50}\n"
      "parallel: {pp: 2}\n"
      "stages:\n"
      "  - {name: a, steps: 1, qkv_tokens: 4, proj_tokens: 4, ffn_tokens: 4}\n"
      "  - {name: b, steps: 1, qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 8}\n"
      "  - {name: c, steps: 1, qkv_tokens: 800, proj_tokens: 800, ffn_tokens: 3200,\n"
      "     parallel: {pp: 2, zero1: true}}\n",
      "chain.yaml");
  const std::vector<Stage> stages = plan_stages(c);
  const std::vector<int64_t> first = layer_split(c, stages[0].parallel);
  EXPECT_EQ(layer_split(c, stages[1].parallel), first);  // grows in place: the same split
  EXPECT_GT(first[0], first[1]);                         // the head stage holds fewer layers
  EXPECT_EQ(layer_split(c, stages[2].parallel), (std::vector<int64_t>{4, 4}));
}

TEST(ChainJobs, ANewJobWhereTheLayoutChanges) {
  const Config c = parse_config(
      "model: {num_layers: 4}\n"
      "stages:\n"
      "  - {name: a, steps: 1, qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 8}\n"
      "  - {name: b, steps: 1, qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 16}\n"
      "  - {name: c, steps: 1, qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 16,\n"
      "     parallel: {tp: 2, dp: 4}}\n"
      "  - {name: d, steps: 1, qkv_tokens: 32, proj_tokens: 16, ffn_tokens: 16,\n"
      "     parallel: {tp: 2}}\n",
      "chain.yaml");
  const std::vector<ChainJob> unknown = plan_jobs(c, 0);
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown[0].first, 0u);
  EXPECT_EQ(unknown[0].last, 1u);
  EXPECT_EQ(unknown[0].ranks, 0);  // dp 0 and no world size given
  EXPECT_EQ(unknown[1].first, 2u);
  EXPECT_EQ(unknown[1].last, 3u);  // dp 0 runs on in the world of dp 4
  EXPECT_EQ(unknown[1].ranks, 8);
  const std::vector<ChainJob> known = plan_jobs(c, 8);
  ASSERT_EQ(known.size(), 2u);
  EXPECT_EQ(known[0].ranks, 8);
  EXPECT_EQ(known[0].parallel.dp, 8);
}

TEST(ChainJobs, AWorldSizeThatALayoutCannotUseIsRefused) {
  const Config c = parse_config(
      "model: {num_layers: 4}\n"
      "stages:\n"
      "  - {name: a, steps: 1, qkv_tokens: 8, proj_tokens: 8, ffn_tokens: 8}\n"
      "  - {name: b, steps: 1, qkv_tokens: 16, proj_tokens: 16, ffn_tokens: 16,\n"
      "     parallel: {tp: 2, pp: 2}}\n",
      "chain.yaml");
  EXPECT_EQ(plan_jobs(c, 8)[1].parallel.dp, 2);
  // 6 ranks suit stage a (tp 1) but not stage b (tp x pp = 4): refused, rather than dp 1.
  EXPECT_EQ(testing::error_of([&] { plan_jobs(c, 6); }),
            "chain.yaml: stage 'b' runs at tp 2 x pp 2, which does not fit the 6 ranks of this "
            "job: launch it with a multiple of 4 ranks");
}

TEST(PipelineSplit, TextNamesEachStage) {
  EXPECT_EQ(split_text({3, 1}), "pp rank 0: layers 0-2 + embedding | pp rank 1: layer 3 + head");
  EXPECT_EQ(split_text({2}), "pp rank 0: layers 0-1 + embedding + head");
}

// Each micro batch goes forward once and then backward once; returns the most micro batches
// alive (forward done, backward not yet) at any point.
int64_t check_order(const std::vector<PipelineStep>& order, int64_t micro_batches) {
  std::map<int64_t, int> state;  // 1: forward done, 2: backward done
  int64_t alive = 0, most = 0;
  for (const PipelineStep& s : order) {
    if (s.pass == Pass::kForward) {
      EXPECT_EQ(state[s.micro], 0) << "forward of " << s.micro << " twice";
      state[s.micro] = 1;
      most = std::max(most, ++alive);
    } else {
      EXPECT_EQ(state[s.micro], 1) << "backward of " << s.micro << " before its forward";
      state[s.micro] = 2;
      --alive;
    }
  }
  EXPECT_EQ(static_cast<int64_t>(order.size()), 2 * micro_batches);
  for (int64_t i = 0; i < micro_batches; ++i) EXPECT_EQ(state[i], 2) << "micro batch " << i;
  return most;
}

TEST(PipelineSchedule, OneForwardOneBackwardKeepsAtMostTheStagesAheadAlive) {
  for (const int64_t stages : {1, 2, 4}) {
    for (const int64_t m : {1, 3, 4, 8}) {
      for (int64_t s = 0; s < stages; ++s) {
        SCOPED_TRACE("stage " + std::to_string(s) + " of " + std::to_string(stages) + ", " +
                     std::to_string(m) + " micro batches");
        const auto order = one_f_one_b(stages, s, m);
        EXPECT_EQ(check_order(order, m), std::min(stages - s, m));
        // Warm-up forwards, then backwards in micro-batch order.
        const int64_t warmup = std::min(stages - s - 1, m);
        for (int64_t i = 0; i <= warmup && i < m; ++i) {
          EXPECT_EQ(order[i].pass, Pass::kForward);
          EXPECT_EQ(order[i].micro, i);
        }
        int64_t next_backward = 0;
        for (const PipelineStep& step : order) {
          if (step.pass == Pass::kBackward) {
            EXPECT_EQ(step.micro, next_backward++);
          }
        }
      }
    }
  }
  // The steady state alternates: stage 0 of 2, 4 micro batches.
  const auto order = one_f_one_b(2, 0, 4);
  std::string text;
  for (const PipelineStep& s : order)
    text += (s.pass == Pass::kForward ? "F" : "B") + std::to_string(s.micro) + " ";
  EXPECT_EQ(text, "F0 F1 B0 F2 B1 F3 B2 B3 ");
}

TEST(PipelineSchedule, GPipeKeepsEveryMicroBatchAlive) { EXPECT_EQ(check_order(gpipe(6), 6), 6); }

// The whole model's parameters by name, and a stage's.
std::map<std::string, torch::Tensor> by_name(const TokenFormer& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& item : model->named_parameters()) out[item.key()] = item.value();
  return out;
}

TEST(PipelineStages, ChainedStagesAreTheWholeModel) {
  const ModelConfig m = four_layers();
  const std::vector<int64_t> split{1, 2, 1};
  const TokenParallelOps ops;
  TokenFormer whole(m);
  whole->init_parameters(11);
  std::vector<TokenFormer> stages;
  for (int64_t s = 0; s < 3; ++s) {
    stages.emplace_back(m, 1, 0, pipeline_layers(split, s));
    stages.back()->init_parameters(11);
  }
  // Initial parameters: drawn by global position.
  const auto expected = by_name(whole);
  size_t held = 0;
  for (const TokenFormer& stage : stages) {
    for (const auto& [name, value] : by_name(stage)) {
      ASSERT_TRUE(expected.count(name)) << name;
      EXPECT_TRUE(torch::equal(value, expected.at(name))) << name;
      held += name == "embedding" && !stage->pipeline_layers().embeds ? 0 : 1;
    }
  }
  EXPECT_EQ(held, expected.size());
  EXPECT_FALSE(stages[1]->embedding.defined());
  EXPECT_TRUE(stages[2]->embedding.defined());

  // Loss and gradients through the chain, activations handed on by hand.
  const torch::Tensor samples = torch::randint(0, m.vocab_size, {2, m.seq_len + 1}, torch::kInt64);
  const torch::Tensor inputs = samples.narrow(1, 0, m.seq_len);
  const torch::Tensor targets = samples.narrow(1, 1, m.seq_len);
  whole->loss(samples, ops).backward();
  std::vector<torch::Tensor> sent, received;
  torch::Tensor h = stages[0]->run_blocks(stages[0]->embed(inputs), ops);
  for (int64_t s = 1; s < 3; ++s) {
    sent.push_back(h);
    received.push_back(h.detach().requires_grad_(true));
    h = stages[s]->run_blocks(received.back(), ops);
  }
  const torch::Tensor loss = stages[2]->head_loss(h, targets);
  EXPECT_NEAR(loss.item<double>(), whole->loss(samples, ops).item<double>(), 1e-6);
  loss.backward();
  for (int64_t s = 1; s >= 0; --s) sent[s].backward(received[s].grad());
  const auto whole_grads = by_name(whole);
  for (const TokenFormer& stage : stages) {
    for (const auto& [name, value] : by_name(stage)) {
      if (name == "embedding") continue;
      EXPECT_TRUE(torch::allclose(value.grad(), whole_grads.at(name).grad(), 1e-5, 1e-7)) << name;
    }
  }
  const torch::Tensor tied = stages[0]->embedding.grad() + stages[2]->embedding.grad();
  EXPECT_TRUE(torch::allclose(tied, whole->embedding.grad(), 1e-5, 1e-7));
}

TEST(PipelineStages, GrowAndNameByGlobalLayer) {
  const ModelConfig m = four_layers();
  const std::vector<int64_t> split{3, 1};
  TokenFormer whole(m);
  whole->init_parameters(3);
  TokenFormer last(m, 1, 0, pipeline_layers(split, 1));
  last->init_parameters(3);
  const TokenCounts grown{9, 7, 20};
  grow_model(*whole, grown, GrowthPolicy::kNormal, 3, 1);
  grow_model(*last, grown, GrowthPolicy::kNormal, 3, 1);
  const auto expected = by_name(whole);
  for (const auto& [name, value] : by_name(last)) {
    EXPECT_TRUE(torch::equal(value, expected.at(name))) << name;
  }
  std::vector<std::string> names;
  for (const ModelTensor& t : model_tensors(last)) names.push_back(t.name);
  EXPECT_EQ(names.front(), "embedding");
  EXPECT_NE(std::find(names.begin(), names.end(), "blocks.3.mlp.value_tokens"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "blocks.0.mlp.value_tokens"), names.end());
  EXPECT_EQ(names.back(), "final_norm.bias");
  EXPECT_EQ(last->first_pattention(), 15);
}

}  // namespace
}  // namespace tf
