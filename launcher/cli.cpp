#include "launcher/cli.h"

#include <cstdio>
#include <exception>
#include <optional>

#include "core/error.h"
#include "core/exit_status.h"

namespace tf {

std::string CommandLine::value(const std::string& name, const std::string& fallback) const {
  const auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

namespace {

// `parse` (std::stoll, std::stod) over the whole of `text`; nullopt when it is not all one value
// or out of range.
template <typename T, typename Parse>
std::optional<T> parsed_whole(const std::string& text, Parse parse) {
  size_t used = 0;
  try {
    const T value = parse(text, &used);
    if (used != 0 && used == text.size()) return value;
  } catch (const std::exception&) {  // std::invalid_argument, std::out_of_range
  }
  return std::nullopt;
}

std::optional<int64_t> parsed_integer(const std::string& text) {
  return parsed_whole<int64_t>(text, [](const std::string& t, size_t* used) {
    return static_cast<int64_t>(std::stoll(t, used));
  });
}

}  // namespace

int64_t CommandLine::count(const std::string& name, int64_t fallback) const {
  if (!has(name)) return fallback;
  const std::string text = value(name);
  const std::optional<int64_t> n = parsed_integer(text);
  if (!n || *n < 1) throw Error("--" + name + " '" + text + "': expected a positive integer");
  return *n;
}

int64_t CommandLine::integer(const std::string& name, int64_t fallback) const {
  if (!has(name)) return fallback;
  const std::string text = value(name);
  const std::optional<int64_t> n = parsed_integer(text);
  if (!n) throw Error("--" + name + ": '" + text + "' is not an integer");
  return *n;
}

double CommandLine::number(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  const std::string text = value(name);
  const std::optional<double> x = parsed_whole<double>(
      text, [](const std::string& t, size_t* used) { return std::stod(t, used); });
  if (!x) throw Error("--" + name + ": '" + text + "' is not a number");
  return *x;
}

CommandLine parse_command_line(int argc, char** argv, const std::set<std::string>& with_value,
                               const std::set<std::string>& switches) {
  CommandLine line;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      line.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool inline_value = false;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (switches.count(name)) {
      if (inline_value) throw Error("--" + name + " takes no value");
      line.switches.insert(name);
      continue;
    }
    if (name != "set" && !with_value.count(name)) throw Error("unknown option --" + name);
    if (!inline_value) {
      if (i + 1 >= argc) throw Error("--" + name + " needs a value");
      value = argv[++i];
    }
    if (name == "set") {
      line.sets.push_back(value);
    } else {
      line.values[name] = value;
    }
  }
  return line;
}

int run_tool(const char* program, const std::function<int()>& body) {
  try {
    return body();
  } catch (const Error& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    return kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", program, e.what());
    return kExitInternal;
  }
}

}  // namespace tf
