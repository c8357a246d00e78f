#include "core/trainer/tensorboard_log.h"

#include <chrono>
#include <stdexcept>

#include "core/error.h"
#include "tensorboard/event_file.h"

namespace tf {
namespace {

const std::set<std::string>& progress_fields() {
  static const std::set<std::string> fields = {"tokens", "flops", "stage_index", "parameters"};
  return fields;
}

[[noreturn]] void fail(const std::string& dir, const std::runtime_error& error) {
  throw Error(std::string(error.what()) + " (metrics.tensorboard_dir " + dir + ")");
}

}  // namespace

std::string tensorboard_tag(const nlohmann::json& record, const std::string& field) {
  if (field == "kind" || field == "step" || field == "wall_s") return "";
  if (progress_fields().count(field)) return "progress/" + field;
  std::string tag = record.at("kind").get<std::string>() + "/" + field;
  const auto growth = record.find("growth");
  if (growth != record.end() && *growth == "before") tag += "_before_growth";
  return tag;
}

TensorBoardLog::TensorBoardLog() = default;
TensorBoardLog::TensorBoardLog(TensorBoardLog&&) noexcept = default;
TensorBoardLog& TensorBoardLog::operator=(TensorBoardLog&&) noexcept = default;
TensorBoardLog::~TensorBoardLog() = default;

TensorBoardLog::TensorBoardLog(const std::string& dir, int64_t step) : step_(step) {
  try {
    tags_at_step_ = tensorboard::trim_after(dir, step);
    writer_ = std::make_unique<tensorboard::EventFileWriter>(dir);
  } catch (const std::runtime_error& error) {
    fail(dir, error);
  }
}

bool TensorBoardLog::write(const nlohmann::json& record) {
  if (!writer_) return true;
  tensorboard::ScalarEvent event;
  event.step = record.at("step").get<int64_t>();
  event.wall_time =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (event.step != step_) {
    step_ = event.step;
    tags_at_step_.clear();
  }
  for (const auto& [field, value] : record.items()) {
    if (!value.is_number()) continue;
    const std::string tag = tensorboard_tag(record, field);
    if (tag.empty() || !tags_at_step_.insert(tag).second) continue;
    event.values.emplace_back(tag, value.get<float>());
  }
  if (event.values.empty()) return true;
  if (writer_->write(event)) return true;
  writer_.reset();
  return false;
}

std::string TensorBoardLog::path() const { return writer_ ? writer_->path() : ""; }

}  // namespace tf
