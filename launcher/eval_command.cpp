#include <cstdio>
#include <fstream>
#include <iterator>

#include "core/checkpoint/authors_layout.h"
#include "core/checkpoint/model_tensors.h"
#include "core/checkpoint/reader.h"
#include "core/error.h"
#include "core/log.h"
#include "core/parallel_context.h"
#include "launcher/cli.h"
#include "launcher/commands.h"
#include "launcher/evaluate_stream.h"

namespace tf {
namespace {

constexpr const char* kEvalUsage =
    "usage: tf-launch eval --config FILE (--checkpoint DIR | --init-from PATH.safetensors)\n"
    "                      --data PATH.txt [--batch N] [--set key.path=value ...]\n";
// Byte-level end-of-document id, appended after the text as make_data does.
constexpr int32_t kByteEod = 256;

// Until the indexed-dataset reader lands, --data is a text file read byte by byte.
std::unique_ptr<TokenStream> open_eval_data(const std::string& path) {
  if (path.size() < 4 || path.compare(path.size() - 4, 4, ".txt") != 0) {
    throw Error(path + ": eval reads .txt files (byte-level tokens) only for now");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open data file");
  std::vector<int32_t> ids(std::istreambuf_iterator<char>(in), {});
  for (auto& id : ids) id = static_cast<unsigned char>(id);
  ids.push_back(kByteEod);
  return std::make_unique<VectorTokenStream>(std::move(ids));
}

void load_checkpoint_weights(const std::string& dir, TokenFormer& model) {
  const CheckpointReader checkpoint(dir);
  torch::NoGradGuard no_grad;
  for (const ModelTensor& t : model_tensors(model)) {
    const auto& info = checkpoint.manifest().tensors;
    if (!info.count(t.name) || info.at(t.name).shape != t.global_shape()) {
      throw Error(dir + ": tensor '" + t.name + "' is missing or has another shape than the "
                  "model of --config needs");
    }
    t.param.copy_(checkpoint.rows(t.name, t.rows.offset, t.rows.offset + t.rows.count));
  }
}

}  // namespace

int run_eval_command(int argc, char** argv) {
  const CommandLine line = parse_command_line(
      argc, argv, {"config", "checkpoint", "init-from", "data", "batch"}, {"help"});
  if (line.has("help")) {
    std::fputs(kEvalUsage, stdout);
    return 0;
  }
  if (!line.has("config") || !line.has("data") ||
      line.has("checkpoint") == line.has("init-from")) {
    throw Error(std::string("eval needs --config, --data and one of --checkpoint, --init-from\n") +
                kEvalUsage);
  }
  const Config config = load_config(line.value("config"), line.sets);
  if (config.train.threads > 0) at::set_num_threads(config.train.threads);
  int64_t batch = config.train.micro_batch;
  if (line.has("batch")) {
    const std::string text = line.value("batch");
    size_t used = 0;
    try {
      batch = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || batch < 1) {
      throw Error("--batch '" + text + "': expected a positive integer");
    }
  }
  LocalContext context;
  TokenFormer model(config.model);
  if (line.has("checkpoint")) {
    load_checkpoint_weights(line.value("checkpoint"), model);
  } else {
    import_authors_layout(line.value("init-from"), model);
  }
  const auto data = open_eval_data(line.value("data"));
  const StreamLoss r = evaluate_stream(model, *data, batch, context.token_ops());
  Logger(0).info(format("eval %s: %lld windows, %lld tokens | loss %.6f | perplexity %.4f",
                        line.value("data").c_str(), (long long)r.windows, (long long)r.tokens,
                        r.loss, r.perplexity));
  return 0;
}

}  // namespace tf
