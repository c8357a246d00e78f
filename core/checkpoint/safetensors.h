// The safetensors container (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets: [begin, end)}, optional
// "__metadata__": {string: string}}, then the raw little-endian tensor bytes.
// Files are written as a stream, one tensor's host copy at a time (tensors may live on a GPU), and
// parsed whole in memory.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tf {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;
using StringMap = std::map<std::string, std::string>;

// Writes a safetensors file holding `tensors` (on any device, any supported dtype) in the given
// order to `sink`, piece by piece: the header, then each tensor's bytes, copied to the host (and
// made contiguous) only while it is written. Duplicate names or an unsupported dtype are
// tf::InternalError.
using ByteSink = std::function<void(const char* data, size_t size)>;
void stream_safetensors(const NamedTensors& tensors, const StringMap& metadata,
                        const ByteSink& sink);
// The same as bytes in memory.
std::string encode_safetensors(const NamedTensors& tensors, const StringMap& metadata = {});
// The same into the file `path` (created or truncated, fsynced); returns its crc32_hex.
std::string write_safetensors_file(const std::string& path, const NamedTensors& tensors,
                                   const StringMap& metadata = {});

struct SafetensorsContent {
  std::map<std::string, torch::Tensor> tensors;  // owned copies
  StringMap metadata;
};

// Parses and validates `bytes` (header length, JSON, dtypes, shapes against byte ranges, ranges
// inside the data and not overlapping). `source` names the file in the tf::Error thrown.
SafetensorsContent decode_safetensors(const std::string& bytes, const std::string& source);

// The safetensors spelling of a dtype ("F32", "BF16", "I64", ...) and back; an unknown spelling
// throws tf::Error prefixed with `where`.
std::string safetensors_dtype(torch::ScalarType type);

// "[6, 3]": a tensor shape for error messages.
std::string shape_text(torch::IntArrayRef shape);
torch::ScalarType parse_safetensors_dtype(const std::string& name, const std::string& where);

}  // namespace tf
