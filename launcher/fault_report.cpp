#include "launcher/fault_report.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <vector>

#include "core/device.h"
#include "core/error.h"
#include "core/log.h"
#include "launcher/liveness.h"

namespace tf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string rank_file(const std::string& dir, const char* kind, int rank) {
  return dir + "/" + kind + "-" + std::to_string(rank) + ".json";
}

// Written beside and renamed over `path`: a reader never sees half a file.
void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) return;  // reporting must never be what fails a rank
  }
  std::error_code ignored;
  fs::rename(tmp, path, ignored);
}

std::optional<json> read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  try {
    return json::parse(in);
  } catch (const json::exception&) {
    return std::nullopt;  // a file of some other writer, or cut short by a full disk
  }
}

std::string text_of(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}
double number_of(const json& j, const char* key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0;
}

// What one rank's files say.
struct RankView {
  int rank = 0;
  std::optional<json> status;
  std::optional<json> error;
};

std::string where(const json& j) {
  return format("in phase %s at step %lld", text_of(j, "phase").c_str(),
                (long long)number_of(j, "step"));
}

std::string host_of(const RankView& v) {
  if (v.status) return text_of(*v.status, "host");
  if (v.error) return text_of(*v.error, "host");
  return "?";
}

bool alive_here(const json& status, const std::string& my_host) {
  if (text_of(status, "host") != my_host) return true;  // another node: the staleness decides
  return process_alive(static_cast<int64_t>(number_of(status, "pid")));
}

// The rank's failure in words, and its rank for ordering (lower is more likely the cause): 0 an
// error of its own, 1 silent (stopped or killed), 2 a communication failure, 3 a time-out, 4
// signalled from outside; nullopt when it reports nothing wrong.
std::optional<std::pair<int, std::string>> judge(const RankView& v, double now,
                                                 const std::string& my_host) {
  if (v.error) {
    const std::string kind = text_of(*v.error, "kind");
    const std::string what = kind + " " + where(*v.error) + ": " + text_of(*v.error, "error");
    if (kind == "timeout") return std::make_pair(3, what);
    if (kind == "communication failure") return std::make_pair(2, what);
    return std::make_pair(0, what);
  }
  if (!v.status)
    return std::make_pair(1, std::string("never reported: it did not start, or died "
                                         "before its watchdog did"));
  const json& s = *v.status;
  const std::string state = text_of(s, "state");
  if (state == "signalled") {
    return std::make_pair(4, format("received signal %d %s (stopped from outside)",
                                    (int)number_of(s, "signal"), where(s).c_str()));
  }
  if (state != "running") return std::nullopt;
  const double age = now - number_of(s, "time");
  const bool stale = age > stale_after(number_of(s, "interval"));
  if (!alive_here(s, my_host)) {
    return std::make_pair(
        1, format("died %s without an error: its process is gone (killed by a signal such as "
                  "SIGKILL or the OOM killer, or crashed; the kernel log or the scheduler says "
                  "which)",
                  where(s).c_str()));
  }
  if (!stale) return std::nullopt;
  return std::make_pair(
      1, format("went silent without an error (last status %.0f s ago: %s): the process was "
                "killed, stopped or is stuck outside the training thread",
                age, where(s).c_str()));
}

// "host H lost: ..." for each other host of which every rank went silent (or died) without an
// error, when the launch spans several hosts: a whole node lost, said once before the ranks'
// lines. `silent` lists the ranks judged silent or dead.
std::string lost_hosts(const std::vector<RankView>& views, const std::vector<int>& silent,
                       const std::string& my_host, double now) {
  std::map<std::string, std::vector<int>> ranks_of;  // every host of the launch, with its ranks
  for (const RankView& v : views) {
    if (v.status) ranks_of[text_of(*v.status, "host")].push_back(v.rank);
  }
  if (ranks_of.size() < 2) return "";
  std::string lines;
  for (const auto& [host, ranks] : ranks_of) {
    if (host == my_host) continue;  // this host is up: it is where the summary is made
    const bool all_silent = std::all_of(ranks.begin(), ranks.end(), [&](int r) {
      return std::find(silent.begin(), silent.end(), r) != silent.end();
    });
    if (!all_silent) continue;
    std::string list;
    double last = 0;
    for (const int r : ranks) {
      list += (list.empty() ? "" : ", ") + std::to_string(r);
      last = std::max(last, number_of(*views[r].status, "time"));
    }
    lines += format(
        "  host %s lost: rank%s %s went silent (last status %.0f s ago): the host went "
        "down or was cut off from the others; the other hosts' failures follow from "
        "it\n",
        host.c_str(), ranks.size() > 1 ? "s" : "", list.c_str(), now - last);
  }
  return lines;
}

