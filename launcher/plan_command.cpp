#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/launch_plan.h"
#include "launcher/cli.h"
#include "launcher/commands.h"

namespace tf {
namespace {

// A number, or "auto" where dp is "whatever the world gives" and no rank count is known.
std::string known_or_auto(int64_t value) { return value > 0 ? std::to_string(value) : "auto"; }

}  // namespace

int run_plan_command(int argc, char** argv) {
  const CommandLine line = parse_command_line(argc, argv, {"config", "ranks"}, {"help"});
  if (line.has("help") || !line.has("config")) {
    std::fputs(
        "usage: tf-launch plan --config FILE [--ranks N] [--set key.path=value ...]\n"
        "prints one line per launch the config's stages need (a new one wherever the layout\n"
        "changes): job, first and last stage, tp, pp, dp, ranks and the estimated memory of the\n"
        "costliest rank of its costliest stage, TAB-separated. --ranks is the world size of\n"
        "stages with dp 0; without it their dp and ranks are 'auto' and their memory '-'\n"
        "(tf-launch --config FILE --dry-run --ranks N prints each stage's plan in full)\n",
        line.has("help") ? stdout : stderr);
    return line.has("help") ? 0 : 2;
  }
  const Config config = load_config(line.value("config"), line.sets);
  // Throws before anything is printed.
  const std::vector<StagePlan> stages = plan_launches(config, line.count("ranks", 0));
  std::printf("# job\tfirst_stage\tlast_stage\ttp\tpp\tdp\tranks\tmemory_per_rank\n");
  for (size_t first = 0; first < stages.size();) {
    size_t last = first;
    double memory = stages[first].need.total();
    while (last + 1 < stages.size() && stages[last + 1].job == stages[first].job) {
      memory = std::max(memory, stages[++last].need.total());
    }
    const StagePlan& job = stages[first];
    const ParallelConfig& p = job.parallel;
    std::printf("%zu\t%s\t%s\t%lld\t%lld\t%s\t%s\t%s\n", job.job + 1, job.stage.name.c_str(),
                stages[last].stage.name.c_str(), (long long)p.tp, (long long)p.pp,
                known_or_auto(p.dp).c_str(), known_or_auto(job.ranks).c_str(),
                job.known() ? bytes_text(memory).c_str() : "-");
    first = last + 1;
  }
  return 0;
}

}  // namespace tf
