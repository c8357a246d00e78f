// The YAML config loader: the text before the first NUL is the config, each later NUL-separated
// part a --set override.
#include "core/config.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> parts = tf::fuzz::split(data, size, 5);
  const std::string text = parts.front();
  parts.erase(parts.begin());
  tf::fuzz::expect_clean([&] {
    const tf::Config config = tf::parse_config(text, "fuzz.yaml", parts);
    // What a loaded config must survive: written back and read again.
    tf::parse_config(tf::to_yaml(config), "fuzz.yaml (written back)");
  });
  return 0;
}
