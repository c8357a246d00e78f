// tf-export: writes a checkpoint's model in the authors' released layout (safetensors +
// config.json) or as a Hugging Face directory that `transformers` loads (--format hf).
#include <cstdio>

#include "core/checkpoint/authors_layout.h"
#include "core/checkpoint/hf_layout.h"
#include "core/checkpoint/reader.h"
#include "core/error.h"
#include "launcher/cli.h"
#include "launcher/hf_export.h"

namespace {

constexpr const char* kUsage =
    "usage: tf-export --checkpoint DIR --output OUT_DIR [--format authors|hf]\n"
    "                 [--tokenizer PATH/tokenizer.json]\n"
    "  authors (default): OUT_DIR/model.safetensors in the authors' key layout + config.json\n"
    "  hf: a directory that transformers' AutoModelForCausalLM.from_pretrained(OUT_DIR,\n"
    "      trust_remote_code=True) loads; --tokenizer gives the run's tokenizer.json when it is\n"
    "      not at the path the checkpoint records\n";

int run(int argc, char** argv) {
  const tf::CommandLine line =
      tf::parse_command_line(argc, argv, {"checkpoint", "output", "format", "tokenizer"}, {"help"});
  if (line.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!line.has("checkpoint") || !line.has("output")) {
    throw tf::Error(std::string("--checkpoint and --output are required\n") + kUsage);
  }
  const std::string format = line.value("format", "authors");
  if (format != "authors" && format != "hf") {
    throw tf::Error("--format " + format + ": expected authors or hf\n" + kUsage);
  }
  if (format == "authors" && line.has("tokenizer")) {
    throw tf::Error(std::string("--tokenizer goes with --format hf\n") + kUsage);
  }
  const tf::CheckpointReader checkpoint(line.value("checkpoint"));
  const long long step = checkpoint.manifest().run.step;
  if (format == "authors") {
    const std::string path = tf::export_authors_layout(checkpoint, line.value("output"));
    std::printf("wrote %s and config.json (step %lld)\n", path.c_str(), step);
    return 0;
  }
  const tf::HfExtras extras = tf::hf_export_files(checkpoint, line.value("tokenizer"));
  const std::string out = line.value("output");
  tf::export_hf(checkpoint, out, extras.files);
  std::printf("wrote %s: config.json, model.safetensors, the modeling files and %s (step %lld)\n",
              out.c_str(),
              extras.tokenizer.empty() ? "no tokenizer (the run used the byte tokenizer)"
                                       : "tokenizer.json",
              step);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return tf::run_tool("tf-export", [&] { return run(argc, argv); });
}
