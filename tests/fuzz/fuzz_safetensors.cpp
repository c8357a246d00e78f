// The safetensors header and data reader, then row slices of what it read (as the checkpoint
// reader takes them).
#include <cstring>

#include "core/checkpoint/safetensors.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  tf::fuzz::expect_clean([&] {
    const tf::SafetensorsContent content = tf::decode_safetensors(bytes, "fuzz.safetensors");
    for (const auto& [name, tensor] : content.tensors) {
      if (tensor.dim() > 0 && tensor.size(0) > 1) tensor.narrow(0, 1, tensor.size(0) - 1).sum();
      tf::shape_text(tensor.sizes());
    }
    // Written back, the tensors decode to the same bytes (NaNs included).
    const tf::NamedTensors named(content.tensors.begin(), content.tensors.end());
    const tf::SafetensorsContent again =
        tf::decode_safetensors(tf::encode_safetensors(named, content.metadata), "again");
    for (const auto& [name, tensor] : content.tensors) {
      const torch::Tensor& copy = again.tensors.at(name);
      if (copy.sizes() != tensor.sizes() || copy.scalar_type() != tensor.scalar_type() ||
          (tensor.nbytes() > 0 &&
           std::memcmp(copy.data_ptr(), tensor.data_ptr(), tensor.nbytes()) != 0)) {
        std::abort();
      }
    }
  });
  return 0;
}
