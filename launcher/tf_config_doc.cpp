// tf-config-doc FILE [--write]: checks that the key tables of FILE (docs/configuration.md) are
// the ones core/config.h declares (exit status 2 naming the file when they differ); --write
// rewrites them.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/config_doc.h"
#include "core/error.h"
#include "core/exit_status.h"
#include "launcher/cli.h"

int main(int argc, char** argv) {
  return tf::run_tool("tf-config-doc", [&] {
    const tf::CommandLine line = tf::parse_command_line(argc, argv, {}, {"write"});
    if (line.positional.size() != 1) {
      throw tf::Error("usage: tf-config-doc docs/configuration.md [--write]");
    }
    const std::string& path = line.positional[0];
    std::ifstream in(path);
    if (!in) throw tf::Error(path + ": cannot open");
    std::stringstream text;
    text << in.rdbuf();
    const std::string expected = tf::with_config_key_tables(text.str(), path);
    if (expected == text.str()) return int{tf::kExitOk};
    if (!line.has("write")) {
      throw tf::Error(path + ": the key tables differ from core/config.h's declarations; run " +
                      "tf-config-doc " + path + " --write");
    }
    std::ofstream(path) << expected;
    std::printf("%s: key tables rewritten\n", path.c_str());
    return int{tf::kExitOk};
  });
}
