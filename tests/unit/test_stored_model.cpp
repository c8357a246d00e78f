// A checkpoint of another model is refused by saying so: both models' sizes under their config
// keys, the keys that differ and what to do, for a resume and for model.init_from.
#include <gtest/gtest.h>

#include "checkpoint_test_util.h"
#include "checkpoint_tiny_config.h"
#include "core/checkpoint/stored_model.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

using testing::error_of;
using testing::ScratchDir;
using testing::tiny_checkpoint_config;

const Logger kQuiet(1);

// Saves step 0 of the tiny model (with `sets`) under `root`; returns its directory.
std::string saved_tiny(const ScratchDir& root, std::vector<std::string> sets = {}) {
  LocalContext context;
  sets.push_back("checkpoint.dir=" + root.str());
  Trainer trainer(tiny_checkpoint_config(sets), context, kQuiet);
  return trainer.save_checkpoint();
}

TEST(StoredModel, SizesComeFromTheManifest) {
  ScratchDir root;
  const std::string dir = saved_tiny(root, {"model.num_heads=4", "model.vocab_size=300"});
  const ModelSizes sizes = stored_model_sizes(CheckpointReader(dir));
  EXPECT_EQ(to_text(sizes),
            "hidden_size 32, num_layers 2, num_heads 4, vocab_size 300, qkv_tokens 16, "
            "proj_tokens 12, ffn_tokens 40");
  EXPECT_EQ(sizes.embedding_rows, 384);
}

TEST(StoredModel, AResumeOfAnotherWidthNamesBothModelsAndBothKeys) {
  ScratchDir root;
  saved_tiny(root);
  LocalContext context;
  Trainer wider(tiny_checkpoint_config({"checkpoint.dir=" + root.str(), "model.hidden_size=64",
                                        "model.num_layers=3"}),
                context, kQuiet);
  const std::string message = error_of([&] { wider.resume_from_latest(); });
  EXPECT_NE(message.find(root / "step_0" + " holds another model than this run's (they differ "
                                           "in hidden_size, num_layers)"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("the checkpoint's has hidden_size 32, num_layers 2,"), std::string::npos)
      << message;
  EXPECT_NE(message.find("this run's has hidden_size 64, num_layers 3,"), std::string::npos)
      << message;
  EXPECT_NE(message.find("a new checkpoint.dir"), std::string::npos) << message;
  EXPECT_NE(message.find("model.init_from: " + root / "step_0"), std::string::npos) << message;
}

TEST(StoredModel, InitFromAnotherWidthSaysOnlyTokensMayDiffer) {
  ScratchDir root;
  const std::string dir = saved_tiny(root);
  LocalContext context;
  const std::string message = error_of([&] {
    Trainer(tiny_checkpoint_config({"model.init_from=" + dir, "model.hidden_size=64"}), context,
            kQuiet);
  });
  EXPECT_NE(message.find(dir + " holds another model than this run's (they differ in "
                               "hidden_size): the checkpoint's has hidden_size 32,"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("this run's has hidden_size 64,"), std::string::npos) << message;
  EXPECT_NE(message.find("model.init_from may hold fewer parameter tokens"), std::string::npos)
      << message;
}

TEST(StoredModel, TheSameModelPasses) {
  ScratchDir root;
  const std::string dir = saved_tiny(root);
  EXPECT_NO_THROW(check_holds_model(CheckpointReader(dir), tiny_checkpoint_config().model, ""));
}

}  // namespace
}  // namespace tf
