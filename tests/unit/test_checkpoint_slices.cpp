// Loading assembles tensors from the slices a manifest names, whatever layout wrote them.
#include <gtest/gtest.h>

#include "checkpoint_test_util.h"
#include "core/checkpoint/checksum.h"
#include "core/checkpoint/directory.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/reader.h"
#include "core/checkpoint/safetensors.h"

namespace tf {
namespace {

using testing::error_of;
using testing::ScratchDir;

// Writes a checkpoint by hand: `files` maps file name to its tensors; `tensors` is the manifest's
// description of them.
void write_by_hand(const std::string& dir, const std::map<std::string, NamedTensors>& files,
                   const std::map<std::string, TensorInfo>& tensors) {
  Manifest m;
  m.run.step = 5;
  m.run.stage = "base";
  for (const auto& [name, content] : files) {
    const std::string bytes = encode_safetensors(content);
    write_file_synced(join_path(dir, name), bytes);
    m.file_crc32[name] = crc32_hex(bytes);
  }
  m.tensors = tensors;
  const std::string manifest = manifest_to_json(m);
  write_file_synced(join_path(dir, kManifestFile), manifest);
  write_marker(dir, manifest);
}

class Slices : public ::testing::Test {
 protected:
  // A [6, 3] key-token matrix split 2 + 4 rows over two files, plus a replicated tensor.
  void SetUp() override {
    write_by_hand(dir_.str(),
                  {{"a.safetensors", {{"keys", whole_.narrow(0, 0, 2)}, {"norm", norm_}}},
                   {"b.safetensors", {{"keys", whole_.narrow(0, 2, 4)}}}},
                  {{"keys", {"F32", {6, 3}, {{"a.safetensors", 0, 2}, {"b.safetensors", 2, 6}}}},
                   {"norm", {"F32", {3}, {{"a.safetensors", 0, 3}}}}});
  }
  ScratchDir dir_;
  torch::Tensor whole_ = torch::arange(18, torch::kFloat32).reshape({6, 3});
  torch::Tensor norm_ = torch::tensor({0.5f, 1.5f, 2.5f});
};

TEST_F(Slices, AssemblesWholeTensorsAndAnyRowRange) {
  CheckpointReader reader(dir_.str());
  EXPECT_TRUE(torch::equal(reader.tensor("keys"), whole_));
  EXPECT_TRUE(torch::equal(reader.tensor("norm"), norm_));
  // Rows of another layout: three ranks of two rows each, the middle one straddling both files.
  for (int64_t r = 0; r < 3; ++r) {
    EXPECT_TRUE(torch::equal(reader.rows("keys", 2 * r, 2 * r + 2), whole_.narrow(0, 2 * r, 2)))
        << "rank " << r;
  }
  EXPECT_TRUE(torch::equal(reader.rows("keys", 1, 5), whole_.narrow(0, 1, 4)));
  EXPECT_EQ(reader.rows("keys", 3, 3).sizes(), torch::IntArrayRef({0, 3}));
  reader.verify_all();
}

TEST_F(Slices, MissingRowsAndUnknownTensorsAreErrors) {
  write_by_hand(dir_.str(), {{"a.safetensors", {{"keys", whole_.narrow(0, 0, 2)}}}},
                {{"keys", {"F32", {6, 3}, {{"a.safetensors", 0, 2}}}}});
  CheckpointReader reader(dir_.str());
  EXPECT_EQ(error_of([&] { reader.rows("keys", 1, 4); }),
            dir_.str() + ": tensor 'keys': slices cover 1 of rows [1, 4)");
  EXPECT_EQ(error_of([&] { reader.tensor("values"); }),
            dir_ / "manifest.json" + ": no tensor 'values' in the checkpoint");
}

TEST_F(Slices, ShapeDisagreementNamesFileAndTensor) {
  write_by_hand(dir_.str(), {{"a.safetensors", {{"keys", whole_.narrow(0, 0, 3)}}}},
                {{"keys", {"F32", {6, 3}, {{"a.safetensors", 0, 2}}}}});
  EXPECT_EQ(error_of([&] { CheckpointReader(dir_.str()).rows("keys", 0, 2); }),
            dir_ / "a.safetensors" + ": tensor 'keys' is F32 [3, 3], the manifest says F32 [2, 3]");
}

TEST_F(Slices, OverlappingSlicesAreRejected) {
  write_by_hand(dir_.str(), {{"a.safetensors", {{"keys", whole_}}}},
                {{"keys", {"F32", {6, 3}, {{"a.safetensors", 0, 4}, {"a.safetensors", 3, 6}}}}});
  EXPECT_EQ(error_of([&] { CheckpointReader reader(dir_.str()); }),
            dir_ / "manifest.json" +
                ": 'tensors.keys': slices in a.safetensors and a.safetensors overlap");
}

TEST_F(Slices, CorruptByteIsRefusedNamingTheFile) {
  const std::string path = dir_ / "b.safetensors";
  std::string bytes = read_file(path);
  bytes[bytes.size() - 3] ^= 0x10;
  write_file_synced(path, bytes);
  CheckpointReader reader(dir_.str());
  EXPECT_TRUE(torch::equal(reader.rows("keys", 0, 2), whole_.narrow(0, 0, 2)));  // file a is fine
  const std::string message = error_of([&] { reader.rows("keys", 0, 6); });
  EXPECT_EQ(message.rfind(path + ": checksum mismatch (crc32 ", 0), 0u) << message;
}

TEST_F(Slices, EditedManifestDisagreesWithMarker) {
  const std::string path = dir_ / "manifest.json";
  std::string text = read_file(path);
  text.replace(text.find("\"step\": 5"), 9, "\"step\": 6");
  write_file_synced(path, text);
  EXPECT_EQ(error_of([&] { CheckpointReader reader(dir_.str()); }),
            path + ": checksum does not match the one recorded in " + (dir_ / "COMPLETE") +
                " (corrupt manifest)");
}

TEST(Manifest, RefusesShapesWhoseSizeOverflows) {
  Manifest m;
  m.file_crc32["a.safetensors"] = "00000000";
  m.tensors["keys"] = {"F32", {int64_t{1} << 40, int64_t{1} << 40}, {{"a.safetensors", 0, 0}}};
  EXPECT_EQ(error_of([&] { manifest_from_json(manifest_to_json(m), "m.json"); }),
            "m.json: 'tensors.keys': shape [1099511627776, 1099511627776] has a negative "
            "dimension or more elements than fit in 64 bits");
}

TEST(Manifest, RefusesNegativeCountsAndEmptyLayouts) {
  Manifest m;
  m.run.stage_index = -1;  // would index the config's stages from the end
  EXPECT_EQ(error_of([&] { manifest_from_json(manifest_to_json(m), "m.json"); }),
            "m.json: manifest field 'stage.index' is -1, which is negative");
  m.run.stage_index = 0;
  m.run.layout.tp = 0;
  EXPECT_EQ(error_of([&] { manifest_from_json(manifest_to_json(m), "m.json"); }),
            "m.json: manifest field 'layout.tp' is 0; a layout has at least 1");
  m.run.layout.tp = 1;
  EXPECT_EQ(manifest_from_json(manifest_to_json(m), "m.json").run.layout.tp, 1);
}

}  // namespace
}  // namespace tf
