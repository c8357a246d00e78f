// A trainer restores from a checkpoint whose parameter tokens are split over two files, as another
// layout would have written it: loading follows the manifest's slices, not the saving layout.
#include <gtest/gtest.h>

#include <filesystem>

#include "checkpoint_test_util.h"
#include "checkpoint_tiny_config.h"
#include "core/checkpoint/checksum.h"
#include "core/checkpoint/directory.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/model_tensors.h"
#include "core/local_context.h"
#include "core/trainer/trainer.h"

namespace tf {
namespace {

using testing::ScratchDir;
using testing::tiny_checkpoint_config;

const Logger kQuiet(1);

// Rewrites `from` into `to`: every token matrix (and its moments) split in halves over a.st and
// b.st, everything else in a.st.
void split_in_two_files(const CheckpointReader& from, const std::string& to) {
  std::filesystem::create_directories(to);
  Manifest m = from.manifest();
  NamedTensors a, b;
  for (auto& [name, info] : m.tensors) {
    const torch::Tensor whole = from.tensor(name);
    const int64_t rows = info.shape[0], half = rows / 2;
    if (info.shape.size() == 2 && name.find("_tokens") != std::string::npos) {
      a.emplace_back(name, whole.narrow(0, 0, half));
      b.emplace_back(name, whole.narrow(0, half, rows - half));
      info.slices = {{"a.st", 0, half}, {"b.st", half, rows}};
    } else {
      a.emplace_back(name, whole);
      info.slices = {{"a.st", 0, rows}};
    }
  }
  m.file_crc32.clear();
  for (const auto& [file, tensors] : {std::pair{"a.st", a}, std::pair{"b.st", b}}) {
    const std::string bytes = encode_safetensors(tensors);
    write_file_synced(join_path(to, file), bytes);
    m.file_crc32[file] = crc32_hex(bytes);
  }
  const std::string manifest = manifest_to_json(m);
  write_file_synced(join_path(to, kManifestFile), manifest);
  write_marker(to, manifest);
}

TEST(CheckpointReshard, TrainerRestoresFromTokensSplitOverTwoFiles) {
  ScratchDir root;
  LocalContext context;
  Trainer original(tiny_checkpoint_config({"checkpoint.dir=" + (root / "one")}), context, kQuiet);
  for (int i = 0; i < 3; ++i) original.train_step();
  original.save_checkpoint();
  split_in_two_files(CheckpointReader(root / "one/step_3"), root / "two/step_3");

  Trainer restored(tiny_checkpoint_config({"checkpoint.dir=" + (root / "two")}), context, kQuiet);
  ASSERT_TRUE(restored.resume_from_latest());
  EXPECT_EQ(CheckpointReader(root / "two/step_3").manifest().tensors.at(
                "optim.blocks.1.mlp.value_tokens.exp_avg").slices.size(), 2u);
  const auto a = model_tensors(original.model());
  const auto b = model_tensors(restored.model());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].param, b[i].param)) << a[i].name;
  }
  // The optimizer state came along too: the next step is the same.
  EXPECT_EQ(restored.train_step().loss, original.train_step().loss);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::equal(a[i].param, b[i].param)) << a[i].name << " after one more step";
  }
}

}  // namespace
}  // namespace tf
