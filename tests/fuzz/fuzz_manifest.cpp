// The checkpoint manifest.
#include "core/checkpoint/manifest.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  tf::fuzz::expect_clean([&] {
    const tf::Manifest manifest = tf::manifest_from_json(text, "manifest.json");
    // Written back, it reads the same.
    if (tf::manifest_to_json(tf::manifest_from_json(tf::manifest_to_json(manifest), "again")) !=
        tf::manifest_to_json(manifest)) {
      std::abort();
    }
  });
  return 0;
}
