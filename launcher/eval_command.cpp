#include <chrono>
#include <cstdio>

#include "core/checkpoint/authors_layout.h"
#include "core/checkpoint/hf_layout.h"
#include "core/checkpoint/model_tensors.h"
#include "core/checkpoint/reader.h"
#include "core/checkpoint/stored_model.h"
#include "core/data/indexed_dataset.h"
#include "core/device.h"
#include "core/error.h"
#include "core/local_context.h"
#include "core/log.h"
#include "launcher/cli.h"
#include "launcher/commands.h"
#include "launcher/evaluate_stream.h"
#include "launcher/loaded_model.h"

namespace tf {
namespace {

constexpr const char* kEvalUsage =
    "usage: tf-launch eval --config FILE (--checkpoint DIR | --init-from PATH)\n"
    "                      --data PREFIX [--batch N] [--set key.path=value ...]\n"
    "  PATH: an authors'-layout .safetensors file or a Hugging Face export directory\n";

void load_checkpoint_weights(const std::string& dir, TokenFormer& model) {
  const CheckpointReader checkpoint(dir);
  check_holds_model(checkpoint, model->config(),
                    "Evaluate it with a --config whose model section has the checkpoint's sizes");
  torch::NoGradGuard no_grad;
  for (const ModelTensor& t : model_tensors(model)) {
    t.param.copy_(read_model_rows(checkpoint, t.name, t));
  }
  read_frozen_scales(checkpoint, model);
}

}  // namespace

TokenFormer load_model(const Config& config, const CommandLine& line) {
  if (config.train.threads > 0) at::set_num_threads(config.train.threads);
  TokenFormer model(config.model);
  const std::string init_from = line.value("init-from");
  if (line.has("checkpoint")) {
    load_checkpoint_weights(line.value("checkpoint"), model);
  } else if (is_hf_directory(init_from)) {
    HfModel(init_from).load_into(model);
  } else {
    import_authors_layout(init_from, model);
  }
  model->to(take_device(config.train.device, process_device_facts(), config.source));
  return model;
}

int run_eval_command(int argc, char** argv) {
  const CommandLine line = parse_command_line(
      argc, argv, {"config", "checkpoint", "init-from", "data", "batch"}, {"help"});
  if (line.has("help")) {
    std::fputs(kEvalUsage, stdout);
    return 0;
  }
  if (!line.has("config") || !line.has("data") || line.has("checkpoint") == line.has("init-from")) {
    throw Error(std::string("eval needs --config, --data and one of --checkpoint, --init-from\n") +
                kEvalUsage);
  }
  const Config config = load_config(line.value("config"), line.sets);
  const int64_t batch = line.count("batch", config.train.micro_batch);
  LocalContext context;
  TokenFormer model = load_model(config, line);
  std::unique_ptr<IndexedDataset> data;
  try {
    data = std::make_unique<IndexedDataset>(line.value("data"), config.model.vocab_size);
  } catch (const Error& e) {
    throw Error(std::string("--data: ") + e.what());
  }
  // A line every few seconds: a large evaluation set takes minutes.
  ProgressPace pace;
  const auto progress = [&](int64_t done, int64_t total) {
    if (done == total || !pace.due()) return;
    Logger(0).info(format("eval: %s of %s windows (%.0f%%) in %.0f s, about %.0f s left",
                          with_commas(done).c_str(), with_commas(total).c_str(),
                          100.0 * done / total, pace.elapsed_seconds(),
                          pace.seconds_left(done, total)));
  };
  const StreamLoss r = evaluate_stream(model, *data, batch, context.token_ops(), progress);
  Logger(0).info(format("eval %s: %s, %s | loss %.6f | perplexity %.4f", line.value("data").c_str(),
                        count_of(r.windows, "window").c_str(), count_of(r.tokens, "token").c_str(),
                        r.loss, r.perplexity));
  return 0;
}

}  // namespace tf
