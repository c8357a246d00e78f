// Command-line parsing shared by the executables: flags with values, repeatable --set, positional
// words. Bad usage throws tf::Error with the usage text appended by the caller.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tf {

struct CommandLine {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // --name value / --name=value
  std::vector<std::string> sets;              // every --set key.path=value, in order
  std::set<std::string> switches;             // --name without value

  bool has(const std::string& name) const { return values.count(name) || switches.count(name); }
  std::string value(const std::string& name, const std::string& fallback = "") const;
  // The value of --name as a positive integer, `fallback` when absent; tf::Error otherwise.
  int64_t count(const std::string& name, int64_t fallback) const;
  // The value of --name as an integer (any sign) or a number, `fallback` when absent; tf::Error
  // naming the flag and its value when the whole value is not one.
  int64_t integer(const std::string& name, int64_t fallback) const;
  double number(const std::string& name, double fallback) const;
};

// `with_value` names the flags that take a value; `switches` those that take none. --set is
// always accepted. Unknown flags are errors.
CommandLine parse_command_line(int argc, char** argv, const std::set<std::string>& with_value,
                               const std::set<std::string>& switches);

// Runs the body of a single-process tool and maps failures to exit statuses (docs/errors.md):
// tf::Error prints "PROGRAM: error: ..." and returns 2, any other exception "internal error", 1.
int run_tool(const char* program, const std::function<int()>& body);

}  // namespace tf
