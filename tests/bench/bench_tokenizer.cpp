// Encoding throughput of one tokenizer on one core:
//   tf_bench_tokenizer TEXT_FILE byte|PATH/tokenizer.json [REPEATS]
// Prints MB/s by wall clock and by this thread's CPU time (the honest figure on a shared machine),
// for the first pass (cold word cache) and the mean of the repeats after it.
#include <time.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "core/error.h"
#include "core/tokenizer/tokenizer.h"

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void report(const char* label, double megabytes, double wall, double cpu, size_t tokens) {
  std::printf("%-6s %8.2f MB/s wall  %8.2f MB/s cpu  %zu tokens\n", label, megabytes / wall,
              megabytes / cpu, tokens);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fputs("usage: tf_bench_tokenizer TEXT_FILE byte|PATH/tokenizer.json [REPEATS]\n", stderr);
    return 2;
  }
  try {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) throw tf::Error(std::string(argv[1]) + ": cannot open");
    const std::string text(std::istreambuf_iterator<char>(in), {});
    const auto tokenizer = tf::make_tokenizer(argv[2]);
    const int repeats = argc == 4 ? std::stoi(argv[3]) : 5;
    const double megabytes = static_cast<double>(text.size()) / 1e6;
    std::printf("%s: %.2f MB, tokenizer %s\n", argv[1], megabytes, argv[2]);

    double wall = wall_seconds(), cpu = thread_cpu_seconds();
    size_t tokens = tokenizer->encode(text).size();
    report("cold", megabytes, wall_seconds() - wall, thread_cpu_seconds() - cpu, tokens);

    wall = wall_seconds();
    cpu = thread_cpu_seconds();
    for (int r = 0; r < repeats; ++r) tokens = tokenizer->encode(text).size();
    report("warm", megabytes * repeats, wall_seconds() - wall, thread_cpu_seconds() - cpu, tokens);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tf_bench_tokenizer: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