// A line for a cut network: every rank of a launch over several hosts timed out in the same phase
// and step (each side of the cut waits in the same collective for the other), so no rank failed
// first.
std::string network_cut(const std::vector<RankView>& views) {
  std::set<std::string> hosts;
  for (const RankView& v : views) {
    if (!v.status || !v.error || text_of(*v.error, "kind") != "timeout") return "";
    const json& first = *views[0].error;
    if (text_of(*v.error, "phase") != text_of(first, "phase") ||
        number_of(*v.error, "step") != number_of(first, "step")) {
      return "";
    }
    hosts.insert(text_of(*v.status, "host"));
  }
  if (hosts.size() < 2) return "";
  std::string list;
  for (const std::string& h : hosts) list += (list.empty() ? "" : ", ") + h;
  return "  every rank on every host (" + list +
         ") timed out at the same step, none failed first: the network between the hosts "
         "stopped carrying traffic (a link, a switch, a firewall), or a collective hangs; check "
         "the links between them, then relaunch\n";
}

std::string newest_launch(const std::string& dir) {
  std::string launch;
  double newest = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("rank-", 0) != 0 || entry.path().extension() != ".json") continue;
    if (const auto j = read_json(entry.path().string())) {
      if (number_of(*j, "started") > newest) {
        newest = number_of(*j, "started");
        launch = text_of(*j, "launch");
      }
    }
  }
  return launch;
}

}  // namespace

std::string fault_dir(const Config& config) {
  if (!config.fault.dir.empty()) return config.fault.dir;
  return config.checkpoint.dir.empty() ? "" : config.checkpoint.dir + "/ranks";
}

std::string fault_dir_origin(const Config& config) {
  if (!config.fault.dir.empty()) return "fault.dir " + config.fault.dir;
  return "checkpoint.dir " + config.checkpoint.dir + " (its ranks/ subdirectory)";
}

FaultReporter::FaultReporter(std::string dir, RankIdentity identity, double interval_seconds,
                             const std::string& origin)
    : dir_(std::move(dir)), identity_(std::move(identity)), interval_(interval_seconds) {
  if (dir_.empty()) return;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) {
    throw Error((origin.empty() ? dir_ : origin) + ": cannot create the rank status directory " +
                dir_ + ": " + ec.message());
  }
  fs::remove(rank_file(dir_, "error", identity_.rank), ec);
}

void FaultReporter::set_placement(int64_t local_rank, const std::string& device) {
  const std::lock_guard<std::mutex> lock(mutex_);
  local_rank_ = local_rank;
  device_ = device;
}

void FaultReporter::set_step_seconds(double seconds) {
  const std::lock_guard<std::mutex> lock(mutex_);
  step_seconds_ = seconds;
}

void FaultReporter::write_status(const PhaseClock::Reading& now, const std::string& state,
                                 int signal_number) const {
  if (dir_.empty()) return;
  static const double started = wall_seconds();
  json j = {{"rank", identity_.rank},         {"world", identity_.world},
            {"host", identity_.host},         {"pid", identity_.pid},
            {"launch", identity_.launch},     {"started", started},
            {"phase", phase_name(now.phase)}, {"step", now.step},
            {"phase_seconds", now.seconds},   {"state", state},
            {"interval", interval_},          {"time", wall_seconds()}};
  if (signal_number != 0) j["signal"] = signal_number;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (local_rank_ >= 0) {
      j["local_rank"] = local_rank_;
      j["device"] = device_;
    }
    j["step_seconds"] = step_seconds_;
  }
  write_atomically(rank_file(dir_, "rank", identity_.rank), j.dump() + "\n");
}

void FaultReporter::write_error(const PhaseClock::Reading& now, const std::string& kind,
                                const std::string& message) const {
  if (dir_.empty()) return;
  const json j = {{"rank", identity_.rank},     {"host", identity_.host},
                  {"launch", identity_.launch}, {"phase", phase_name(now.phase)},
                  {"step", now.step},           {"kind", kind},
                  {"error", message},           {"time", wall_seconds()}};
  write_atomically(rank_file(dir_, "error", identity_.rank), j.dump() + "\n");
}

