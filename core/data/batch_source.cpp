#include "core/data/batch_source.h"

#include <algorithm>
#include <cmath>

#include "core/checkpoint/checksum.h"
#include "core/checkpoint/file_io.h"
#include "core/data/blend.h"
#include "core/data/indexed_dataset.h"
#include "core/data/permutation.h"
#include "core/data/synthetic.h"
#include "core/error.h"
#include "core/tokenizer/tokenizer.h"

namespace tf {
namespace {

struct NamedStream {
  std::string name;  // for messages: the config key and the file
  std::shared_ptr<const TokenStream> stream;
  DatasetRecord record;  // its identity; the split is filled in by make_data
};

DatasetRecord identity(const std::string& path, const TokenStream& stream, std::string checksum,
                       double weight) {
  DatasetRecord record;
  record.path = path;
  record.documents = stream.documents();
  record.tokens = stream.size();
  record.checksum = std::move(checksum);
  record.weight = weight;
  return record;
}

std::vector<NamedStream> open_datasets(const std::vector<DataSource>& sources,
                                       const std::string& key, int64_t vocab_size) {
  std::vector<NamedStream> streams;
  for (size_t k = 0; k < sources.size(); ++k) {
    const std::string name = key + "[" + std::to_string(k) + "]";
    try {
      // Reads the .idx and a few pages of the .bin; token ids are checked as samples are read.
      auto dataset = std::make_shared<IndexedDataset>(sources[k].path, vocab_size);
      DatasetRecord record =
          identity(sources[k].path, *dataset, dataset->identity_crc32(), sources[k].weight);
      streams.push_back({name + " (" + sources[k].path + ")", dataset, std::move(record)});
    } catch (const Error& e) {
      throw Error(name + ".path: " + e.what());
    }
  }
  return streams;
}

NamedStream synthetic_stream(const DataConfig& config, int64_t vocab_size) {
  std::unique_ptr<Tokenizer> tokenizer;
  try {
    tokenizer = make_tokenizer(config.tokenizer);
  } catch (const Error& e) {
    throw Error(std::string("'data.tokenizer': ") + e.what());
  }
  const auto documents = synthetic_token_documents(config.synthetic, *tokenizer);
  for (const auto& document : documents) {
    for (int32_t id : document) {
      if (id >= vocab_size) {
        throw Error("data: the embedded corpus encoded with tokenizer '" + config.tokenizer +
                    "' has token id " + std::to_string(id) + ", not below model.vocab_size " +
                    std::to_string(vocab_size));
      }
    }
  }
  Crc32 crc;
  for (const auto& document : documents) {
    crc.update(reinterpret_cast<const char*>(document.data()), document.size() * sizeof(int32_t));
  }
  auto stream = std::make_shared<VectorTokenStream>(documents);
  DatasetRecord record = identity("", *stream, crc.hex(), 1.0);
  return {"data (embedded synthetic corpus)", stream, std::move(record)};
}

std::string tokenizer_checksum(const std::string& tokenizer) {
  if (tokenizer == "byte") return "";
  try {
    return crc32_hex(read_file(tokenizer));
  } catch (const Error& e) {
    throw Error(std::string("'data.tokenizer': ") + e.what());
  }
}

std::shared_ptr<BatchSource> sampler(const NamedStream& named, int64_t begin, int64_t end,
                                     int64_t seq_len, uint64_t seed, bool shuffle) {
  if (end - begin < seq_len + 1) {
    throw Error(named.name + ": " + std::to_string(end - begin) +
                " tokens are too few for one sample of seq_len + 1 = " +
                std::to_string(seq_len + 1) + " tokens");
  }
  return std::make_shared<WindowSampler>(named.stream, begin, end, seq_len, seed, shuffle);
}

std::shared_ptr<BatchSource> blend(std::vector<std::shared_ptr<BatchSource>> sources,
                                   const std::vector<DataSource>& config, uint64_t seed,
                                   const std::string& key) {
  if (sources.size() == 1) return sources[0];
  std::vector<double> weights;
  for (const DataSource& source : config) weights.push_back(source.weight);
  return std::make_shared<BlendedSource>(std::move(sources), weights, seed, key);
}

// Where validation starts: the start of the document holding the first held-out token, unless
// that leaves no training sample (a corpus of one long document), then that token itself.
int64_t validation_start(const NamedStream& named, double valid_fraction, int64_t seq_len) {
  const int64_t total = named.stream->size();
  const int64_t held_out = std::max<int64_t>(
      seq_len + 1, static_cast<int64_t>(std::ceil(static_cast<double>(total) * valid_fraction)));
  const int64_t target = std::max<int64_t>(0, total - held_out);
  const int64_t document_start = named.stream->document_start_at_or_before(target);
  return document_start >= seq_len + 1 ? document_start : target;
}

}  // namespace

VectorTokenStream::VectorTokenStream(const std::vector<std::vector<int32_t>>& documents) {
  for (const auto& document : documents) {
    document_starts_.push_back(size());
    tokens_.insert(tokens_.end(), document.begin(), document.end());
  }
}

void VectorTokenStream::read(int64_t offset, int64_t count, int64_t* out) const {
  TF_CHECK(offset >= 0 && offset + count <= size(), "read [", offset, ", ", offset + count, ") of ",
           size());
  for (int64_t i = 0; i < count; ++i) out[i] = tokens_[offset + i];
}

int64_t VectorTokenStream::document_start_at_or_before(int64_t offset) const {
  const auto after = std::upper_bound(document_starts_.begin(), document_starts_.end(), offset);
  return after == document_starts_.begin() ? 0 : *(after - 1);
}

int64_t VectorTokenStream::document_at(int64_t offset) const {
  if (offset >= size()) return documents();
  const auto after = std::upper_bound(document_starts_.begin(), document_starts_.end(), offset);
  return std::max<int64_t>(0, after - document_starts_.begin() - 1);
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

DataSplits make_data(const DataConfig& config, int64_t seq_len, int64_t vocab_size, uint64_t seed) {
  const std::vector<NamedStream> train =
      config.train.empty() ? std::vector<NamedStream>{synthetic_stream(config, vocab_size)}
                           : open_datasets(config.train, "data.train", vocab_size);
  const std::vector<DataSource> train_weights =
      config.train.empty() ? std::vector<DataSource>{DataSource{}} : config.train;
  std::vector<std::shared_ptr<BatchSource>> train_samplers, valid_samplers;
  DataSplits splits;
  DataRecord& record = splits.record;
  for (size_t k = 0; k < train.size(); ++k) {
    const int64_t total = train[k].stream->size();
    const int64_t cut =
        config.valid.empty() ? validation_start(train[k], config.valid_fraction, seq_len) : total;
    if (config.valid.empty() && (cut < seq_len + 1 || total - cut < seq_len + 1)) {
      throw Error(train[k].name + ": " + std::to_string(total) + " tokens split into " +
                  std::to_string(cut) + " for training and " + std::to_string(total - cut) +
                  " for validation, but each needs seq_len + 1 = " + std::to_string(seq_len + 1));
    }
    // Each source gets its own shuffle, so equal-sized sources are not read in lockstep.
    train_samplers.push_back(sampler(train[k], 0, cut, seq_len, seed + k, /*shuffle=*/true));
    if (config.valid.empty()) {
      valid_samplers.push_back(sampler(train[k], cut, total, seq_len, seed, /*shuffle=*/false));
    }
    // The split as decided here, for the record and the start-up log (a document that the cut
    // falls inside counts as validation).
    DatasetRecord dataset = train[k].record;
    dataset.valid_documents = train[k].stream->documents() - train[k].stream->document_at(cut);
    dataset.valid_tokens = total - cut;
    dataset.train_samples = train_samplers.back()->epoch_size();
    record.train.push_back(std::move(dataset));
  }
  if (!config.valid.empty()) {
    for (const NamedStream& named : open_datasets(config.valid, "data.valid", vocab_size)) {
      valid_samplers.push_back(
          sampler(named, 0, named.stream->size(), seq_len, seed, /*shuffle=*/false));
      record.valid.push_back(named.record);
    }
  }
  record.valid_fraction = config.valid_fraction;
  record.tokenizer = config.tokenizer;
  record.tokenizer_checksum = tokenizer_checksum(config.tokenizer);
  splits.train = blend(std::move(train_samplers), train_weights, seed, "data.train");
  splits.valid = blend(std::move(valid_samplers),
                       config.valid.empty() ? train_weights : config.valid, seed, "data.valid");
  return splits;
}

}  // namespace tf
