// tf-export: writes a checkpoint's model in the authors' released layout (safetensors +
// config.json).
#include <cstdio>

#include "core/checkpoint/authors_layout.h"
#include "core/checkpoint/reader.h"
#include "core/error.h"
#include "launcher/cli.h"

namespace {

constexpr const char* kUsage = "usage: tf-export --checkpoint DIR --output OUT_DIR\n";

int run(int argc, char** argv) {
  const tf::CommandLine line =
      tf::parse_command_line(argc, argv, {"checkpoint", "output"}, {"help"});
  if (line.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!line.has("checkpoint") || !line.has("output")) {
    throw tf::Error(std::string("--checkpoint and --output are required\n") + kUsage);
  }
  const tf::CheckpointReader checkpoint(line.value("checkpoint"));
  const std::string path = tf::export_authors_layout(checkpoint, line.value("output"));
  std::printf("wrote %s and config.json (step %lld)\n", path.c_str(),
              (long long)checkpoint.manifest().run.step);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return tf::run_tool("tf-export", [&] { return run(argc, argv); });
}
