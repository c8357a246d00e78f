#include "launcher/data_build.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/data/indexed_writer.h"
#include "core/data/mmidx_format.h"
#include "core/error.h"
#include "core/log.h"
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
    std::fprintf(log_, "tf-data: %s%s, %.1f MB in %.1f s (%.2f MB/s)\n", prefix,
                 count_of(documents_, "document").c_str(), bytes_ / 1e6, seconds,
                 bytes_ / 1e6 / std::max(seconds, 1e-9));
    std::fflush(log_);
  }

 private:
  std::FILE* log_;
  Clock::time_point start_ = Clock::now(), last_ = Clock::now();
  int64_t bytes_ = 0, documents_ = 0;
};

void require_utf8(const std::string& text, const std::string& where) {
  const int64_t bad = first_invalid_utf8(text);
  if (bad >= 0) throw Error(where + ": invalid UTF-8 at byte " + std::to_string(bad));
}

// One document as read: a whole text file, or a JSONL line still to parse, with where it is from.
struct Pending {
  std::string payload;
  std::string where;
};

// What a worker made of it: the token ids, or the error that names `where`.
struct Tokenized {
  std::vector<int32_t> ids;
  std::string error;
  int64_t bytes = 0;
};

// Documents are read in order into a batch, tokenized by the workers, and written in order, so
// the output (and the first error reported) does not depend on the number of workers.
class ParallelBuild {
 public:
  ParallelBuild(const BuildOptions& options, int64_t workers, std::FILE* log)
      : options_(options),
        tokenizers_(load_tokenizers(options.tokenizer, workers)),
        writer_(options.output, tokenizers_[0]->vocab_size()),
        progress_(log) {}

  void add(Pending document) {
    batch_bytes_ += static_cast<int64_t>(document.payload.size());
    batch_.push_back(std::move(document));
    const int64_t workers = static_cast<int64_t>(tokenizers_.size());
    if (batch_bytes_ >= kBatchBytes * workers ||
        static_cast<int64_t>(batch_.size()) >= 256 * workers)
      flush();
  }

  // Tokenizes and writes the documents added so far (throwing the first error among them).
  void flush() {
    std::vector<Tokenized> done(batch_.size());
    const size_t workers = tokenizers_.size();
    run_workers([&](size_t w) {
      for (size_t i = w; i < batch_.size(); i += workers) {
        done[i] = tokenize(batch_[i], *tokenizers_[w]);
      }
    });
    for (const Tokenized& document : done) {
      if (!document.error.empty()) throw Error(document.error);
      writer_.add_document(document.ids);
      progress_.add(document.bytes);
    }
    batch_.clear();
    batch_bytes_ = 0;
  }

  // Writes what is left and the index; returns the writer for the summary.
  const IndexedDatasetWriter& finish() {
    flush();
    writer_.finish();
    progress_.line("done: ");
    return writer_;
  }

 private:
  static constexpr int64_t kBatchBytes = 4 << 20;  // per worker

  // The first in this thread (a bad tokenizer file throws here), the copies in parallel.
  static std::vector<std::unique_ptr<Tokenizer>> load_tokenizers(const std::string& spec,
                                                                 int64_t count) {
    std::vector<std::unique_ptr<Tokenizer>> loaded(count);
    loaded[0] = make_tokenizer(spec);
    std::vector<std::string> errors(count);
    std::vector<std::thread> threads;
    for (int64_t w = 1; w < count; ++w) {
      threads.emplace_back([&, w] {
        try {
          loaded[w] = make_tokenizer(spec);
        } catch (const std::exception& e) {
          errors[w] = e.what();
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (const std::string& error : errors) {
      if (!error.empty()) throw Error(error);
    }
    return loaded;
  }

  // work(w) for every worker w, in parallel; work does not throw.
  template <typename Work>
  void run_workers(Work work) {
    std::vector<std::thread> threads;
    for (size_t w = 1; w < tokenizers_.size(); ++w) threads.emplace_back(work, w);
    work(0);
    for (std::thread& thread : threads) thread.join();
  }

  Tokenized tokenize(const Pending& document, const Tokenizer& tokenizer) const {
    Tokenized out;
    try {
      const std::string text = options_.format == "text" ? document.payload : json_text(document);
      require_utf8(text, document.where);
      out.ids = tokenizer.encode(text);
      if (options_.append_eod) out.ids.push_back(tokenizer.eod_id());
      out.bytes = static_cast<int64_t>(text.size());
    } catch (const std::exception& e) {  // a tf::Error names the document; others do not
      out.error = dynamic_cast<const Error*>(&e) ? e.what() : document.where + ": " + e.what();
    }
    return out;
  }

  std::string json_text(const Pending& document) const {
    nlohmann::json record;
    try {
      record = nlohmann::json::parse(document.payload);
    } catch (const nlohmann::json::exception& e) {
      throw Error(document.where + ": invalid JSON: " + e.what());
    }
    const auto field = record.is_object() ? record.find(options_.json_key) : record.end();
    if (!record.is_object() || field == record.end() || !field->is_string()) {
      throw Error(document.where + ": no string under key '" + options_.json_key +
                  "' (--json-key)");
    }
    return field->get<std::string>();
  }

  const BuildOptions& options_;
  std::vector<std::unique_ptr<Tokenizer>> tokenizers_;  // one per worker: BPE caches words
  IndexedDatasetWriter writer_;
  Progress progress_;
  std::vector<Pending> batch_;
  int64_t batch_bytes_ = 0;
};

}  // namespace

void build_dataset(const BuildOptions& options, std::FILE* log) {
  if (options.inputs.empty()) throw Error("--input: no input files");
  if (options.format != "text" && options.format != "jsonl") {
    throw Error("--format must be text or jsonl, not '" + options.format + "'");
  }
  if (options.output.empty()) throw Error("--output PREFIX is required");
  const int64_t workers = options.workers > 0
                              ? options.workers
                              : std::max<int64_t>(1, std::thread::hardware_concurrency());
  ParallelBuild build(options, workers, log);
  for (const std::string& path : options.inputs) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      build.flush();  // the errors of earlier documents come first
      throw Error(path + ": cannot open input file");
    }
    if (options.format == "text") {
      build.add({std::string(std::istreambuf_iterator<char>(in), {}), path});
      continue;
    }
    int64_t line_number = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_number;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      build.add({std::move(line), path + ":" + std::to_string(line_number)});
    }
  }
  const IndexedDatasetWriter& writer = build.finish();
  std::fprintf(log, "tf-data: wrote %s.bin/.idx: %s, %s, dtype %s (%s)\n", options.output.c_str(),
               count_of(writer.documents(), "document").c_str(),
               count_of(writer.tokens(), "token").c_str(),
               mmidx::dtype_name(writer.dtype_code()).c_str(), count_of(workers, "worker").c_str());
}

}  // namespace tf
