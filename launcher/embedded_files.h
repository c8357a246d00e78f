// Files of the source tree built into a program (cmake/embed_files.cmake), so that it finds them
// wherever it runs: the Hugging Face modeling files that tf-export --format hf writes.
#pragma once

#include <cstddef>
#include <string>

namespace tf {

struct EmbeddedFile {
  const char* name;  // without directory
  std::string bytes;
};

// python/tokenformer_hf's configuration_tokenformer.py and modeling_tokenformer.py.
extern const EmbeddedFile kHfModelFiles[];
extern const size_t kHfModelFiles_count;

}  // namespace tf
