// describe_data (core/data/data_record.h): the start-up lines that say what a run trains on.
#include <string>
#include <vector>

#include "core/data/data_record.h"
#include "core/log.h"

namespace tf {
namespace {

double percent(int64_t part, int64_t whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

std::string dataset_name(const DatasetRecord& d, const std::string& key, size_t k) {
  if (d.synthetic()) return "synthetic corpus (no data.train)";
  return key + "[" + std::to_string(k) + "] " + d.path;
}

}  // namespace

std::vector<std::string> describe_data(const DataRecord& record, int64_t global_batch,
                                       int64_t seq_len, int64_t steps) {
  std::vector<std::string> lines, warnings;
  double total_weight = 0;
  for (const DatasetRecord& d : record.train) total_weight += d.weight;
  int64_t valid_documents = 0;
  for (size_t k = 0; k < record.train.size(); ++k) {
    const DatasetRecord& d = record.train[k];
    const std::string name = dataset_name(d, "data.train", k);
    std::string split = "validation from data.valid";
    if (record.valid.empty()) {
      valid_documents += d.valid_documents;
      split = format("validation %s (%.1f%%), %s (%.1f%%)",
                     count_of(d.valid_documents, "document").c_str(),
                     percent(d.valid_documents, d.documents),
                     count_of(d.valid_tokens, "token").c_str(), percent(d.valid_tokens, d.tokens));
      // The cut falls at a document start and holds out at least one sample: with few or long
      // documents it takes far more than valid_fraction.
      const double asked = 100.0 * record.valid_fraction;
      if (percent(d.valid_tokens, d.tokens) > 2 * asked) {
        warnings.push_back(format(
            "warning: data: %s: validation takes %.1f%% of its tokens where data.valid_fraction "
            "asks %g%%: the cut falls at a document start and keeps whole documents",
            name.c_str(), percent(d.valid_tokens, d.tokens), asked));
      }
    }
    lines.push_back(format("data: %s: %s, %s, weight %g (%.1f%%); %s", name.c_str(),
                           count_of(d.documents, "document").c_str(),
                           count_of(d.tokens, "token").c_str(), d.weight,
                           100.0 * d.weight / total_weight, split.c_str()));
  }
  for (size_t k = 0; k < record.valid.size(); ++k) {
    const DatasetRecord& d = record.valid[k];
    valid_documents += d.documents;
    lines.push_back(
        format("data: %s: %s, %s, validation only", dataset_name(d, "data.valid", k).c_str(),
               count_of(d.documents, "document").c_str(), count_of(d.tokens, "token").c_str()));
  }
  const int64_t per_step = global_batch * seq_len;
  std::string epochs;
  for (size_t k = 0; k < record.train.size(); ++k) {
    const DatasetRecord& d = record.train[k];
    // Each step reads global_batch samples, shared out by weight; an epoch is the training
    // part's samples (core/data/batch_source.h).
    const double samples = static_cast<double>(steps * global_batch) * d.weight / total_weight;
    epochs += format(
        "%s%.2f of %s", k ? ", " : "",
        d.train_samples > 0 ? samples / static_cast<double>(d.train_samples) : 0.0,
        d.synthetic() ? "the synthetic corpus" : ("data.train[" + std::to_string(k) + "]").c_str());
  }
  lines.push_back(
      format("data: %s per step (global batch %lld x seq_len %lld), %s in %s; "
             "epochs: %s",
             count_of(per_step, "token").c_str(), (long long)global_batch, (long long)seq_len,
             count_of(per_step * steps, "token").c_str(), count_of(steps, "step").c_str(),
             epochs.c_str()));
  if (valid_documents < kFewValidationDocuments) {
    warnings.insert(
        warnings.begin(),
        format("warning: data: the validation set holds only %s (fewer than %lld), so its loss "
               "says little; raise data.valid_fraction or set data.valid",
               count_of(valid_documents, "document").c_str(), (long long)kFewValidationDocuments));
  }
  lines.insert(lines.end(), warnings.begin(), warnings.end());
  return lines;
}

}  // namespace tf
