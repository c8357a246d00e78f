// What a run trains on, as make_data found it: each dataset's identity (documents, tokens, a
// checksum of its index), its blend weight and how the train/validation split cut it, and the
// tokenizer. Checkpoints keep it (docs/checkpoints.md) so that a resume on other data is refused
// or, with data.allow_change, logged; the start-up log describes it (describe_data).
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tf {

class Logger;

struct DatasetRecord {
  std::string path;  // the prefix as configured; empty: the embedded synthetic corpus
  int64_t documents = 0;
  int64_t tokens = 0;
  // crc32 (core/checkpoint/checksum.h) of PREFIX.idx and the ends of PREFIX.bin
  // (IndexedDataset::identity_crc32), or of the synthetic corpus's token ids.
  std::string checksum;
  double weight = 1;
  // The split (described, not compared on resume): what the validation cut holds out of this
  // dataset (zero when data.valid is set, or for a data.valid dataset), and the training samples
  // of one epoch of what is left.
  int64_t valid_documents = 0;
  int64_t valid_tokens = 0;
  int64_t train_samples = 0;

  bool synthetic() const { return path.empty(); }
  // Same content: documents, tokens and checksum (the path may have moved).
  bool same_content(const DatasetRecord& other) const;
};

struct DataRecord {
  std::vector<DatasetRecord> train;  // data.train, or the synthetic corpus alone
  std::vector<DatasetRecord> valid;  // data.valid; empty: held out of `train` by valid_fraction
  double valid_fraction = 0;
  std::string tokenizer;           // data.tokenizer: "byte" or a tokenizer.json path
  std::string tokenizer_checksum;  // crc32 of that file; empty for "byte"
};

// The manifest's "data" fields (beside samples_consumed); from_json throws nlohmann's exceptions,
// which the manifest reader turns into a tf::Error naming the field.
void data_record_to_json(const DataRecord& record, nlohmann::json& out);
// std::nullopt when `in` holds no record (a checkpoint written before records were kept).
std::optional<DataRecord> data_record_from_json(const nlohmann::json& in);

// The log lines that describe the data of a run of `steps` optimizer steps of `global_batch`
// sequences of `seq_len` tokens: one per dataset, one for the run, then any warnings (a
// validation set of fewer than kFewValidationDocuments documents, or a cut that holds out far
// more of a dataset than data.valid_fraction asks).
constexpr int64_t kFewValidationDocuments = 4;
std::vector<std::string> describe_data(const DataRecord& record, int64_t global_batch,
                                       int64_t seq_len, int64_t steps);

// The resume check. `saved` is the checkpoint's record (std::nullopt: none was kept, which is
// logged as unchecked). Another training set (by content), other blend weights or another
// tokenizer throw tf::Error naming `checkpoint` and each difference with both sides, unless
// `allow_change`, when they are logged as a warning. A changed validation split is logged only.
void check_data_unchanged(const std::optional<DataRecord>& saved, const DataRecord& now,
                          bool allow_change, const std::string& checkpoint, const Logger& log);

}  // namespace tf
