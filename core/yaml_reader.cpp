#include "core/yaml_reader.h"

#include <algorithm>
#include <numeric>

#include "core/log.h"

namespace tf {

YamlMap::YamlMap(YAML::Node node, std::string path, std::shared_ptr<const YamlOrigin> origin)
    : node_(std::move(node)), path_(std::move(path)), origin_(std::move(origin)) {
  if (node_ && !node_.IsNull() && !node_.IsMap()) fail("", "expected a mapping of keys");
}

YamlMap YamlMap::map(const std::string& key) {
  known_.insert(key);
  const YAML::Node child = static_cast<const YAML::Node&>(node_)[key];
  return YamlMap(child && !child.IsNull() ? child : YAML::Node(YAML::NodeType::Map), dotted(key),
                 origin_);
}

std::vector<YamlMap> YamlMap::list(const std::string& key) {
  known_.insert(key);
  std::vector<YamlMap> items;
  const YAML::Node child = static_cast<const YAML::Node&>(node_)[key];
  if (!child || child.IsNull()) return items;
  if (!child.IsSequence()) fail(key, "expected a list");
  for (size_t i = 0; i < child.size(); ++i) {
    items.emplace_back(child[i], dotted(key) + "[" + std::to_string(i) + "]", origin_);
  }
  return items;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

void YamlMap::finish() const {
  if (!node_ || !node_.IsMap()) return;
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (known_.count(key)) continue;
    std::string best;
    size_t best_distance = 3;  // suggest only near misses
    for (const auto& candidate : known_) {
      const size_t d = edit_distance(key, candidate);
      if (d < best_distance) best_distance = d, best = candidate;
    }
    std::string message = "unknown key";
    if (!best.empty()) message += "; did you mean '" + dotted(best) + "'?";
    fail(key, message);
  }
}

std::string YamlMap::dotted(const std::string& key) const {
  if (key.empty()) return path_;
  return path_.empty() ? key : path_ + "." + key;
}

std::string YamlMap::where(const std::string& key) const {
  const std::string name = dotted(key);
  for (const auto& [prefix, flag] : origin_->overrides) {
    if (name == prefix || name.rfind(prefix + ".", 0) == 0 || name.rfind(prefix + "[", 0) == 0) {
      return origin_->source + ": " + flag;
    }
  }
  YAML::Mark mark = node_.Mark();
  if (!key.empty() && node_.IsMap()) {
    for (const auto& entry : node_) {
      if (entry.first.Scalar() == key) mark = entry.first.Mark();
    }
  }
  if (mark.is_null()) return origin_->source;
  return origin_->source + ":" + std::to_string(mark.line + 1) + ":" +
         std::to_string(mark.column + 1);
}

void YamlMap::fail(const std::string& key, const std::string& message) const {
  const std::string name = dotted(key);
  throw Error(where(key) + ": " + (name.empty() ? "" : "'" + name + "': ") + message);
}

namespace {

// One step of a --set key: a mapping key and the list indices after it (`stages[1]`).
struct KeyPart {
  std::string name;
  std::vector<size_t> indices;
};

std::vector<KeyPart> key_parts(const std::string& key, const std::string& flag) {
  std::vector<KeyPart> parts;
  for (size_t start = 0;;) {
    const size_t dot = key.find('.', start);
    const std::string text = key.substr(start, dot - start);
    KeyPart part;
    part.name = text.substr(0, text.find('['));
    if (part.name.empty()) throw Error(flag + ": empty part in key '" + key + "'");
    for (size_t at = part.name.size(); at < text.size();) {
      const size_t close = text.find(']', at);
      const std::string index =
          close == std::string::npos ? "" : text.substr(at + 1, close - at - 1);
      if (text[at] != '[' || index.empty() || index.size() > 9 ||
          index.find_first_not_of("0123456789") != std::string::npos) {
        throw Error(flag + ": '" + text + "': a list item is name[N], N a number below 10^9");
      }
      part.indices.push_back(std::stoul(index));
      at = close + 1;
    }
    parts.push_back(std::move(part));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

}  // namespace

void apply_override(YAML::Node& root, const std::string& assignment, YamlOrigin& origin) {
  const std::string flag = "--set " + assignment;
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw Error(flag + ": expected key.path=value");
  }
  const std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  // `key=` is the empty string (what turns control.address off), not YAML's null, which would
  // leave the key at its default.
  const YAML::Node value = text.empty() ? YAML::Node(std::string{}) : load_yaml(text, flag);
  const std::vector<KeyPart> parts = key_parts(key, flag);
  // Walk with node handles (never reassigned: yaml-cpp's assignment would write into the tree);
  // the last handle is the node the value replaces. Missing mappings are created; list items
  // must exist.
  std::vector<YAML::Node> chain{root};
  std::string walked;
  for (size_t i = 0; i < parts.size(); ++i) {
    const KeyPart& part = parts[i];
    if (!chain.back().IsNull() && !chain.back().IsMap()) {
      throw Error(flag + ": '" + walked + "' is not a mapping");
    }
    walked += (walked.empty() ? "" : ".") + part.name;
    const bool inner_mapping = i + 1 < parts.size() && part.indices.empty();
    YAML::Node child = chain.back()[part.name];
    if (inner_mapping && (!child || child.IsNull())) {
      chain.back()[part.name] = YAML::Node(YAML::NodeType::Map);
    }
    chain.push_back(chain.back()[part.name]);
    for (const size_t index : part.indices) {
      const YAML::Node list = chain.back();
      if (!list.IsSequence()) throw Error(flag + ": '" + walked + "' is not a list");
      if (index >= list.size()) {
        throw Error(flag + ": '" + walked + "' has " + count_of(list.size(), "item") +
                    "; there is no [" + std::to_string(index) + "]");
      }
      walked += "[" + std::to_string(index) + "]";
      chain.push_back(chain.back()[index]);
    }
  }
  chain.back() = value;
  origin.overrides[key] = flag;
}

}  // namespace tf
