#include "core/config_doc.h"

#include <sstream>

#include "core/config.h"
#include "core/config_keys.h"
#include "core/error.h"
#include "core/log.h"

namespace tf {
namespace {

constexpr const char* kBegin = "<!-- config-keys: ";
constexpr const char* kEnd = "<!-- /config-keys -->";

struct Row {
  std::string key, type, default_text, range, doc;
};

template <typename T>
std::string type_text() {
  if constexpr (is_choice<T>::value) {
    return "choice";
  } else if constexpr (std::is_same_v<T, bool>) {
    return "bool";
  } else if constexpr (std::is_integral_v<T>) {
    return "integer";
  } else if constexpr (std::is_floating_point_v<T>) {
    return "number";
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "string";
  } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
    return "list of integers";
  } else {
    return "mapping";
  }
}

template <typename T>
std::string value_text(const T& value) {
  if constexpr (is_choice<T>::value) {
    return std::string("`") + choice_name(value) + "`";
  } else if constexpr (std::is_same_v<T, bool>) {
    return value ? "`true`" : "`false`";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(value);
  } else if constexpr (std::is_floating_point_v<T>) {
    return format("%g", value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return value.empty() ? "empty" : "`" + value + "`";
  } else {
    return value.empty() ? "empty" : "";
  }
}

template <typename T>
std::string range_text(const KeyRange& range) {
  if constexpr (is_choice<T>::value) {
    return "`" + choice_list<T>("`, `") + "`";
  } else {
    return range.text();
  }
}

struct DocRows {
  std::string prefix;
  std::vector<Row>& rows;

  template <typename T>
  void key(const char* name, const T& field, const KeyRange& range, const char* doc) {
    rows.push_back({prefix + name, type_text<T>(), value_text(field), range_text<T>(range), doc});
  }
  template <typename T>
  void inherited(const char* name, const T&, const char* from, const KeyRange& range,
                 const char* doc) {
    rows.push_back(
        {prefix + name, type_text<T>(), std::string("`") + from + "`", range_text<T>(range), doc});
  }
  template <typename T>
  void section(const char* name, const T& field, const char*) {
    DocRows inner{prefix + name + ".", rows};
    visit_keys(field, inner);
  }
  template <typename T>
  void list(const char* name, const std::vector<T>&, const char* doc) {
    rows.push_back({prefix + name, "list of mappings", "empty", "", doc});
    const T item{};
    DocRows inner{prefix + name + "[].", rows};
    visit_keys(item, inner);
  }
};

// Finds section `name` of the top-level config and lists its rows.
struct SectionRows {
  const std::string& wanted;
  std::vector<Row>& rows;
  bool found = false;

  template <typename T>
  void section(const char* name, const T& field, const char*) {
    if (wanted != name) return;
    found = true;
    DocRows inner{"", rows};
    visit_keys(field, inner);
  }
  template <typename T>
  void list(const char* name, const std::vector<T>&, const char*) {
    if (wanted != name) return;
    found = true;
    const T item{};
    DocRows inner{"", rows};
    visit_keys(item, inner);
  }
  template <typename... A>
  void key(A&&...) {}
  template <typename... A>
  void inherited(A&&...) {}
};

struct SectionNames {
  std::vector<std::string>& names;
  template <typename T>
  void section(const char* name, const T&, const char*) {
    names.push_back(name);
  }
  template <typename T>
  void list(const char* name, const std::vector<T>&, const char*) {
    names.push_back(name);
  }
  template <typename... A>
  void key(A&&...) {}
  template <typename... A>
  void inherited(A&&...) {}
};

std::string cell(std::string text) {
  for (size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2)) {
    text.replace(at, 1, "\\|");
  }
  return text;
}

}  // namespace

std::vector<std::string> config_doc_sections() {
  std::vector<std::string> names;
  SectionNames visitor{names};
  const Config defaults;
  visit_keys(defaults, visitor);
  return names;
}

std::string config_key_table(const std::string& section) {
  std::vector<Row> rows;
  SectionRows visitor{section, rows};
  const Config defaults;
  visit_keys(defaults, visitor);
  if (!visitor.found) throw Error("no config section '" + section + "'");
  std::string table = "| key | type | default | range | meaning |\n|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    table += "| `" + r.key + "` | " + r.type + " | " + cell(r.default_text) + " | " +
             cell(r.range) + " | " + cell(r.doc) + " |\n";
  }
  return table;
}

std::string with_config_key_tables(const std::string& doc, const std::string& source) {
  std::istringstream in(doc);
  std::string out, line, open_section;
  std::vector<std::string> seen;
  int number = 0, open_line = 0;
  while (std::getline(in, line)) {
    ++number;
    if (open_section.empty() && line.rfind(kBegin, 0) == 0) {
      const size_t close = line.find(" -->");
      if (close == std::string::npos) {
        throw Error(source + ":" + std::to_string(number) + ": a marker ends with ' -->'");
      }
      open_section = line.substr(std::string(kBegin).size(), close - std::string(kBegin).size());
      open_line = number;
      try {
        out += line + "\n" + config_key_table(open_section);
      } catch (const Error& e) {
        throw Error(source + ":" + std::to_string(number) + ": " + e.what());
      }
      seen.push_back(open_section);
    } else if (!open_section.empty()) {
      if (line != kEnd) continue;  // the old table
      out += line + "\n";
      open_section.clear();
    } else {
      out += line + "\n";
    }
  }
  if (!open_section.empty()) {
    throw Error(source + ":" + std::to_string(open_line) + ": the table of '" + open_section +
                "' has no end marker " + kEnd);
  }
  for (const std::string& section : config_doc_sections()) {
    bool marked = false;
    for (const std::string& s : seen) marked = marked || s == section;
    if (!marked) throw Error(source + ": no table of config section '" + section + "'");
  }
  return out;
}

}  // namespace tf
