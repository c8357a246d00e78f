#include "core/tokenizer/bpe_tokenizer.h"

#include <unicode/utf8.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/log.h"

namespace tf {
namespace {

using Json = nlohmann::json;

// Bounds the word cache's memory on large corpora; refilling it is cheap.
constexpr size_t kWordCacheLimit = size_t{1} << 18;

// GPT-2's bytes_to_unicode(): printable bytes stand for themselves, the others for code points
// from 256 on, in byte order.
std::array<UChar32, 256> byte_to_code_point() {
  std::array<UChar32, 256> table{};
  UChar32 next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    table[b] = printable ? b : next++;
  }
  return table;
}

std::string to_utf8(UChar32 c) {
  char buffer[U8_MAX_LENGTH];
  int32_t length = 0;
  U8_APPEND_UNSAFE(buffer, length, c);
  return std::string(buffer, length);
}

// The bytes a vocabulary string stands for. Strings with characters outside the byte alphabet
// stand for their own UTF-8, as in the reference decoder.
std::string byte_level_decode(const std::string& token,
                              const std::unordered_map<UChar32, char>& char_bytes) {
  std::string bytes;
  const auto* s = reinterpret_cast<const uint8_t*>(token.data());
  const int32_t length = static_cast<int32_t>(token.size());
  for (int32_t i = 0; i < length;) {
    UChar32 c;
    U8_NEXT(s, i, length, c);
    const auto it = char_bytes.find(c);
    if (it == char_bytes.end()) return token;
    bytes += it->second;
  }
  return bytes;
}

void require(bool ok, const std::string& path, const std::string& what) {
  if (!ok) throw Error(path + ": " + what);
}

// A token id from the file: an integer in [0, 2^31).
int32_t token_id(const Json& id, const std::string& path, const std::string& what) {
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  const bool ok = id.is_number_unsigned() ? id.get<uint64_t>() <= static_cast<uint64_t>(kMax)
                                          : id.is_number_integer() && id.get<int64_t>() >= 0 &&
                                                id.get<int64_t>() <= kMax;
  require(ok, path, what + ": id " + id.dump() + " is not an integer in [0, 2^31)");
  return static_cast<int32_t>(id.get<int64_t>());
}

}  // namespace

BpeTokenizer::BpeTokenizer(const std::string& path) {
  try {
    load(path);
  } catch (const Json::exception& e) {
    throw Error(path + ": not a usable tokenizer.json: " + e.what());
  }
}

