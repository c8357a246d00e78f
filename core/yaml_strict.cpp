// load_yaml: yaml-cpp's parser, with what it accepts silently refused. A first pass over the
// parser's events finds duplicate keys, anchors and aliases, and further documents; yaml-cpp's
// own depth guard bounds nesting. Then the text is loaded as a node tree.
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>

#include "core/yaml_reader.h"

namespace tf {
namespace {

std::string at(const std::string& source, const YAML::Mark& mark) {
  return source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

class StrictCheck : public YAML::EventHandler {
 public:
  explicit StrictCheck(const std::string& source) : source_(source) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark, nullptr); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { refuse_anchor(mark); }
  void OnAnchor(const YAML::Mark& mark, const std::string&) override { refuse_anchor(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    node(mark, &value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark, nullptr);
    frames_.push_back(Frame{false, true, {}});
  }
  void OnSequenceEnd() override { frames_.pop_back(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark, nullptr);
    frames_.push_back(Frame{true, true, {}});
  }
  void OnMapEnd() override { frames_.pop_back(); }

 private:
  struct Frame {
    bool map;
    bool at_key = true;
    std::map<std::string, int> key_lines;
  };

  // Every node event: in a mapping, nodes alternate between key and value.
  void node(const YAML::Mark& mark, const std::string* scalar) {
    if (frames_.empty() || !frames_.back().map) return;
    Frame& frame = frames_.back();
    if (frame.at_key && scalar) {
      const auto [first, fresh] = frame.key_lines.emplace(*scalar, mark.line + 1);
      if (!fresh) {
        throw Error(at(source_, mark) + ": duplicate key '" + *scalar + "' (first at line " +
                    std::to_string(first->second) + ")");
      }
    }
    frame.at_key = !frame.at_key;
  }

  [[noreturn]] void refuse_anchor(const YAML::Mark& mark) const {
    throw Error(at(source_, mark) +
                ": YAML anchors and aliases are not supported; write the "
                "values out");
  }

  std::string source_;
  std::vector<Frame> frames_;
};

}  // namespace

YAML::Node load_yaml(const std::string& text, const std::string& source) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    StrictCheck check(source);
    if (parser.HandleNextDocument(check) && parser.HandleNextDocument(check)) {
      throw Error(source + ": more than one YAML document ('---'); a config is one document");
    }
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw Error(at(source, e.mark) + ": invalid YAML: " + e.msg);
  }
}

}  // namespace tf
