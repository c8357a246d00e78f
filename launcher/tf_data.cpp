// tf-data: writes and inspects the indexed datasets (PREFIX.bin/.idx) the trainer reads.
#include <cstdio>
#include <limits>
#include <sstream>

#include "core/config.h"
#include "core/data/indexed_dataset.h"
#include "core/data/indexed_writer.h"
#include "core/data/mmidx_format.h"
#include "core/data/synthetic.h"
#include "core/error.h"
#include "core/log.h"
#include "core/tokenizer/tokenizer.h"
#include "launcher/cli.h"
#include "launcher/data_build.h"

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  tf-data build --input FILE[,FILE...] [FILE...] --output PREFIX [--format text|jsonl]\n"
    "                [--json-key KEY] [--tokenizer byte|PATH/tokenizer.json] [--append-eod]\n"
    "                [--workers N]\n"
    "      tokenizes the files into one indexed dataset, PREFIX.bin and PREFIX.idx\n"
    "      --format text (default): each file is one document\n"
    "      --format jsonl: each line is one, the string under --json-key (default: text)\n"
    "      --tokenizer: byte (default) or a Hugging Face tokenizer.json\n"
    "      --append-eod: end every document with the tokenizer's end-of-text id\n"
    "      --workers: tokenizing threads (default: one per core); the output is the same\n"
    "                 for any number\n"
    "  tf-data inspect PREFIX [--tokenizer byte|PATH/tokenizer.json]\n"
    "      counts, dtype, and the first document decoded when a tokenizer is given\n"
    "  tf-data check PREFIX (--vocab-size N | --tokenizer byte|PATH/tokenizer.json)\n"
    "      reads every token id and checks it against the vocabulary (training checks the\n"
    "      ids it reads as it reads them); prints the largest id\n"
    "  tf-data synth --output PREFIX [--tokenizer byte|PATH] [--documents N] [--doc-len N]\n"
    "                [--seed N]\n"
    "      the embedded synthetic corpus (the demo's data), with the same defaults as\n"
    "      data.synthetic\n";

// The first document is shown up to this many bytes.
constexpr size_t kShownBytes = 2000;

int64_t integer_flag(const tf::CommandLine& line, const std::string& name, int64_t fallback) {
  if (!line.has(name)) return fallback;
  const std::string text = line.value(name);
  std::istringstream in(text);
  int64_t value = 0;
  if (!(in >> value) || !in.eof() || value < 1) {
    throw tf::Error("--" + name + " must be a positive integer, not '" + text + "'");
  }
  return value;
}

void build(const tf::CommandLine& line) {
  tf::BuildOptions options;
  std::istringstream listed(line.value("input"));
  for (std::string path; std::getline(listed, path, ',');) {
    if (!path.empty()) options.inputs.push_back(path);
  }
  // Further words are files too, so that a shell glob after --input works.
  options.inputs.insert(options.inputs.end(), line.positional.begin() + 1, line.positional.end());
  options.format = line.value("format", options.format);
  options.json_key = line.value("json-key", options.json_key);
  options.tokenizer = line.value("tokenizer", options.tokenizer);
  options.output = line.value("output");
  options.append_eod = line.has("append-eod");
  options.workers = integer_flag(line, "workers", 0);
  tf::build_dataset(options, stdout);
}

void inspect(const tf::CommandLine& line) {
  if (line.positional.size() != 2) throw tf::Error("inspect needs exactly one PREFIX");
  const std::string& prefix = line.positional[1];
  std::unique_ptr<tf::Tokenizer> tokenizer;
  if (line.has("tokenizer")) tokenizer = tf::make_tokenizer(line.value("tokenizer"));
  const tf::IndexedDataset dataset(
      prefix, tokenizer ? tokenizer->vocab_size() : std::numeric_limits<int64_t>::max());
  std::printf(
      "%s\n  sequences (N)        %lld\n  document indices (D) %lld (%s)\n"
      "  dtype                %s (code %d)\n  tokens               %lld\n",
      prefix.c_str(), static_cast<long long>(dataset.sequences()),
      static_cast<long long>(dataset.documents() + 1),
      tf::count_of(dataset.documents(), "document").c_str(),
      tf::mmidx::dtype_name(dataset.dtype_code()).c_str(), dataset.dtype_code(),
      static_cast<long long>(dataset.size()));
  if (!tokenizer || dataset.documents() == 0) return;
  const std::vector<int32_t> first = dataset.document(0);
  std::string text = tokenizer->decode(first);
  const bool cut = text.size() > kShownBytes;
  if (cut) text.resize(kShownBytes);
  std::printf("first document (%zu tokens%s):\n%s\n", first.size(), cut ? ", first 2000 bytes" : "",
              text.c_str());
}