void BpeTokenizer::load(const std::string& path) {
  std::ifstream in(path);
  require(static_cast<bool>(in), path, "cannot open tokenizer file");
  const Json root = Json::parse(in);
  const Json& model = root.at("model");
  require(model.at("type") == "BPE", path, "model.type must be BPE");
  const Json& pre = root.at("pre_tokenizer");
  require(pre.is_object() && pre.at("type") == "ByteLevel" &&
              pre.value("add_prefix_space", false) == false && pre.value("use_regex", true),
          path, "pre_tokenizer must be ByteLevel without add_prefix_space");
  const Json& normalizer = root.at("normalizer");
  require(normalizer.is_null() || normalizer.at("type") == "NFC", path,
          "normalizer must be NFC or null");

  std::unordered_map<std::string, int32_t> vocab;
  int64_t size = 0;
  for (const auto& [token, id] : model.at("vocab").items()) {
    vocab.emplace(token, token_id(id, path, "model.vocab '" + token + "'"));
    size = std::max<int64_t>(size, vocab[token] + int64_t{1});
  }
  const Json& added_tokens = root.at("added_tokens");
  for (const Json& added : added_tokens) {
    size = std::max<int64_t>(size, token_id(added.at("id"), path, "added token") + int64_t{1});
  }
  // Ids are dense (checked below), so there are no more of them than entries: a large id in a
  // small file is refused here, before anything is sized by it.
  const auto entries = static_cast<int64_t>(model.at("vocab").size() + added_tokens.size());
  require(size <= entries, path,
          "token ids reach " + std::to_string(size - 1) + " but the file has only " +
              std::to_string(entries) + " tokens: ids must run from 0 without gaps");
  token_bytes_.assign(size, std::string());
  std::vector<bool> present(size, false);

  const std::array<UChar32, 256> code_points = byte_to_code_point();
  std::unordered_map<UChar32, char> char_bytes;
  for (int b = 0; b < 256; ++b) {
    char_bytes[code_points[b]] = static_cast<char>(b);
    // GPT-NeoX's vocabulary leaves out bytes that never occur in UTF-8 (C0, C1, F5-FF).
    const auto it = vocab.find(to_utf8(code_points[b]));
    byte_ids_[b] = it == vocab.end() ? -1 : it->second;
    const bool in_utf8 = b != 0xC0 && b != 0xC1 && b < 0xF5;
    require(!in_utf8 || byte_ids_[b] >= 0, path,
            format("byte 0x%02X has no token in model.vocab: a byte-level vocabulary needs every "
                   "byte that UTF-8 text can hold",
                   b));
  }
  for (const auto& [token, id] : vocab) {
    token_bytes_[id] = byte_level_decode(token, char_bytes);
    present[id] = true;
  }

  const Json& merges = model.at("merges");
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    std::string left, right;
    if (merges[rank].is_array()) {
      left = merges[rank].at(0).get<std::string>();
      right = merges[rank].at(1).get<std::string>();
    } else {
      const std::string pair = merges[rank].get<std::string>();
      const size_t space = pair.find(' ');
      require(space != std::string::npos, path, "merge '" + pair + "' is not two tokens");
      left = pair.substr(0, space);
      right = pair.substr(space + 1);
    }
    const auto l = vocab.find(left), r = vocab.find(right), m = vocab.find(left + right);
    require(l != vocab.end() && r != vocab.end() && m != vocab.end(), path,
            "merge " + std::to_string(rank) + " names tokens missing from model.vocab");
    const uint64_t key = static_cast<uint64_t>(l->second) << 32 | static_cast<uint32_t>(r->second);
    merges_.emplace(key, Merge{static_cast<int32_t>(rank), m->second});
  }

  for (const Json& added : added_tokens) {
    const auto content = added.at("content").get<std::string>();
    const int32_t id = token_id(added.at("id"), path, "added token");
    require(!content.empty() && !added.value("lstrip", false) && !added.value("rstrip", false) &&
                !added.value("single_word", false),
            path, "added token " + std::to_string(id) + ": lstrip/rstrip/single_word unsupported");
    (added.value("normalized", false) ? normalized_ : special_).add(content, id);
    token_bytes_[id] = content;
    present[id] = true;
    if (content == "<|endoftext|>") eod_id_ = id;
  }
  require(eod_id_ >= 0, path, "no <|endoftext|> added token to end documents with");
  for (int64_t id = 0; id < size; ++id) {
    require(present[id], path, "token id " + std::to_string(id) + " has no token");
  }
}

std::vector<int32_t> BpeTokenizer::encode(std::string_view text) const {
  const int64_t bad = first_invalid_utf8(text);
  if (bad >= 0) throw Error("text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3);
  special_.split(
      text, [&](std::string_view piece) { encode_normalized(nfc(piece), ids); },
      [&](int32_t id) { ids.push_back(id); });
  return ids;
}

void BpeTokenizer::encode_normalized(std::string_view text, std::vector<int32_t>& out) const {
  normalized_.split(
      text,
      [&](std::string_view piece) {
        pre_tokenizer_.split(piece, [&](std::string_view word) { encode_word(word, out); });
      },
      [&](int32_t id) { out.push_back(id); });
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  const std::string key(word);
  auto cached = word_cache_.find(key);
  if (cached == word_cache_.end()) {
    std::vector<int32_t> symbols;
    symbols.reserve(word.size());
    for (unsigned char b : word) {
      TF_CHECK(byte_ids_[b] >= 0, "byte ", int{b}, " of valid UTF-8 has no token");
      symbols.push_back(byte_ids_[b]);
    }
    // Merge the adjacent pair of lowest rank, leftmost on ties, until none is mergeable: the
    // order the reference implementation's priority queue produces.
    while (symbols.size() > 1) {
      size_t best = 0;
      Merge best_merge{std::numeric_limits<int32_t>::max(), -1};
      for (size_t i = 0; i + 1 < symbols.size(); ++i) {
        const uint64_t pair =
            static_cast<uint64_t>(symbols[i]) << 32 | static_cast<uint32_t>(symbols[i + 1]);
        const auto it = merges_.find(pair);
        if (it != merges_.end() && it->second.rank < best_merge.rank) {
          best = i;
          best_merge = it->second;
        }
      }
      if (best_merge.id < 0) break;
      symbols[best] = best_merge.id;
      symbols.erase(symbols.begin() + best + 1);
    }
    if (word_cache_.size() >= kWordCacheLimit) word_cache_.clear();
    cached = word_cache_.emplace(key, std::move(symbols)).first;
  }
  out.insert(out.end(), cached->second.begin(), cached->second.end());
}

std::string BpeTokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string text;
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab_size()) {
      throw Error("token id " + std::to_string(id) + " is not below the vocabulary size " +
                  std::to_string(vocab_size()));
    }
    text += token_bytes_[id];
  }
  return text;
}

}  // namespace tf
