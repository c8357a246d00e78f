#include "core/data/synthetic.h"

#include <algorithm>
#include <random>

#include "core/tokenizer/tokenizer.h"

namespace tf {

std::vector<std::string> synthetic_documents(const SyntheticDataConfig& config) {
  constexpr int kWords = 96;
  constexpr int kFollowers = 4;  // each word is followed by one of a few others
  std::mt19937_64 rng(config.seed);
  const std::string letters = "etaoinshrdlucmfwypvbgkqjxz";
  std::vector<std::string> lexicon;
  std::geometric_distribution<int> extra_letters(0.35);
  std::geometric_distribution<size_t> letter_rank(0.15);  // common letters first, as in English
  for (int w = 0; w < kWords; ++w) {
    std::string word;
    const int length = 1 + std::min(extra_letters(rng), 9);
    for (int i = 0; i < length; ++i) {
      word += letters[std::min(letter_rank(rng), letters.size() - 1)];
    }
    lexicon.push_back(word);
  }
  std::vector<std::vector<int>> next(kWords);
  for (auto& followers : next) {
    for (int j = 0; j < kFollowers; ++j) followers.push_back(static_cast<int>(rng() % kWords));
  }
  std::vector<std::string> documents;
  documents.reserve(config.documents);
  for (int64_t d = 0; d < config.documents; ++d) {
    std::string text;
    int word = static_cast<int>(rng() % kWords);
    int sentence = 0;
    while (static_cast<int64_t>(text.size()) < config.doc_len) {
      std::string w = lexicon[word];
      if (sentence == 0) w[0] = static_cast<char>(w[0] - 'a' + 'A');
      text += w;
      if (++sentence >= 6 + static_cast<int>(rng() % 6)) {
        text += ". ";
        sentence = 0;
      } else {
        text += ' ';
      }
      word = next[word][rng() % kFollowers];
    }
    text.resize(config.doc_len);
    documents.push_back(std::move(text));
  }
  return documents;
}

std::vector<std::vector<int32_t>> synthetic_token_documents(const SyntheticDataConfig& config,
                                                            const Tokenizer& tokenizer) {
  std::vector<std::vector<int32_t>> documents;
  for (const std::string& text : synthetic_documents(config)) {
    documents.push_back(tokenizer.encode(text));
    documents.back().push_back(tokenizer.eod_id());
  }
  return documents;
}

}  // namespace tf
