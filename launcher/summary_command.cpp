#include <chrono>
#include <cstdio>
#include <thread>

#include "core/error.h"
#include "launcher/cli.h"
#include "launcher/commands.h"
#include "launcher/fault_report.h"

namespace tf {
namespace {

// Longer than the staleness of the longest status interval (3 x 5 s + 2 s, launcher/watchdog.h).
constexpr std::chrono::seconds kSummaryWaitLimit{30};

}  // namespace

int run_summary_command(int argc, char** argv) {
  const CommandLine line = parse_command_line(argc, argv, {}, {"help", "unless-printed", "wait"});
  if (line.has("help") || line.positional.size() != 1) {
    std::fputs(
        "usage: tf-launch summary DIR [--unless-printed] [--wait]\n"
        "prints which rank of the newest launch failed first, from the status and error files\n"
        "under DIR (fault.dir, by default <checkpoint.dir>/ranks); --unless-printed prints\n"
        "nothing when rank 0 has already printed it (for launch wrappers); --wait, for use\n"
        "once the launcher has exited, first waits (at most 30 s) until every rank has ended\n"
        "or gone silent for long enough to count as dead (a host lost with all its ranks)\n",
        line.has("help") ? stdout : stderr);
    return line.has("help") ? 0 : 2;
  }
  const std::string& dir = line.positional[0];
  if (line.has("wait")) {
    // Ranks on another host that died with it are judged only once their status files are stale.
    const auto deadline = std::chrono::steady_clock::now() + kSummaryWaitLimit;
    while (written_summary(dir).empty() && !every_rank_accounted(dir) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  const std::string written = written_summary(dir);
  if (!written.empty() && line.has("unless-printed")) return 0;
  std::fputs((written.empty() ? summarize_failure(dir) : written).c_str(), stdout);
  return 0;
}

}  // namespace tf
