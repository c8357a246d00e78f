#include "launcher/data_build.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "core/data/indexed_writer.h"
#include "core/data/mmidx_format.h"
#include "core/error.h"
#include "core/tokenizer/tokenizer.h"
#include "core/tokenizer/unicode.h"

namespace tf {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Counts what went in and out and reports it at most once a second.
class Progress {
 public:
  explicit Progress(std::FILE* log) : log_(log) {}
  void add(int64_t bytes) {
    bytes_ += bytes;
    ++documents_;
    if (seconds_since(last_) >= 1.0) {
      line("");
      last_ = Clock::now();
    }
  }
  void line(const char* prefix) const {
    const double seconds = seconds_since(start_);
    std::fprintf(log_, "tf-data: %s%lld documents, %.1f MB in %.1f s (%.2f MB/s)\n", prefix,
                 static_cast<long long>(documents_), bytes_ / 1e6, seconds,
                 bytes_ / 1e6 / std::max(seconds, 1e-9));
    std::fflush(log_);
  }

 private:
  std::FILE* log_;
  Clock::time_point start_ = Clock::now(), last_ = Clock::now();
  int64_t bytes_ = 0, documents_ = 0;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open input file");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void require_utf8(const std::string& text, const std::string& where) {
  const int64_t bad = first_invalid_utf8(text);
  if (bad >= 0) throw Error(where + ": invalid UTF-8 at byte " + std::to_string(bad));
}

}  // namespace

void build_dataset(const BuildOptions& options, std::FILE* log) {
  if (options.inputs.empty()) throw Error("--input: no input files");
  if (options.format != "text" && options.format != "jsonl") {
    throw Error("--format must be text or jsonl, not '" + options.format + "'");
  }
  if (options.output.empty()) throw Error("--output PREFIX is required");
  const auto tokenizer = make_tokenizer(options.tokenizer);
  IndexedDatasetWriter writer(options.output, tokenizer->vocab_size());
  Progress progress(log);
  auto add = [&](const std::string& text) {
    std::vector<int32_t> ids = tokenizer->encode(text);
    if (options.append_eod) ids.push_back(tokenizer->eod_id());
    writer.add_document(ids);
    progress.add(static_cast<int64_t>(text.size()));
  };
  for (const std::string& path : options.inputs) {
    if (options.format == "text") {
      const std::string text = read_file(path);
      require_utf8(text, path);
      add(text);
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open input file");
    int64_t line_number = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_number;
      const std::string where = path + ":" + std::to_string(line_number);
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      nlohmann::json record;
      try {
        record = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception& e) {
        throw Error(where + ": invalid JSON: " + e.what());
      }
      const auto field = record.is_object() ? record.find(options.json_key) : record.end();
      if (!record.is_object() || field == record.end() || !field->is_string()) {
        throw Error(where + ": no string under key '" + options.json_key + "' (--json-key)");
      }
      add(field->get<std::string>());
    }
  }
  writer.finish();
  progress.line("done: ");
  std::fprintf(log, "tf-data: wrote %s.bin/.idx: %lld documents, %lld tokens, dtype %s\n",
               options.output.c_str(), static_cast<long long>(writer.documents()),
               static_cast<long long>(writer.tokens()),
               mmidx::dtype_name(writer.dtype_code()).c_str());
}

}  // namespace tf
