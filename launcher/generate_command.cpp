// tf-launch generate: the greedy continuation of a prompt, the prompt's loss and, on request, its
// logits (docs/checkpoints.md, "Export to Hugging Face", where they check the export).
#include <cstdio>
#include <sstream>

#include "core/checkpoint/safetensors.h"
#include "core/error.h"
#include "core/local_context.h"
#include "core/log.h"
#include "core/tokenizer/tokenizer.h"
#include "launcher/cli.h"
#include "launcher/commands.h"
#include "launcher/loaded_model.h"

namespace tf {
namespace {

constexpr const char* kGenerateUsage =
    "usage: tf-launch generate --config FILE (--checkpoint DIR | --init-from PATH)\n"
    "                          (--prompt \"ID ID ...\" | --text STRING) [--tokens N]\n"
    "                          [--logits FILE.safetensors] [--set key.path=value ...]\n"
    "  --tokens N: tokens to add greedily (default 20); --text: encoded with data.tokenizer\n"
    "  --logits: writes the prompt's logits [prompt length, padded vocabulary] (fp32)\n";

std::vector<int64_t> prompt_ids(const std::string& text, int64_t vocab_rows) {
  std::istringstream in(text);
  std::vector<int64_t> ids;
  std::string word;
  while (in >> word) {
    size_t used = 0;
    int64_t id = -1;
    try {
      id = std::stoll(word, &used);
    } catch (const std::exception&) {
    }
    if (used != word.size() || id < 0 || id >= vocab_rows) {
      throw Error("--prompt: '" + word + "' is not a token id below " + std::to_string(vocab_rows));
    }
    ids.push_back(id);
  }
  if (ids.empty()) throw Error("--prompt: no token ids");
  return ids;
}

std::string joined(const std::vector<int64_t>& ids) {
  std::string text;
  for (int64_t id : ids) text += (text.empty() ? "" : " ") + std::to_string(id);
  return text;
}

}  // namespace

int run_generate_command(int argc, char** argv) {
  const CommandLine line = parse_command_line(
      argc, argv, {"config", "checkpoint", "init-from", "prompt", "text", "tokens", "logits"},
      {"help"});
  if (line.has("help")) {
    std::fputs(kGenerateUsage, stdout);
    return 0;
  }
  if (!line.has("config") || line.has("checkpoint") == line.has("init-from") ||
      line.has("prompt") == line.has("text")) {
    throw Error(std::string("generate needs --config, one of --checkpoint, --init-from and one of "
                            "--prompt, --text\n") +
                kGenerateUsage);
  }
  const Config config = load_config(line.value("config"), line.sets);
  const int64_t count = line.count("tokens", 20);
  std::unique_ptr<Tokenizer> tokenizer;
  std::vector<int64_t> ids;
  if (line.has("text")) {
    try {
      tokenizer = make_tokenizer(config.data.tokenizer);
    } catch (const Error& e) {
      throw Error(std::string("'data.tokenizer': ") + e.what());
    }
    for (int32_t id : tokenizer->encode(line.value("text"))) ids.push_back(id);
    if (ids.empty()) throw Error("--text: no tokens");
  } else {
    ids = prompt_ids(line.value("prompt"), config.model.padded_vocab());
  }
  TokenFormer model = load_model(config, line);
  LocalContext context;
  const TokenParallelOps& ops = context.token_ops();
  torch::NoGradGuard no_grad;
  const auto device = model->embedding.device();
  const auto as_tensor = [&](const std::vector<int64_t>& v) {
    return torch::tensor(v, torch::kInt64).unsqueeze(0).to(device);
  };
  const int64_t prompt_length = static_cast<int64_t>(ids.size());
  std::string loss = "no loss for one token";
  if (prompt_length > 1) {
    loss = format("loss %.9g", model->loss(as_tensor(ids), ops).item<double>());
  }
  std::printf("prompt: %lld tokens | %s\n", (long long)prompt_length, loss.c_str());
  for (int64_t i = 0; i < count; ++i) {
    const torch::Tensor logits = model->forward(as_tensor(ids), ops);
    if (i == 0 && line.has("logits")) {
      write_safetensors_file(line.value("logits"), {{"logits", logits[0].to(torch::kCPU)}});
    }
    ids.push_back(logits[0][-1].argmax().item<int64_t>());
  }
  const std::vector<int64_t> added(ids.begin() + prompt_length, ids.end());
  std::printf("generated: %s\n", joined(added).c_str());
  if (tokenizer) {
    const std::vector<int32_t> narrow(added.begin(), added.end());
    std::printf("text: %s\n", tokenizer->decode(narrow).c_str());
  }
  return 0;
}

}  // namespace tf
