#include "launcher/preflight.h"

#include <unistd.h>

#include <filesystem>

#include "core/checkpoint/reader.h"
#include "core/data/batch_source.h"
#include "core/error.h"
#include "core/tokenizer/tokenizer.h"

namespace tf {
namespace {

namespace fs = std::filesystem;

// Runs `check`; a tf::Error it throws is rethrown naming the config file and `key`.
template <typename Check>
void under_key(const Config& config, const std::string& key, Check check) {
  try {
    check();
  } catch (const Error& e) {
    throw Error(config.source + ": '" + key + "': " + e.what());
  }
}

void check_writable_dir(const std::string& dir) {
  fs::path existing = fs::absolute(dir);
  while (!fs::exists(existing) && existing.has_parent_path() && existing != existing.root_path()) {
    existing = existing.parent_path();
  }
  if (!fs::is_directory(existing)) {
    throw Error(existing.string() + " is not a directory");
  }
  if (::access(existing.c_str(), W_OK | X_OK) != 0) {
    throw Error(existing.string() + " is not writable by this user" +
                (existing == fs::absolute(dir) ? "" : " (the run would create " + dir + " there)"));
  }
}

}  // namespace

void check_run_inputs(const Config& config) {
  // Without data.train, make_data loads the tokenizer itself to encode the embedded corpus.
  if (config.data.tokenizer != "byte" && !config.data.train.empty()) {
    under_key(config, "data.tokenizer", [&] {
      const int64_t vocab = make_tokenizer(config.data.tokenizer)->vocab_size();
      if (vocab > config.model.vocab_size) {
        throw Error(config.data.tokenizer + " has " + std::to_string(vocab) +
                    " tokens, more than model.vocab_size (" +
                    std::to_string(config.model.vocab_size) + ")");
      }
    });
  }
  try {  // make_data names the key (data.train[k], data.valid[k]) itself
    make_data(config.data, config.model.seq_len, config.model.vocab_size, config.train.seed);
  } catch (const Error& e) {
    throw Error(config.source + ": " + e.what());
  }
  const std::string& init = config.model.init_from;
  if (!init.empty()) {
    under_key(config, "model.init_from", [&] {
      if (!fs::exists(init)) throw Error(init + " does not exist");
      // A step directory is opened as the run opens it: its marker and manifest checksum.
      if (fs::is_directory(init)) CheckpointReader{init};
    });
  }
  if (!config.checkpoint.dir.empty()) {
    under_key(config, "checkpoint.dir", [&] { check_writable_dir(config.checkpoint.dir); });
  }
}

}  // namespace tf
