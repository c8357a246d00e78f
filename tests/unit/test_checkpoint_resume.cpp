// Trainer integration: exact resume, interval and final saves, refusal of a corrupt shard.
#include <gtest/gtest.h>

#include "checkpoint_test_util.h"
#include "checkpoint_tiny_config.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/model_tensors.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

using testing::error_of;
using testing::ScratchDir;
using testing::tiny_checkpoint_config;

const Logger kQuiet(1);  // a non-primary rank: info() prints nothing

std::vector<double> train(Trainer& trainer, int64_t until) {
  std::vector<double> losses;
  while (trainer.step() < until) losses.push_back(trainer.train_step().loss);
  return losses;
}

TEST(CheckpointResume, ResumedRunMatchesUninterruptedRunStepForStep) {
  ScratchDir root;
  LocalContext context;
  Trainer straight(tiny_checkpoint_config(), context, kQuiet);
  const std::vector<double> expected = train(straight, 40);

  const Config config = tiny_checkpoint_config({"checkpoint.dir=" + root.str()});
  std::vector<double> losses;
  {
    Trainer first(config, context, kQuiet);
    EXPECT_FALSE(first.resume_from_latest());
    losses = train(first, 20);
    first.save_checkpoint();
  }
  Trainer second(config, context, kQuiet);
  ASSERT_TRUE(second.resume_from_latest());
  EXPECT_EQ(second.step(), 20);
  EXPECT_EQ(second.samples_consumed(), 80);
  const std::vector<double> rest = train(second, 40);
  losses.insert(losses.end(), rest.begin(), rest.end());

  ASSERT_EQ(losses.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(losses[i], expected[i]) << "loss of step " << i + 1;
  }
  const auto a = model_tensors(straight.model());
  const auto b = model_tensors(second.model());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].param, b[i].param)) << a[i].name;
  }
}

TEST(CheckpointResume, RunSavesAtIntervalAndEndAndResumes) {
  ScratchDir root;
  LocalContext context;
  const auto config = [&](const std::string& steps) {
    return tiny_checkpoint_config({"checkpoint.dir=" + root.str(), "checkpoint.interval=4",
                                   "checkpoint.keep=2", "train.steps=" + steps});
  };
  const auto entries = [&] {
    auto names = list_directory(root.str());
    std::sort(names.begin(), names.end());
    return names;
  };
  Trainer(config("6"), context, kQuiet).run();
  EXPECT_EQ(entries(), (std::vector<std::string>{"step_4", "step_6"}));
  Trainer resumed(config("9"), context, kQuiet);
  resumed.run();
  EXPECT_EQ(resumed.step(), 9);
  EXPECT_EQ(entries(), (std::vector<std::string>{"step_8", "step_9"}));
}

TEST(CheckpointResume, CorruptShardIsRefusedNamingTheFile) {
  ScratchDir root;
  LocalContext context;
  const Config config =
      tiny_checkpoint_config({"checkpoint.dir=" + root.str(), "train.steps=2"});
  {
    Trainer trainer(config, context, kQuiet);
    train(trainer, 1);
    trainer.save_checkpoint();
    train(trainer, 2);
    trainer.save_checkpoint();
  }
  const std::string shard = root / "step_2/rank_00000.safetensors";
  std::string bytes = read_file(shard);
  bytes[bytes.size() / 2] ^= 0x01;
  write_file_synced(shard, bytes);
  Trainer trainer(config, context, kQuiet);
  const std::string message = error_of([&] { trainer.resume_from_latest(); });
  EXPECT_EQ(message.rfind(shard + ": checksum mismatch (crc32 ", 0), 0u) << message;
  EXPECT_NE(message.find("the file is corrupt; move " + (root / "step_2") + " out of " +
                         root.str() + " to resume from " + (root / "step_1") +
                         ", the complete checkpoint before it"),
            std::string::npos)
      << message;
}

TEST(CheckpointResume, AnotherModelIsRefusedWithBothModelsAndTheWaysOn) {
  ScratchDir root;
  LocalContext context;
  {
    Trainer trainer(tiny_checkpoint_config({"checkpoint.dir=" + root.str()}), context, kQuiet);
    trainer.save_checkpoint();
  }
  Trainer wider(tiny_checkpoint_config({"checkpoint.dir=" + root.str(), "model.ffn_tokens=48"}),
                context, kQuiet);
  const std::string dir = root / "step_0";
  EXPECT_EQ(error_of([&] { wider.resume_from_latest(); }),
            dir + " holds another model than this run's (they differ in ffn_tokens): the "
                  "checkpoint's has hidden_size 32, num_layers 2, num_heads 2, vocab_size 257, "
                  "qkv_tokens 16, proj_tokens 12, ffn_tokens 40; this run's has hidden_size 32, "
                  "num_layers 2, num_heads 2, vocab_size 257, qkv_tokens 16, proj_tokens 12, "
                  "ffn_tokens 48. To train this run's model, give it a new checkpoint.dir; to "
                  "start it from this checkpoint, set model.init_from: " +
                dir +
                " with a new checkpoint.dir (model.init_from grows a model with fewer parameter "
                "tokens; the other sizes must be the same)");
}

TEST(CheckpointResume, SavingAStepOnDiskAnswersItsPathWithoutWritingAgain) {
  ScratchDir root;
  LocalContext context;
  const Config config = tiny_checkpoint_config(
      {"checkpoint.dir=" + root.str(), "checkpoint.interval=1", "train.steps=3"});
  {
    Trainer trainer(config, context, kQuiet);
    train(trainer, 1);  // train_step alone does not save
    const std::string first = trainer.save_checkpoint();
    EXPECT_EQ(first, root / "step_1");
    const std::string manifest = read_file(root / "step_1/manifest.json");
    EXPECT_EQ(trainer.save_checkpoint(), first) << "a second save of step 1";
    EXPECT_EQ(read_file(root / "step_1/manifest.json"), manifest);
    trainer.run();  // saves steps 2 and 3 (checkpoint.interval) and nothing after the last
    EXPECT_EQ(trainer.save_checkpoint(), root / "step_3");
  }
  Trainer resumed(config, context, kQuiet);
  ASSERT_TRUE(resumed.resume_from_latest());
  EXPECT_EQ(resumed.save_checkpoint(), root / "step_3") << "the restored step is on disk";
}

}  // namespace
}  // namespace tf
