#include <cstdio>

#include "core/checkpoint/reader.h"
#include "core/error.h"
#include "core/log.h"
#include "launcher/cli.h"
#include "launcher/commands.h"

namespace tf {

int run_inspect_command(int argc, char** argv) {
  const CommandLine line = parse_command_line(argc, argv, {}, {"help"});
  if (line.has("help") || line.positional.size() != 1) {
    std::fputs("usage: tf-launch inspect-ckpt DIR\n", line.has("help") ? stdout : stderr);
    return line.has("help") ? 0 : 2;
  }
  const CheckpointReader checkpoint(line.positional[0]);
  const RunState& run = checkpoint.manifest().run;
  std::printf("checkpoint %s\n", checkpoint.directory().c_str());
  std::printf("step %lld | stage %s | samples consumed %s | train seed %llu\n", (long long)run.step,
              run.stage.c_str(), with_commas(run.samples_consumed).c_str(),
              (unsigned long long)run.train_seed);
  std::printf("layout world %lld = dp %lld x pp %lld x tp %lld\n", (long long)run.layout.world,
              (long long)run.layout.dp, (long long)run.layout.pp, (long long)run.layout.tp);
  int64_t elements = 0;
  for (const auto& [name, info] : checkpoint.manifest().tensors) {
    std::string shape, slices;
    int64_t count = 1;
    for (int64_t d : info.shape) {
      shape += (shape.empty() ? "" : ", ") + std::to_string(d);
      count *= d;
    }
    for (const auto& s : info.slices) {
      slices += " " + s.file + "[" + std::to_string(s.row_begin) + ":" +
                std::to_string(s.row_end) + "]";
    }
    elements += count;
    std::printf("  %-40s %-5s [%s]%s\n", name.c_str(), info.dtype.c_str(), shape.c_str(),
                slices.c_str());
  }
  std::printf(
      "%s, %s in %s\n",
      count_of(static_cast<int64_t>(checkpoint.manifest().tensors.size()), "tensor").c_str(),
      count_of(elements, "element").c_str(),
      count_of(static_cast<int64_t>(checkpoint.manifest().file_crc32.size()), "file").c_str());
  checkpoint.verify_all();
  for (const auto& [file, crc] : checkpoint.manifest().file_crc32) {
    std::printf("  %s crc32 %s ok\n", file.c_str(), crc.c_str());
  }
  std::printf("checksums and shapes verified\n");
  return 0;
}

}  // namespace tf
