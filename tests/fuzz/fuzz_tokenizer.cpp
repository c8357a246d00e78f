// tokenizer.json loading (the part before the first NUL), then encode and decode of the text
// after it: what decode(encode(text)) gives (the text, normalised) comes back unchanged.
#include "core/tokenizer/bpe_tokenizer.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts = tf::fuzz::split(data, size, 2);
  const std::string path = tf::fuzz::scratch_path("-tokenizer.json");
  tf::fuzz::write_file(path, parts[0]);
  tf::fuzz::expect_clean([&] {
    const tf::BpeTokenizer tokenizer(path);
    if (parts.size() < 2) return;
    const std::string normalised = tokenizer.decode(tokenizer.encode(parts[1]));
    if (tokenizer.decode(tokenizer.encode(normalised)) != normalised) std::abort();
  });
  return 0;
}
