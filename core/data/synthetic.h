// The embedded default corpus: deterministic English-like text with learnable structure (a fixed
// lexicon of words chained by a sparse random bigram table), byte-tokenised. Needs no files, so the
// demo and the tests run anywhere; the same seed always gives the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace tf {

// One string per document.
std::vector<std::string> synthetic_documents(const SyntheticDataConfig& config);

}  // namespace tf
