// Reading a config: parse_config and load_config (core/config.h), through the key walk of
// core/config_keys.h. Each section is read in two passes, values then ranges, and then checked
// across its keys; the messages name the file, line and column, and the dotted key.
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/config.h"
#include "core/config_keys.h"
#include "core/log.h"
#include "core/yaml_reader.h"
#include "tensorboard/event_file.h"

namespace tf {
namespace {

void require(YamlMap& map, const std::string& key, bool ok, const std::string& message) {
  if (!ok) map.fail(key, message);
}

// The parameter count, computed in double: a model of more than 2^50 (about 10^15) parameters
// is refused before any int64_t count of it could overflow.
void check_parameter_count(YamlMap& map, const ModelConfig& m, int64_t qkv, int64_t proj,
                           int64_t ffn) {
  const double d = static_cast<double>(m.hidden_size);
  const double params =
      static_cast<double>(m.num_layers) * 2 * d *
          (3 * static_cast<double>(qkv) + static_cast<double>(proj) + static_cast<double>(ffn)) +
      (static_cast<double>(m.vocab_size) + 128) * d;
  require(map, "", params <= std::ldexp(1.0, 50),
          format("a model of about %.3g parameters; at most 2^50 (%.3g) are supported", params,
                 std::ldexp(1.0, 50)));
}

// `key` of `map` holds a growth that will be applied to a model of `norm`.
void require_growth_fits_norm(YamlMap& map, const std::string& key, GrowthPolicy growth,
                              PattentionNorm norm) {
  const std::string conflict = growth_norm_conflict(growth, norm);
  if (conflict.empty()) return;
  map.fail(key, std::string("is '") + choice_name(growth) + "'" +
                    (map.has(key) ? "" : " (the default)") + ", which " + conflict + ": set " +
                    key + ": " + choice_name(GrowthPolicy::kNormal) + " or " +
                    choice_name(GrowthPolicy::kZero));
}

template <typename S>
void read_section(YamlMap map, S& out, Config& root);

// Pass 1: every value read and converted (errors at the value's line and column).
struct ReadValues {
  YamlMap& map;
  Config& root;

  template <typename T>
  void key(const char* name, T& field, const KeyRange&, const char*) {
    if constexpr (is_choice<T>::value) {
      std::string text = choice_name(field);
      map.get(name, text);
      const auto parsed = parse_choice<T>(text);
      if (!parsed) map.fail(name, "'" + text + "' is not one of: " + choice_list<T>());
      field = *parsed;
    } else {
      map.get(name, field);
    }
  }
  template <typename T>
  void inherited(const char* name, T& field, const char*, const KeyRange& range, const char* doc) {
    if constexpr (std::is_class_v<T> && !std::is_same_v<T, std::string>) {
      section(name, field, doc);
    } else {
      key(name, field, range, doc);
    }
  }
  template <typename T>
  void section(const char* name, T& field, const char*) {
    read_section(map.map(name), field, root);
  }
  template <typename T>
  void list(const char* name, std::vector<T>& items, const char*) {
    items.clear();
    for (YamlMap& item : map.list(name)) {
      T value;
      if constexpr (std::is_same_v<T, StageConfig>) inherit_defaults(value, root);
      read_section(item, value, root);
      items.push_back(std::move(value));
      validate_item(item, items);
    }
  }

  // Checks of a list item against the items before it.
  template <typename T>
  void validate_item(YamlMap&, const std::vector<T>&) {}
  void validate_item(YamlMap& item, const std::vector<StageConfig>& stages) {
    const StageConfig& s = stages.back();
    check_parameter_count(item, root.model, s.qkv_tokens, s.proj_tokens, s.ffn_tokens);
    require(item, "min_lr", s.min_lr <= s.lr, "must be within [0, lr]");
    // The first stage's growth applies to nothing: the run starts at its sizes.
    if (stages.size() == 1) {
      const char* why =
          "applies at a growth, and the first stage starts at its sizes (model.init_noise and "
          "model.init_freeze_steps apply to the growth of model.init_from)";
      require(item, "noise", s.noise == 0, why);
      require(item, "freeze_old_steps", s.freeze_old_steps == 0, why);
      return;
    }
    require_growth_fits_norm(item, "growth", s.growth, root.model.norm);
    const StageConfig& prev = stages[stages.size() - 2];
    if (s.qkv_tokens < prev.qkv_tokens || s.proj_tokens < prev.proj_tokens ||
        s.ffn_tokens < prev.ffn_tokens) {
      item.fail("", "has fewer tokens than stage '" + prev.name + "'; token counts never shrink");
    }
  }
};

// Pass 2, once no key is unknown: every value within its range.
struct CheckRanges {
  YamlMap& map;

