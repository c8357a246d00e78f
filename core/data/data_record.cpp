#include "core/data/data_record.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/json_integers.h"
#include "core/log.h"

namespace tf {
namespace {

using Json = nlohmann::json;

Json dataset_json(const DatasetRecord& d) {
  return {{"path", d.path},
          {"documents", d.documents},
          {"tokens", d.tokens},
          {"checksum", d.checksum},
          {"weight", d.weight},
          {"valid_documents", d.valid_documents},
          {"valid_tokens", d.valid_tokens},
          {"train_samples", d.train_samples}};
}

DatasetRecord dataset_from_json(const Json& j) {
  DatasetRecord d;
  d.path = j.at("path").get<std::string>();
  d.documents = json_integer<int64_t>(j.at("documents"));
  d.tokens = json_integer<int64_t>(j.at("tokens"));
  d.checksum = j.at("checksum").get<std::string>();
  d.weight = j.at("weight").get<double>();
  d.valid_documents = json_integer<int64_t>(j.at("valid_documents"));
  d.valid_tokens = json_integer<int64_t>(j.at("valid_tokens"));
  d.train_samples = json_integer<int64_t>(j.at("train_samples"));
  return d;
}

std::string dataset_text(const DatasetRecord& d) {
  const std::string sizes =
      count_of(d.documents, "document") + ", " + count_of(d.tokens, "token") + ", ";
  if (d.synthetic()) return "the synthetic corpus (" + sizes + "crc32 " + d.checksum + ")";
  return d.path + " (" + sizes + "crc32 " + d.checksum + ")";
}

std::string datasets_text(const std::vector<DatasetRecord>& list, const std::string& key) {
  if (list.size() == 1 && list[0].synthetic()) return dataset_text(list[0]);
  std::string text = key + " [";
  for (size_t k = 0; k < list.size(); ++k) text += (k ? ", " : "") + dataset_text(list[k]);
  return text + "]";
}

bool same_contents(const std::vector<DatasetRecord>& a, const std::vector<DatasetRecord>& b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (!a[k].same_content(b[k])) return false;
  }
  return true;
}

// The blend reads only the weights' ratios (core/data/blend.h).
std::vector<double> shares(const std::vector<DatasetRecord>& list) {
  double total = 0;
  for (const DatasetRecord& d : list) total += d.weight;
  std::vector<double> out;
  for (const DatasetRecord& d : list) out.push_back(d.weight / total);
  return out;
}

std::string weights_text(const std::vector<DatasetRecord>& list) {
  std::string text = "blend weights [";
  for (size_t k = 0; k < list.size(); ++k) text += (k ? ", " : "") + format("%g", list[k].weight);
  return text + "]";
}

std::string tokenizer_text(const DataRecord& r) {
  return "tokenizer " + r.tokenizer +
         (r.tokenizer_checksum.empty() ? "" : " (crc32 " + r.tokenizer_checksum + ")");
}

std::string validation_text(const DataRecord& r) {
  if (!r.valid.empty()) return "validation on " + datasets_text(r.valid, "data.valid");
  return format("validation on the last %g of data.train", r.valid_fraction);
}

// One difference: what the checkpoint was trained on and what this run has instead.
struct Difference {
  std::string was, now;
};

std::string differences_text(const std::vector<Difference>& differences) {
  std::string text;
  for (size_t i = 0; i < differences.size(); ++i) {
    text += (i ? "; and on " : "") + differences[i].was + ", this run has " + differences[i].now;
  }
  return text;
}

}  // namespace

bool DatasetRecord::same_content(const DatasetRecord& other) const {
  return documents == other.documents && tokens == other.tokens && checksum == other.checksum &&
         synthetic() == other.synthetic();
}

void data_record_to_json(const DataRecord& record, Json& out) {
  Json train = Json::array(), valid = Json::array();
  for (const DatasetRecord& d : record.train) train.push_back(dataset_json(d));
  for (const DatasetRecord& d : record.valid) valid.push_back(dataset_json(d));
  out["train"] = train;
  out["valid"] = valid;
  out["valid_fraction"] = record.valid_fraction;
  out["tokenizer"] = {{"name", record.tokenizer}, {"checksum", record.tokenizer_checksum}};
}

std::optional<DataRecord> data_record_from_json(const Json& in) {
  if (!in.contains("train")) return std::nullopt;
  DataRecord record;
  for (const Json& d : in.at("train")) record.train.push_back(dataset_from_json(d));
  for (const Json& d : in.at("valid")) record.valid.push_back(dataset_from_json(d));
  record.valid_fraction = in.at("valid_fraction").get<double>();
  record.tokenizer = in.at("tokenizer").at("name").get<std::string>();
  record.tokenizer_checksum = in.at("tokenizer").at("checksum").get<std::string>();
  return record;
}

void check_data_unchanged(const std::optional<DataRecord>& saved, const DataRecord& now,
                          bool allow_change, const std::string& checkpoint, const Logger& log) {
  if (!saved) {
    log.info("note: " + checkpoint +
             " records no data (written before checkpoints kept it): whether this run trains on "
             "the same data cannot be checked");
    return;
  }
  const DataRecord& was = *saved;
  std::vector<Difference> differences;
  if (!same_contents(was.train, now.train)) {
    differences.push_back(
        {datasets_text(was.train, "data.train"), datasets_text(now.train, "data.train")});
  } else {
    const std::vector<double> a = shares(was.train), b = shares(now.train);
    for (size_t k = 0; k < a.size(); ++k) {
      if (std::fabs(a[k] - b[k]) > 1e-12 * std::max(a[k], b[k])) {
        differences.push_back({weights_text(was.train), weights_text(now.train)});
        break;
      }
    }
    for (size_t k = 0; k < was.train.size(); ++k) {
      if (was.train[k].path == now.train[k].path) continue;
      log.info(format("note: data.train[%zu] was %s when %s was saved; the same index is now at %s",
                      k, was.train[k].path.c_str(), checkpoint.c_str(), now.train[k].path.c_str()));
    }
  }
  const bool same_tokenizer = was.tokenizer_checksum == now.tokenizer_checksum &&
                              (!now.tokenizer_checksum.empty() || was.tokenizer == now.tokenizer);
  if (!same_tokenizer) differences.push_back({tokenizer_text(was), tokenizer_text(now)});
  const bool same_validation = same_contents(was.valid, now.valid) &&
                               (!now.valid.empty() || was.valid_fraction == now.valid_fraction);
  if (!same_validation) {
    log.info("warning: " + checkpoint + " was trained with " + validation_text(was) +
             ", this run has " + validation_text(now) +
             ": validation losses before and after the resume differ in what they measure");
  }
  if (differences.empty()) return;
  if (!allow_change) {
    throw Error("checkpoint " + checkpoint + " was trained on " + differences_text(differences) +
                "; set data.allow_change: true to continue on other data");
  }
  log.info("warning: data changed (data.allow_change): checkpoint " + checkpoint +
           " was trained on " + differences_text(differences) +
           "; training goes on with this run's "
           "data from the checkpoint's sample position");
}

}  // namespace tf