// The full scan that launches no longer make: the whole .bin, a line every few seconds.
void check(const tf::CommandLine& line) {
  if (line.positional.size() != 2) throw tf::Error("check needs exactly one PREFIX");
  if (line.has("vocab-size") == line.has("tokenizer")) {
    throw tf::Error("check needs one of --vocab-size N and --tokenizer");
  }
  const std::string& prefix = line.positional[1];
  const int64_t vocab = line.has("vocab-size")
                            ? integer_flag(line, "vocab-size", 0)
                            : tf::make_tokenizer(line.value("tokenizer"))->vocab_size();
  const tf::IndexedDataset dataset(prefix, vocab);
  tf::ProgressPace pace;
  const int64_t largest = dataset.check_all_ids([&](int64_t checked, int64_t total) {
    if (!pace.due()) return;
    std::printf("tf-data: %s: %.0f%% of %s checked in %.0f s, about %.0f s left\n", prefix.c_str(),
                100.0 * checked / total, tf::count_of(total, "token id").c_str(),
                pace.elapsed_seconds(), pace.seconds_left(checked, total));
    std::fflush(stdout);
  });
  std::printf("tf-data: %s: %s in %.1f s, all inside the vocabulary [0, %lld)%s\n", prefix.c_str(),
              tf::count_of(dataset.size(), "token id").c_str(), pace.elapsed_seconds(),
              static_cast<long long>(vocab),
              largest < 0 ? "" : tf::format("; the largest is %lld", (long long)largest).c_str());
}

void synth(const tf::CommandLine& line) {
  tf::SyntheticDataConfig config;
  config.documents = integer_flag(line, "documents", config.documents);
  config.doc_len = integer_flag(line, "doc-len", config.doc_len);
  config.seed =
      static_cast<uint64_t>(integer_flag(line, "seed", static_cast<int64_t>(config.seed)));
  const std::string output = line.value("output");
  if (output.empty()) throw tf::Error("--output PREFIX is required");
  const auto tokenizer = tf::make_tokenizer(line.value("tokenizer", "byte"));
  tf::IndexedDatasetWriter writer(output, tokenizer->vocab_size());
  for (const auto& document : tf::synthetic_token_documents(config, *tokenizer)) {
    writer.add_document(document);
  }
  writer.finish();
  std::printf("tf-data: wrote %s.bin/.idx: %s, %s, dtype %s\n", output.c_str(),
              tf::count_of(writer.documents(), "synthetic document").c_str(),
              tf::count_of(writer.tokens(), "token").c_str(),
              tf::mmidx::dtype_name(writer.dtype_code()).c_str());
}

int run(int argc, char** argv) {
  const tf::CommandLine line =
      tf::parse_command_line(argc, argv,
                             {"input", "format", "json-key", "tokenizer", "output", "workers",
                              "documents", "doc-len", "seed", "vocab-size"},
                             {"append-eod", "help"});
  if (line.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  const std::string command = line.positional.empty() ? "" : line.positional[0];
  if (command == "build") {
    build(line);
  } else if (command == "inspect") {
    inspect(line);
  } else if (command == "check") {
    check(line);
  } else if (command == "synth") {
    synth(line);
  } else {
    throw tf::Error((command.empty() ? "no command given" : "unknown command '" + command + "'") +
                    std::string("\n") + kUsage);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return tf::run_tool("tf-data", [&] { return run(argc, argv); });
}