  template <typename T>
  void key(const char* name, const T& field, const KeyRange& range, const char*) {
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      const std::string why = range.violation(static_cast<double>(field));
      if (!why.empty()) map.fail(name, why);
    } else if constexpr (std::is_same_v<T, std::string>) {
      const std::string why = range.violation(field);
      if (!why.empty()) map.fail(name, why);
    }
  }
  template <typename T>
  void inherited(const char* name, const T& field, const char*, const KeyRange& range,
                 const char* doc) {
    key(name, field, range, doc);
  }
  template <typename T>
  void section(const char*, const T&, const char*) {}
  template <typename T>
  void list(const char*, const std::vector<T>&, const char*) {}
};

// Checks across the keys of one section, once each is within its range. `before`: the section
// as it was before it was read (inherited values, for a stage).
template <typename S>
void validate(YamlMap&, S&, const S&, const Config&) {}

void validate(YamlMap& map, ModelConfig& m, const ModelConfig&, const Config&) {
  check_parameter_count(map, m, m.qkv_tokens, m.proj_tokens, m.ffn_tokens);
  require(map, "num_heads", m.hidden_size % m.num_heads == 0,
          "must divide hidden_size (" + std::to_string(m.hidden_size) + ")");
  require(map, "num_heads", m.head_dim() % 2 == 0, "head dimension must be even");
  if (!m.init_from.empty()) require_growth_fits_norm(map, "init_growth", m.init_growth, m.norm);
  const char* why = "applies to the growth of model.init_from, which is not set";
  require(map, "init_noise", m.init_noise == 0 || !m.init_from.empty(), why);
  require(map, "init_freeze_steps", m.init_freeze_steps == 0 || !m.init_from.empty(), why);
}

void validate(YamlMap& map, TrainConfig& t, const TrainConfig&, const Config&) {
  require(map, "min_lr", t.min_lr <= t.lr, "must be within [0, lr]");
}

void validate(YamlMap& map, ParallelConfig& p, const ParallelConfig& before, const Config&) {
  // A stage that changes pp without its own split gets the balanced one.
  if (!map.has("pp_layers") && p.pp != before.pp) p.pp_layers.clear();
  require(map, "pp_layers", p.pp_layers.empty() || int64_t(p.pp_layers.size()) == p.pp,
          "lists " + count_of(p.pp_layers.size(), "pipeline rank") + "; parallel.pp is " +
              std::to_string(p.pp));
}

void validate(YamlMap& map, ControlConfig& c, const ControlConfig&, const Config&) {
  require(map, "token_env", c.token_file.empty() || c.token_env.empty(),
          "set either token_file or token_env, not both");
  require(map, "tls_key", c.tls_cert.empty() == c.tls_key.empty(),
          "tls_cert and tls_key go together");
}

void validate(YamlMap& map, MetricsConfig& m, const MetricsConfig&, const Config&) {
  require(map, "tensorboard_dir", m.tensorboard_dir.empty() || tensorboard::available(),
          "this build writes no TensorBoard event files: protobuf was not found when it was "
          "configured");
}

void validate(YamlMap& map, Config& c, const Config&, const Config&) {
  if (c.train.global_batch % c.train.micro_batch != 0) {
    map.map("train").fail("global_batch", "must be a multiple of micro_batch (" +
                                              std::to_string(c.train.micro_batch) + ")");
  }
  check_layer_split(c.model, c.parallel, c.source);
  for (const StageConfig& s : c.stages) {
    check_layer_split(c.model, s.parallel, c.source + " stage '" + s.name + "'");
  }
}

template <typename S>
void read_section(YamlMap map, S& out, Config& root) {
  const S before = out;
  ReadValues reader{map, root};
  visit_keys(out, reader);
  map.finish();
  CheckRanges ranges{map};
  visit_keys(out, ranges);
  validate(map, out, before, root);
}

}  // namespace

Config parse_config(const std::string& yaml_text, const std::string& source,
                    const std::vector<std::string>& overrides) {
  auto origin = std::make_shared<YamlOrigin>();
  origin->source = source;
  YAML::Node root = load_yaml(yaml_text, source);
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    throw Error(source + ": a config is a mapping of sections (model:, train:, ...), not a " +
                (root.IsSequence() ? "list" : "single value"));
  }
  for (const std::string& assignment : overrides) apply_override(root, assignment, *origin);

  Config c;
  c.source = source;
  read_section(YamlMap(root, "", origin), c, c);
  return c;
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open config file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, overrides);
}

}  // namespace tf
