#include "launcher/lease.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "core/device.h"
#include "core/error.h"
#include "core/log.h"
#include "launcher/liveness.h"

namespace tf {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string to_text(const LeaseHolder& h) {
  return json{{"host", h.host},        {"pid", h.pid},         {"job", h.job},
              {"launch", h.launch},    {"started", h.started}, {"renewed", h.renewed},
              {"interval", h.interval}}
             .dump() +
         "\n";
}

// The file's text; nullopt when there is none.
std::optional<std::string> read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What a lease file says. A file that does not parse (its writer died between creating and
// writing it) counts as renewed at its modification time by a holder of no known host, so that it
// goes stale after a short while.
LeaseHolder parse_holder(const std::string& text, const std::string& path) {
  LeaseHolder h;
  try {
    const json j = json::parse(text);
    h.host = j.value("host", "");
    h.pid = j.value("pid", int64_t{0});
    h.job = j.value("job", "");
    h.launch = j.value("launch", "");
    h.started = j.value("started", 0.0);
    h.renewed = j.value("renewed", 0.0);
    h.interval = j.value("interval", 0.0);
    return h;
  } catch (const json::exception&) {
  }
  struct stat st {};
  h.host = "?";
  h.interval = 1;
  h.renewed = ::stat(path.c_str(), &st) == 0 ? double(st.st_mtime) : 0;
  return h;
}

bool same_holder(const LeaseHolder& a, const LeaseHolder& b) {
  return a.host == b.host && a.pid == b.pid && a.launch == b.launch;
}

// Creates `path` with `text` unless it exists: false when it exists. Throws for other failures.
bool create_exclusive(const std::string& path, const std::string& text, const std::string& what) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    throw Error(what + ": cannot create " + path + ": " + std::strerror(errno));
  }
  const bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw Error(what + ": cannot write " + path + ": " + std::strerror(saved));
  }
  return true;
}

}  // namespace

LeaseHolder this_process_holder(const std::string& launch, double interval) {
  LeaseHolder h;
  h.host = host_name();
  h.pid = ::getpid();
  const char* job = std::getenv("SLURM_JOB_ID");
  h.job = job ? job : "";
  h.launch = launch;
  h.interval = interval;
  return h;
}

std::string CheckpointLease::describe(const LeaseHolder& h, double now) {
  const std::string who = !h.job.empty()      ? "job " + h.job
                          : !h.launch.empty() ? "launch " + h.launch
                                              : "an unknown job";
  if (h.host == "?") {
    return format("an unknown job (an unreadable lease file, written %.0f s ago)", now - h.renewed);
  }
  return format("%s (host %s, pid %lld, lease renewed %.0f s ago)", who.c_str(), h.host.c_str(),
                (long long)h.pid, now - h.renewed);
}

CheckpointLease::CheckpointLease(const std::string& dir, LeaseHolder me)
    : dir_(dir), path_(dir + "/" + kFileName), me_(std::move(me)) {
  const std::string what = "checkpoint.dir " + dir_;
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw Error(what + ": cannot create the directory: " + ec.message());
  me_.started = me_.renewed = wall_seconds();
  const std::string mine = to_text(me_);
  const std::string aside =
      path_ + ".stale." + me_.host + "." + std::to_string(me_.pid) + "." + me_.launch;
  // A holder on this host that is ending (the ranks of a job killed a moment ago, which its
  // launcher is still taking down) gets a few seconds to go before the launch is refused.
  const auto ending_grace = std::chrono::steady_clock::now() + std::chrono::seconds(4);
  for (int races = 0; races < 20;) {
    if (create_exclusive(path_, mine, what)) return;
    const std::optional<std::string> text = read_text(path_);
    if (!text) {  // released or moved away since: try again
      ++races;
      continue;
    }
    const LeaseHolder holder = parse_holder(*text, path_);
    const double now = wall_seconds();
    if (holder.host == "?" && now - holder.renewed < stale_after(holder.interval)) {
      // Being written by its creator this very moment.
      ++races;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    const Keeper keeper{holder.host, holder.pid, holder.renewed, holder.interval};
    if (!keeper_gone(keeper, me_.host, now)) {
      if (holder.host == me_.host && holder.pid != me_.pid &&
          std::chrono::steady_clock::now() < ending_grace) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      throw Error(what + " is in use by " + describe(holder, now) +
                  ": one job per checkpoint directory; wait for it to end, stop it (tf-ctl "
                  "stop), or choose another checkpoint.dir");
    }
    // Stale: move it out of the way. Only one contender's rename finds it there.
    ++races;
    if (::rename(path_.c_str(), aside.c_str()) != 0) continue;
    const std::optional<std::string> moved = read_text(aside);
    if (moved != text) {
      // A contender took it over between our read and our rename: put its lease back (unless yet
      // another lease is there already).
      static_cast<void>(::link(aside.c_str(), path_.c_str()));
      ::unlink(aside.c_str());
      continue;
    }
    ::unlink(aside.c_str());
    taken_over_ =
        what + ": taking over the stale lease of " + describe(holder, now) + ": its holder is gone";
  }
  throw Error(what + ": cannot take the lease " + path_ +
              ": other jobs are taking it at the same time; launch one job per checkpoint "
              "directory");
}

CheckpointLease::~CheckpointLease() { release(); }

bool CheckpointLease::held() const {
  const std::optional<std::string> text = read_text(path_);
  return text && same_holder(parse_holder(*text, path_), me_);
}

bool CheckpointLease::renew() {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (released_ || !held()) return false;
  me_.renewed = wall_seconds();
  const std::string tmp = path_ + "." + me_.host + "." + std::to_string(me_.pid) + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << to_text(me_);
    if (!out.flush()) return true;  // a full disk: the lease stands until it goes stale
  }
  std::error_code ignored;
  fs::rename(tmp, path_, ignored);
  return true;
}

void CheckpointLease::release() {
  const std::lock_guard<std::mutex> lock(mutex_);
  if (released_) return;
  released_ = true;
  if (held()) ::unlink(path_.c_str());
}

}  // namespace tf
