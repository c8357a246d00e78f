#include "launcher/hf_export.h"

#include <nlohmann/json.hpp>

#include "core/checkpoint/checksum.h"
#include "core/checkpoint/directory.h"
#include "core/checkpoint/file_io.h"
#include "core/config.h"
#include "core/error.h"
#include "core/tokenizer/tokenizer.h"
#include "launcher/embedded_files.h"

namespace tf {

HfExtras hf_export_files(const CheckpointReader& checkpoint, const std::string& tokenizer) {
  HfExtras extras;
  for (size_t i = 0; i < kHfModelFiles_count; ++i) {
    extras.files.emplace_back(kHfModelFiles[i].name, kHfModelFiles[i].bytes);
  }
  const RunState& run = checkpoint.manifest().run;
  const Config config =
      parse_config(run.config_yaml, join_path(checkpoint.directory(), kManifestFile));
  // The data record is absent in checkpoints older than it; their config has the tokenizer too.
  const std::string recorded = run.data ? run.data->tokenizer : config.data.tokenizer;
  if (recorded == "byte") {
    if (!tokenizer.empty()) {
      throw Error("--tokenizer " + tokenizer + ": " + checkpoint.directory() +
                  " was trained with the byte tokenizer, which has no tokenizer.json");
    }
    return extras;
  }
  const std::string path = tokenizer.empty() ? recorded : tokenizer;
  if (!tokenizer.empty() && !path_exists(path))
    throw Error("--tokenizer " + path + ": no such file");
  if (!path_exists(path)) {
    throw Error(path + ": the tokenizer " + checkpoint.directory() +
                " records (data.tokenizer) is not there; give its path with --tokenizer PATH");
  }
  const std::string bytes = read_file(path);
  const std::string checksum = run.data ? run.data->tokenizer_checksum : "";
  if (!checksum.empty() && crc32_hex(bytes) != checksum) {
    throw Error(path + ": crc32 " + crc32_hex(bytes) + ", but " + checkpoint.directory() +
                " was trained with a tokenizer of crc32 " + checksum + " (" + recorded + ")");
  }
  const auto reader = make_tokenizer(path);  // checks that it is one we read
  const std::string end = reader->decode({reader->eod_id()});
  const nlohmann::json tokenizer_config = {{"tokenizer_class", "PreTrainedTokenizerFast"},
                                           {"model_max_length", config.model.seq_len},
                                           {"bos_token", end},
                                           {"eos_token", end},
                                           {"unk_token", end}};
  extras.files.emplace_back("tokenizer.json", bytes);
  extras.files.emplace_back("tokenizer_config.json", tokenizer_config.dump(2) + "\n");
  extras.tokenizer = path;
  return extras;
}

}  // namespace tf
