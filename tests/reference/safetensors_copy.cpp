// tf_safetensors_copy IN OUT: reads the safetensors file IN with the project's reader and writes
// every tensor and the metadata to OUT with its writer, for tests/reference/safetensors_check.py
// (files the `safetensors` package writes load here, and what is written here loads there).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/checkpoint/safetensors.h"
#include "core/error.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: tf_safetensors_copy IN OUT\n", stderr);
    return 2;
  }
  try {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) throw tf::Error(std::string(argv[1]) + ": cannot open");
    std::ostringstream bytes;
    bytes << in.rdbuf();
    const tf::SafetensorsContent content = tf::decode_safetensors(bytes.str(), argv[1]);
    tf::NamedTensors tensors(content.tensors.begin(), content.tensors.end());
    tf::write_safetensors_file(argv[2], tensors, content.metadata);
    std::printf("copied %zu tensors\n", tensors.size());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tf_safetensors_copy: %s\n", e.what());
    return 1;
  }
}