namespace {

// The ranks' files of the newest launch under `dir`; `launch` empty when there is none.
struct LaunchFiles {
  std::string launch;
  int world = 0;
  std::vector<RankView> views;
};

LaunchFiles read_launch(const std::string& dir) {
  LaunchFiles files;
  files.launch = newest_launch(dir);
  if (files.launch.empty()) return files;
  for (int r = 0; r == 0 || r < files.world; ++r) {
    RankView v{r, read_json(rank_file(dir, "rank", r)), read_json(rank_file(dir, "error", r))};
    if (v.status && text_of(*v.status, "launch") != files.launch) v.status.reset();
    if (v.error && text_of(*v.error, "launch") != files.launch) v.error.reset();
    if (v.status) {
      files.world = std::max(files.world, static_cast<int>(number_of(*v.status, "world")));
    }
    files.views.push_back(std::move(v));
    files.world = std::max(files.world, 1);
  }
  return files;
}

}  // namespace

bool every_rank_accounted(const std::string& dir) {
  const LaunchFiles files = read_launch(dir);
  const double now = wall_seconds();
  const std::string host = host_name();
  for (const RankView& v : files.views) {
    const bool ended = v.status && text_of(*v.status, "state") != "running";
    if (!ended && !judge(v, now, host)) return false;
  }
  return true;
}

bool peer_died_here(const std::string& dir, int rank) {
  if (dir.empty()) return false;
  const LaunchFiles files = read_launch(dir);
  const std::string host = host_name();
  bool died = false;
  int lowest_alive = -1;
  for (const RankView& v : files.views) {
    if (!v.status || text_of(*v.status, "host") != host) continue;
    const std::string state = text_of(*v.status, "state");
    if (state != "running" && state != "signalled") continue;  // ended by itself
    if (alive_here(*v.status, host)) {
      if (lowest_alive < 0) lowest_alive = v.rank;
    } else if (!v.error) {
      died = true;
    }
  }
  return died && lowest_alive == rank;
}

std::string summarize_failure(const std::string& dir) {
  const LaunchFiles files = read_launch(dir);
  const std::string& launch = files.launch;
  if (launch.empty()) throw Error(dir + ": no rank status files (rank-<r>.json) to summarise");
  const std::vector<RankView>& views = files.views;
  const int world = files.world;
  const std::string host = host_name();
  const double now = wall_seconds();
  struct Verdict {
    int order;
    double time;
    int rank;
    std::string what;
  };
  std::vector<Verdict> verdicts;
  for (const RankView& v : views) {
    if (const auto j = judge(v, now, host)) {
      const double time = v.error    ? number_of(*v.error, "time")
                          : v.status ? number_of(*v.status, "time")
                                     : 0;
      verdicts.push_back({j->first, time, v.rank, j->second});
    }
  }
  std::sort(verdicts.begin(), verdicts.end(), [](const Verdict& a, const Verdict& b) {
    return a.order != b.order ? a.order < b.order
                              : (a.time != b.time ? a.time < b.time : a.rank < b.rank);
  });
  std::vector<int> silent;
  for (const Verdict& v : verdicts) {
    if (v.order == 1 && views[v.rank].status && !views[v.rank].error) silent.push_back(v.rank);
  }
  std::ostringstream out;
  out << "failure summary of launch " << launch << " (" << world << " ranks, " << dir << "):\n";
  out << lost_hosts(views, silent, host, now);
  out << network_cut(views);
  if (verdicts.empty()) out << "  no rank reports a failure\n";
  for (size_t i = 0; i < verdicts.size(); ++i) {
    const Verdict& v = verdicts[i];
    if (i > 0 && v.what == verdicts[0].what) {  // every rank hit the same (a shared input)
      out << "  the same on:   rank " << v.rank << " on " << host_of(views[v.rank]) << "\n";
      continue;
    }
    out << (i == 0 ? "  first failure: rank " : "  consequence:   rank ") << v.rank << " on "
        << host_of(views[v.rank]) << ": " << v.what << "\n";
  }
  const std::string summary = "launch " + launch + "\n" + out.str();
  write_atomically(dir + "/summary.txt", summary);
  return out.str();
}

std::string written_summary(const std::string& dir) {
  std::ifstream in(dir + "/summary.txt");
  std::string first;
  if (!in || !std::getline(in, first) || first != "launch " + newest_launch(dir)) return "";
  std::ostringstream rest;
  rest << in.rdbuf();
  return rest.str();
}

}  // namespace tf
