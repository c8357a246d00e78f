// to_yaml: the resolved config, every key of core/config.h's lists, through the key walk.
#include <yaml-cpp/yaml.h>

#include <cmath>

#include "core/config.h"
#include "core/config_keys.h"
#include "core/number_text.h"

namespace tf {
namespace {

template <typename S>
YAML::Node section_node(const S& section);

struct WriteYaml {
  YAML::Node& node;

  template <typename T>
  void key(const char* name, const T& field, const KeyRange&, const char*) {
    if constexpr (is_choice<T>::value) {
      node[name] = choice_name(field);
    } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
      if (!field.empty()) node[name] = field;  // empty: the default (e.g. the balanced split)
    } else if constexpr (std::is_floating_point_v<T>) {
      // yaml-cpp writes 17 significant digits (6e-4 as 0.00059999999999999995); the shortest
      // form reads back as the same double. Infinities keep yaml-cpp's .inf spelling.
      if (std::isfinite(field)) {
        node[name] = shortest_text(field);
      } else {
        node[name] = field;
      }
    } else {
      node[name] = field;
    }
  }
  template <typename T>
  void inherited(const char* name, const T& field, const char*, const KeyRange& range,
                 const char* doc) {
    if constexpr (std::is_class_v<T> && !std::is_same_v<T, std::string>) {
      section(name, field, doc);
    } else {
      key(name, field, range, doc);
    }
  }
  template <typename T>
  void section(const char* name, const T& field, const char*) {
    node[name] = section_node(field);
  }
  template <typename T>
  void list(const char* name, const std::vector<T>& items, const char*) {
    YAML::Node seq(YAML::NodeType::Sequence);
    for (const T& item : items) seq.push_back(section_node(item));
    node[name] = seq;
  }
};

template <typename S>
YAML::Node section_node(const S& section) {
  YAML::Node node(YAML::NodeType::Map);
  WriteYaml writer{node};
  visit_keys(section, writer);
  return node;
}

}  // namespace

std::string to_yaml(const Config& config) {
  YAML::Emitter out;
  out << section_node(config);
  return out.c_str();
}

}  // namespace tf
