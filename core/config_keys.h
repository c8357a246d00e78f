// The walk over core/config.h's key lists: Keys<S>::visit(s, visitor) calls the visitor once per
// key of section S, in declaration order, with the key's name, its field, its range and its doc.
// The reader (config_reader.cpp), to_yaml (config_yaml.cpp) and the doc tables (config_doc.cpp)
// are such visitors. A visitor has
//   key(name, field, range, doc)              a value with its own default
//   inherited(name, field, from, range, doc)  a stage's value, by default the run's `from`
//   section(name, field, doc)                 a nested mapping
//   list(name, vector_field, doc)             a list of mappings
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "core/config.h"

namespace tf {

// What values a key accepts, and the words that say so in errors and in the docs.
class KeyRange {
 public:
  enum class Kind {
    kAny,
    kSize,
    kAtLeast,
    kNonNegative,
    kPositive,
    kPositiveFinite,
    kWithin,
    kRequired
  };
  KeyRange(Kind kind, double low = 0, double high = 0, const char* note = "", bool low_open = false,
           bool high_open = false)
      : kind_(kind),
        low_(low),
        high_(high),
        note_(note),
        low_open_(low_open),
        high_open_(high_open) {}

  // Why `value` is out of range ("must be at least 1"); empty when it is in.
  std::string violation(double value) const;
  // For strings: only kRequired refuses one (the empty string).
  std::string violation(const std::string& value) const;
  // The range for the docs' key tables ("≥ 1", "[0, 1)"); empty for any value.
  std::string text() const;

 private:
  Kind kind_;
  double low_, high_;
  const char* note_;
  bool low_open_, high_open_;
};

// The range expressions of the key lists.
namespace key_ranges {
inline KeyRange any() { return KeyRange(KeyRange::Kind::kAny); }
// Model dimensions, token counts and batches: within [1, kMaxSize] (core/checked_size.h).
KeyRange size();
inline KeyRange at_least(double low) { return KeyRange(KeyRange::Kind::kAtLeast, low); }
// `note` says what 0 means, e.g. "0 disables".
inline KeyRange non_negative(const char* note = "") {
  return KeyRange(KeyRange::Kind::kNonNegative, 0, 0, note);
}
inline KeyRange positive() { return KeyRange(KeyRange::Kind::kPositive); }
inline KeyRange positive_finite() { return KeyRange(KeyRange::Kind::kPositiveFinite); }
// within('[', 0, 1, ')') is [0, 1).
inline KeyRange within(char open, double low, double high, char close) {
  return KeyRange(KeyRange::Kind::kWithin, low, high, "", open == '(', close == ')');
}
inline KeyRange required() { return KeyRange(KeyRange::Kind::kRequired); }
}  // namespace key_ranges

template <typename S>
struct Keys;

#define TF_CONFIG_VISIT(kind, ...) TF_CONFIG_VISIT_##kind(__VA_ARGS__)
#define TF_CONFIG_VISIT_KEY(type, name, default_value, range, doc) \
  visitor.key(#name, s.name, range, doc);
#define TF_CONFIG_VISIT_INHERIT(type, name, from, range, doc) \
  visitor.inherited(#name, s.name, #from, range, doc);
#define TF_CONFIG_VISIT_SECTION(type, name, doc) visitor.section(#name, s.name, doc);
#define TF_CONFIG_VISIT_LIST(type, name, doc) visitor.list(#name, s.name, doc);

#define TF_CONFIG_KEYS_OF(Struct, KEY_LIST)                   \
  template <>                                                 \
  struct Keys<Struct> {                                       \
    template <typename S, typename Visitor>                   \
    static void visit(S& s, Visitor& visitor) {               \
      using namespace key_ranges;                             \
      static_assert(std::is_same_v<std::decay_t<S>, Struct>); \
      KEY_LIST(TF_CONFIG_VISIT)                               \
    }                                                         \
  };

TF_CONFIG_KEYS_OF(ModelConfig, TF_MODEL_KEYS)
TF_CONFIG_KEYS_OF(TrainConfig, TF_TRAIN_KEYS)
TF_CONFIG_KEYS_OF(DataSource, TF_DATA_SOURCE_KEYS)
TF_CONFIG_KEYS_OF(SyntheticDataConfig, TF_SYNTHETIC_KEYS)
TF_CONFIG_KEYS_OF(DataConfig, TF_DATA_KEYS)
TF_CONFIG_KEYS_OF(ParallelConfig, TF_PARALLEL_KEYS)
TF_CONFIG_KEYS_OF(CheckpointConfig, TF_CHECKPOINT_KEYS)
TF_CONFIG_KEYS_OF(ControlConfig, TF_CONTROL_KEYS)
TF_CONFIG_KEYS_OF(MetricsConfig, TF_METRICS_KEYS)
TF_CONFIG_KEYS_OF(FaultConfig, TF_FAULT_KEYS)
TF_CONFIG_KEYS_OF(StageConfig, TF_STAGE_KEYS)
TF_CONFIG_KEYS_OF(Config, TF_CONFIG_SECTIONS)

#undef TF_CONFIG_KEYS_OF

// Visits the keys of `s` (a config struct, const or not).
template <typename S, typename Visitor>
void visit_keys(S& s, Visitor& visitor) {
  Keys<std::remove_const_t<S>>::visit(s, visitor);
}

// A stage's inherited keys set from `base` (the values they have when the stage leaves them out).
void inherit_defaults(StageConfig& stage, const Config& base);

}  // namespace tf
