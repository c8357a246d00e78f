#include <cstdio>

#include "core/error.h"
#include "launcher/cli.h"
#include "launcher/commands.h"
#include "launcher/fault_report.h"

namespace tf {

int run_summary_command(int argc, char** argv) {
  const CommandLine line = parse_command_line(argc, argv, {}, {"help", "unless-printed"});
  if (line.has("help") || line.positional.size() != 1) {
    std::fputs(
        "usage: tf-launch summary DIR [--unless-printed]\n"
        "prints which rank of the newest launch failed first, from the status and error files\n"
        "under DIR (fault.dir, by default <checkpoint.dir>/ranks); --unless-printed prints\n"
        "nothing when rank 0 has already printed it (for launch wrappers)\n",
        line.has("help") ? stdout : stderr);
    return line.has("help") ? 0 : 2;
  }
  const std::string& dir = line.positional[0];
  const std::string written = written_summary(dir);
  if (!written.empty() && line.has("unless-printed")) return 0;
  std::fputs((written.empty() ? summarize_failure(dir) : written).c_str(), stdout);
  return 0;
}

}  // namespace tf
