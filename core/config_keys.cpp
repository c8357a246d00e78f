#include "core/config_keys.h"

#include <cmath>

#include "core/checked_size.h"
#include "core/log.h"

namespace tf {
namespace {

// "2147483647", "0.25", "1e-08": integers without a fraction, the rest as %g.
std::string number_text(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  return format("%g", v);
}

}  // namespace

namespace key_ranges {
KeyRange size() { return KeyRange(KeyRange::Kind::kSize, 1, static_cast<double>(kMaxSize)); }
}  // namespace key_ranges

std::string KeyRange::violation(double v) const {
  const std::string note = *note_ ? std::string(" (") + note_ + ")" : "";
  switch (kind_) {
    case Kind::kAny:
    case Kind::kRequired:
      return "";
    case Kind::kSize:
      if (v >= low_ && v <= high_) return "";
      return "must be within [" + number_text(low_) + ", " + number_text(high_) + "], not " +
             number_text(v);
    case Kind::kAtLeast:
      return v >= low_ ? "" : "must be at least " + number_text(low_);
    case Kind::kNonNegative:
      return v >= 0 ? "" : "must not be negative" + note;
    case Kind::kPositive:
      return v > 0 ? "" : "must be positive";
    case Kind::kPositiveFinite:
      return v > 0 && std::isfinite(v) ? "" : "must be a positive finite number";
    case Kind::kWithin: {
      const bool above = low_open_ ? v > low_ : v >= low_;
      const bool below = high_open_ ? v < high_ : v <= high_;
      return above && below ? "" : "must be within " + text();
    }
  }
  return "";
}

std::string KeyRange::violation(const std::string& value) const {
  return kind_ == Kind::kRequired && value.empty() ? "is required" : "";
}

std::string KeyRange::text() const {
  switch (kind_) {
    case Kind::kAny:
      return "";
    case Kind::kRequired:
      return "required";
    case Kind::kSize:
      return "[" + number_text(low_) + ", " + number_text(high_) + "]";
    case Kind::kAtLeast:
      return "≥ " + number_text(low_);
    case Kind::kNonNegative:
      return "≥ 0";
    case Kind::kPositive:
      return "> 0";
    case Kind::kPositiveFinite:
      return "> 0, finite";
    case Kind::kWithin:
      return std::string(low_open_ ? "(" : "[") + number_text(low_) + ", " + number_text(high_) +
             (high_open_ ? ")" : "]");
  }
  return "";
}

#define TF_CONFIG_INHERIT(kind, ...) TF_CONFIG_INHERIT_##kind(__VA_ARGS__)
#define TF_CONFIG_INHERIT_KEY(...)
#define TF_CONFIG_INHERIT_INHERIT(type, name, from, range, doc) stage.name = base.from;

void inherit_defaults(StageConfig& stage, const Config& base) { TF_STAGE_KEYS(TF_CONFIG_INHERIT) }

#undef TF_CONFIG_INHERIT_INHERIT
#undef TF_CONFIG_INHERIT_KEY
#undef TF_CONFIG_INHERIT

}  // namespace tf
