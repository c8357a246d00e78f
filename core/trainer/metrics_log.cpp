#include "core/trainer/metrics_log.h"

#include <chrono>
#include <cstdio>

#include "core/error.h"

namespace tf {
namespace {

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// A step can have two validations, before and after a growth: the growth field (and a stage's
// growth, the stage) tells them apart.
std::string key_of(const nlohmann::json& record) {
  const auto text = [&](const char* field) {
    const auto it = record.find(field);
    return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  return record["kind"].get<std::string>() + "/" + text("stage") + "/" + text("growth");
}

}  // namespace

MetricsLog::MetricsLog(const std::string& path, int64_t step)
    : path_(path), resumed_step_(step), started_(steady_seconds()) {
  std::string kept;
  bool dropped = false;
  if (std::ifstream in(path); in) {
    std::string line;
    int64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (in.eof()) {  // no newline: the torn last line of a crash
        dropped = true;
        break;
      }
      nlohmann::json record;
      try {
        record = nlohmann::json::parse(line);
      } catch (const nlohmann::json::exception&) {
        throw Error(path + ":" + std::to_string(number) +
                    ": not a JSON object; train.metrics_file must be a file this framework wrote");
      }
      if (!record.is_object() || !record["step"].is_number_integer() ||
          !record["kind"].is_string() || !record["wall_s"].is_number()) {
        throw Error(path + ":" + std::to_string(number) +
                    ": not a metrics record (kind, step, wall_s); train.metrics_file must be a "
                    "file this framework wrote");
      }
      const int64_t at = record["step"].get<int64_t>();
      if (at > step) {
        dropped = true;
        continue;
      }
      if (at == step) kinds_at_resumed_step_.insert(key_of(record));
      wall_offset_ = record["wall_s"].get<double>();
      kept += line + "\n";
    }
  }
  if (dropped) {
    const std::string backup = path + ".bak";
    if (std::rename(path.c_str(), backup.c_str()) != 0) {
      throw Error(path + " (train.metrics_file): cannot keep it as " + backup);
    }
    std::ofstream rewrite(path, std::ios::trunc);
    rewrite << kept;
    rewrite.close();
    if (!rewrite) {
      throw Error(path + " (train.metrics_file): cannot write (as it was: " + backup + ")");
    }
  }
  out_.open(path, std::ios::app);
  if (!out_) throw Error(path + " (train.metrics_file): cannot open for appending");
}

bool MetricsLog::write(nlohmann::json record) {
  if (path_.empty()) return true;
  if (record["step"].get<int64_t>() == resumed_step_ &&
      kinds_at_resumed_step_.count(key_of(record))) {
    return true;
  }
  record["wall_s"] = wall_offset_ + (steady_seconds() - started_);
  out_ << record.dump() << '\n' << std::flush;
  if (out_) return true;
  path_.clear();
  return false;
}

}  // namespace tf
