// MMIDIDX validation: the part before the first NUL... is not usable here (index files contain
// NULs), so the first 4 bytes give the .idx length, the rest is split into .idx and .bin.
#include <cstring>

#include "core/data/indexed_dataset.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 4) return 0;
  uint32_t idx_size = 0;
  std::memcpy(&idx_size, data, 4);
  const std::string rest(reinterpret_cast<const char*>(data) + 4, size - 4);
  idx_size = static_cast<uint32_t>(std::min<size_t>(idx_size, rest.size()));
  const std::string prefix = tf::fuzz::scratch_path("-data");
  tf::fuzz::write_file(prefix + ".idx", rest.substr(0, idx_size));
  tf::fuzz::write_file(prefix + ".bin", rest.substr(idx_size));
  tf::fuzz::expect_clean([&] {
    const tf::IndexedDataset dataset(prefix, 1000);
    // Reads after validation fail only by tf::Error (an id outside the vocabulary): touch every
    // document and the ends of the stream.
    for (int64_t d = 0; d < dataset.documents(); ++d) dataset.document(d);
    if (dataset.size() > 0) {
      int64_t token = 0;
      dataset.read(dataset.size() - 1, 1, &token);
      dataset.document_start_at_or_before(dataset.size() - 1);
    }
  });
  return 0;
}
