// `tf-data build`: tokenizes text or JSONL files into one indexed dataset (PREFIX.bin/.idx).
// Bad input (missing file, invalid UTF-8 or JSON, a line without the key) throws tf::Error naming
// the file and line; the output then never appears under PREFIX (see IndexedDatasetWriter).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace tf {

struct BuildOptions {
  std::vector<std::string> inputs;
  std::string format = "text";  // text: each file is one document; jsonl: each line is one
  std::string json_key = "text";
  std::string tokenizer = "byte";
  std::string output;  // prefix
  bool append_eod = false;
  int64_t workers = 0;  // tokenizing threads; 0: one per core
};

// Writes progress lines (documents, MB/s) about once a second and a summary to `log`.
void build_dataset(const BuildOptions& options, std::FILE* log);

}  // namespace tf
