#include "parallel/launcher_guard.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>

namespace tf::parallel {
namespace {

// Field 22 of /proc/PID/stat (the start time), copied into `out`; false when the process is gone.
// With the pid, it names one process even if the pid is reused. Only system calls, no
// allocation: it runs in the watcher, a fork of a threaded process.
bool start_time(const char* stat_path, char* out, size_t size) {
  char stat[1024];
  const int fd = open(stat_path, O_RDONLY);
  if (fd < 0) return false;
  const ssize_t n = read(fd, stat, sizeof stat - 1);
  close(fd);
  if (n <= 0) return false;
  stat[n] = '\0';
  const char* at = strrchr(stat, ')');  // the name, field 2, may hold spaces
  for (int field = 2; at != nullptr && field < 22; ++field) at = strchr(at + 1, ' ');
  if (at == nullptr) return false;
  ++at;
  size_t length = strcspn(at, " ");
  if (length >= size) length = size - 1;
  memcpy(out, at, length);
  out[length] = '\0';
  return true;
}

bool is_mpirun(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name == "mpirun" || name == "mpiexec" || name == "orterun";
}

struct Watch {
  pid_t launcher;
  std::string stat_path, stderr_path, message;
  char started[64];
  double grace;
};

[[noreturn]] void watch(const Watch& w) {
  timespec pause{static_cast<time_t>(w.grace), 0};
  while (nanosleep(&pause, &pause) != 0) {
  }
  char now[64];
  if (start_time(w.stat_path.c_str(), now, sizeof now) && strcmp(now, w.started) == 0) {
    // mpirun's stderr is where its user looks: the terminal, or the job's output file.
    const int err = open(w.stderr_path.c_str(), O_WRONLY | O_APPEND | O_NOCTTY);
    if (err >= 0) {
      const ssize_t written = write(err, w.message.data(), w.message.size());
      (void)written;
      close(err);
    }
    kill(w.launcher, SIGKILL);
  }
  _exit(0);
}

}  // namespace

double launcher_grace_seconds() {
  double sigkill_timeout = 1;
  if (const char* text = std::getenv("OMPI_MCA_odls_base_sigkill_timeout")) {
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    if (end != text && value >= 0) sigkill_timeout = value;
  }
  return 2 * sigkill_timeout + 10;
}

void watch_launcher_after_abort() {
  Watch w;
  w.launcher = getppid();
  if (!is_mpirun(w.launcher)) return;
  w.grace = launcher_grace_seconds();
  const std::string proc = "/proc/" + std::to_string(w.launcher);
  w.stat_path = proc + "/stat";
  w.stderr_path = proc + "/fd/2";
  if (!start_time(w.stat_path.c_str(), w.started, sizeof w.started)) return;
  char grace[32];
  std::snprintf(grace, sizeof grace, "%.0f", w.grace);
  w.message = "tf-launch: mpirun (pid " + std::to_string(w.launcher) +
              ") has not ended the job " + grace +
              " s after a rank aborted it: a host it cannot reach (network cut, or its "
              "processes frozen) holds it up; killing it (exit status 137; the failure summary "
              "above says which ranks failed)\n";
  const pid_t child = fork();
  if (child < 0) return;
  if (child > 0) {
    waitpid(child, nullptr, 0);  // the first child exits at once; the watcher is its child
    return;
  }
  // The first child: a session of its own (mpirun's signals to the ranks' group miss it), no
  // file of the rank (its output pipes to mpirun must close when the rank exits), then the
  // watcher, which init (or the subreaper) inherits.
  setsid();
  const int null = open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) dup2(null, fd);
  for (int fd = 3; fd < 1024; ++fd) close(fd);
  if (fork() == 0) watch(w);
  _exit(0);
}

}  // namespace tf::parallel
