// The embedded default corpus: deterministic English-like text with learnable structure (a fixed
// lexicon of words chained by a sparse random bigram table), byte-tokenised. Needs no files, so the
// demo and the tests run anywhere; the same seed always gives the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"

namespace tf {

class Tokenizer;

// One string per document.
std::vector<std::string> synthetic_documents(const SyntheticDataConfig& config);

// The same documents encoded by `tokenizer`, each ending with its end-of-document id: what the
// trainer reads when data.train is empty and what `tf-data synth` writes.
std::vector<std::vector<int32_t>> synthetic_token_documents(const SyntheticDataConfig& config,
                                                            const Tokenizer& tokenizer);

}  // namespace tf
