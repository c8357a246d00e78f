// Strict reading of YAML mappings into typed fields: every key must be known, every value must
// convert, and each error names the file, line and dotted key (or the --set flag that set it).
// This and core/yaml_strict.cpp (load_yaml) are the only places where yaml-cpp exceptions are
// translated into tf::Error.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace tf {

template <typename T>
const char* type_name();
template <>
inline const char* type_name<int64_t>() {
  return "an integer";
}
template <>
inline const char* type_name<uint64_t>() {
  return "a non-negative integer";
}
template <>
inline const char* type_name<int>() {
  return "an integer";
}
template <>
inline const char* type_name<double>() {
  return "a number";
}
template <>
inline const char* type_name<bool>() {
  return "true or false";
}
template <>
inline const char* type_name<std::string>() {
  return "a string";
}

// Where values came from: the file name, and the keys that --set overrides replaced.
struct YamlOrigin {
  std::string source;
  std::map<std::string, std::string> overrides;  // dotted key -> "--set key=value"
};

class YamlMap {
 public:
  YamlMap(YAML::Node node, std::string path, std::shared_ptr<const YamlOrigin> origin);

  // Reads `key` into `out` when present; leaves the default otherwise.
  template <typename T>
  void get(const std::string& key, T& out);
  // A sequence of scalars, e.g. [3, 1].
  template <typename T>
  void get(const std::string& key, std::vector<T>& out);
  // A nested mapping (empty when absent).
  YamlMap map(const std::string& key);
  // A sequence of mappings (empty when absent).
  std::vector<YamlMap> list(const std::string& key);
  bool has(const std::string& key) const { return static_cast<bool>(node_[key]); }

  // Throws for keys that no get/map/list asked for, suggesting the nearest known one.
  void finish() const;

  // Throws tf::Error located at `key` (or at this mapping when `key` is empty).
  [[noreturn]] void fail(const std::string& key, const std::string& message) const;

 private:
  std::string dotted(const std::string& key) const;
  std::string where(const std::string& key) const;

  YAML::Node node_;
  std::string path_;
  std::shared_ptr<const YamlOrigin> origin_;
  std::set<std::string> known_;
};

// Parses `text` (from `source`) as one YAML document. Throws tf::Error at source:line:column for
// invalid YAML, a duplicate key, an anchor or alias, a second document, or nesting deeper than
// yaml-cpp's guard allows.
YAML::Node load_yaml(const std::string& text, const std::string& source);

// Applies "a.b.c=value" to `root`, creating mappings as needed; the value is parsed as YAML.
void apply_override(YAML::Node& root, const std::string& assignment, YamlOrigin& origin);

// Levenshtein distance, for did-you-mean suggestions.
size_t edit_distance(const std::string& a, const std::string& b);

template <typename T>
void YamlMap::get(const std::string& key, T& out) {
  known_.insert(key);
  const YAML::Node value = static_cast<const YAML::Node&>(node_)[key];
  if (!value || value.IsNull()) return;
  if (!value.IsScalar()) fail(key, "expected a single value");
  try {
    out = value.as<T>();
  } catch (const YAML::Exception&) {
    fail(key, "cannot read '" + value.Scalar() + "' as " + type_name<T>());
  }
}

template <typename T>
void YamlMap::get(const std::string& key, std::vector<T>& out) {
  known_.insert(key);
  const YAML::Node value = static_cast<const YAML::Node&>(node_)[key];
  if (!value || value.IsNull()) return;
  if (!value.IsSequence()) fail(key, std::string("expected a list of ") + type_name<T>() + "s");
  std::vector<T> items;
  for (const YAML::Node& item : value) {
    try {
      if (!item.IsScalar()) throw YAML::Exception(item.Mark(), "");
      items.push_back(item.as<T>());
    } catch (const YAML::Exception&) {
      fail(key, "cannot read item " + std::to_string(items.size() + 1) + " as " + type_name<T>());
    }
  }
  out = std::move(items);
}

}  // namespace tf
