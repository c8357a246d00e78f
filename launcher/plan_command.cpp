#include <cstdio>

#include "core/config.h"
#include "core/error.h"
#include "core/stages.h"
#include "launcher/cli.h"
#include "launcher/commands.h"

namespace tf {

int run_plan_command(int argc, char** argv) {
  const CommandLine line = parse_command_line(argc, argv, {"config", "ranks"}, {"help"});
  if (line.has("help") || !line.has("config")) {
    std::fputs(
        "usage: tf-launch plan --config FILE [--ranks N] [--set key.path=value ...]\n"
        "prints one line per launch the config's stages need (a new one wherever the layout\n"
        "changes): job, first and last stage, tp, pp, dp and ranks, TAB-separated; --ranks is\n"
        "the world size of stages with dp 0 (ranks 0 when it is not given)\n",
        line.has("help") ? stdout : stderr);
    return line.has("help") ? 0 : 2;
  }
  const Config config = load_config(line.value("config"), line.sets);
  const int64_t ranks = line.count("ranks", 0);
  const std::vector<Stage> stages = plan_stages(config);
  const std::vector<ChainJob> jobs = plan_jobs(config, ranks);  // throws before anything is printed
  std::printf("# job\tfirst_stage\tlast_stage\ttp\tpp\tdp\tranks\n");
  int index = 0;
  for (const ChainJob& job : jobs) {
    const ParallelConfig& p = job.parallel;
    std::printf("%d\t%s\t%s\t%lld\t%lld\t%lld\t%lld\n", ++index, stages[job.first].name.c_str(),
                stages[job.last].name.c_str(), (long long)p.tp, (long long)p.pp, (long long)p.dp,
                (long long)job.ranks);
  }
  return 0;
}

}  // namespace tf
