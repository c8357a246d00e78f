#include "core/data/batch_source.h"

#include <fstream>
#include <iterator>

#include "core/data/synthetic.h"
#include "core/error.h"

namespace tf {
namespace {

// Byte-level ids: one per byte, then the end-of-document id.
constexpr int32_t kByteEod = 256;

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A seeded bijection on [0, n): a 4-round Feistel network on the enclosing power of two, walked
// until it lands inside the range. Stateless, so sample i needs no table of the whole epoch.
int64_t permute(int64_t index, int64_t n, uint64_t key) {
  int bits = 2;
  while ((int64_t{1} << bits) < n) bits += 2;
  const int half = bits / 2;
  const uint64_t mask = (uint64_t{1} << half) - 1;
  uint64_t x = static_cast<uint64_t>(index);
  do {
    uint64_t left = x >> half, right = x & mask;
    for (uint64_t round = 0; round < 4; ++round) {
      const uint64_t f = mix64(right ^ mix64(key + round)) & mask;
      const uint64_t next = left ^ f;
      left = right;
      right = next;
    }
    x = (left << half) | right;
  } while (static_cast<int64_t>(x) >= n);
  return static_cast<int64_t>(x);
}

std::vector<int32_t> byte_ids(const std::string& text) {
  std::vector<int32_t> ids;
  ids.reserve(text.size() + 1);
  for (unsigned char c : text) ids.push_back(c);
  ids.push_back(kByteEod);
  return ids;
}

std::vector<int32_t> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open data file");
  return byte_ids(std::string(std::istreambuf_iterator<char>(in), {}));
}

}  // namespace

void VectorTokenStream::read(int64_t offset, int64_t count, int64_t* out) const {
  TF_CHECK(offset >= 0 && offset + count <= size(), "read [", offset, ", ", offset + count, ") of ",
           size());
  for (int64_t i = 0; i < count; ++i) out[i] = tokens_[offset + i];
}

WindowSampler::WindowSampler(std::shared_ptr<const TokenStream> stream, int64_t begin, int64_t end,
                             int64_t seq_len, uint64_t seed, bool shuffle)
    : stream_(std::move(stream)),
      begin_(begin),
      seq_len_(seq_len),
      windows_((end - begin - 1) / seq_len),
      seed_(seed),
      shuffle_(shuffle) {
  TF_CHECK(windows_ >= 1, "need at least seq_len + 1 = ", seq_len + 1, " tokens, have ",
           end - begin);
}

int64_t WindowSampler::window_of(int64_t index) const {
  const int64_t epoch = index / windows_;
  const int64_t within = index % windows_;
  if (!shuffle_) return within;
  return permute(within, windows_, mix64(seed_ ^ mix64(static_cast<uint64_t>(epoch))));
}

torch::Tensor WindowSampler::samples(int64_t first, int64_t count) const {
  auto out = torch::empty({count, seq_len_ + 1}, torch::kInt64);
  int64_t* data = out.data_ptr<int64_t>();
  for (int64_t i = 0; i < count; ++i) {
    stream_->read(begin_ + window_of(first + i) * seq_len_, seq_len_ + 1,
                  data + i * (seq_len_ + 1));
  }
  return out;
}

DataSplits make_data(const DataConfig& config, int64_t seq_len, uint64_t seed) {
  std::vector<int32_t> tokens;
  if (config.train.empty()) {
    for (const std::string& doc : synthetic_documents(config.synthetic)) {
      const auto ids = byte_ids(doc);
      tokens.insert(tokens.end(), ids.begin(), ids.end());
    }
  } else if (config.train.size() == 1 && config.train[0].path.size() > 4 &&
             config.train[0].path.substr(config.train[0].path.size() - 4) == ".txt") {
    tokens = read_text_file(config.train[0].path);
  } else {
    throw Error("data.train: only the embedded corpus and single .txt files are supported");
  }
  const int64_t total = static_cast<int64_t>(tokens.size());
  const int64_t valid_tokens =
      std::max<int64_t>(seq_len + 1, static_cast<int64_t>(total * config.valid_fraction));
  if (total - valid_tokens < seq_len + 1) {
    throw Error("data.train: " + std::to_string(total) + " tokens are too few for seq_len " +
                std::to_string(seq_len) + " with a validation split");
  }
  auto stream = std::make_shared<VectorTokenStream>(std::move(tokens));
  DataSplits splits;
  splits.train = std::make_shared<WindowSampler>(stream, 0, total - valid_tokens, seq_len, seed);
  splits.valid = std::make_shared<WindowSampler>(stream, total - valid_tokens, total, seq_len, seed,
                                                 /*shuffle=*/false);
  return splits;
}

}  // namespace tf
