#include "core/checkpoint/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include "core/checked_size.h"
#include "core/checkpoint/checksum.h"
#include "core/data/posix_file.h"
#include "core/error.h"
#include "core/json_integers.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors data is little-endian; a big-endian host needs byte swapping");

namespace tf {
namespace {

using Json = nlohmann::json;

const std::vector<std::pair<std::string, torch::ScalarType>>& dtype_table() {
  static const std::vector<std::pair<std::string, torch::ScalarType>> table = {
      {"F64", torch::kFloat64},   {"F32", torch::kFloat32}, {"F16", torch::kFloat16},
      {"BF16", torch::kBFloat16}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
      {"I16", torch::kInt16},     {"I8", torch::kInt8},     {"U8", torch::kUInt8},
      {"BOOL", torch::kBool}};
  return table;
}

// Writers pad the header with spaces so that the data starts 8-byte aligned.
constexpr size_t kAlignment = 8;
// Headers are small; a bigger length means a corrupt or foreign file.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

}  // namespace

torch::ScalarType parse_safetensors_dtype(const std::string& name, const std::string& where) {
  for (const auto& [spelling, type] : dtype_table()) {
    if (spelling == name) return type;
  }
  throw Error(where + ": unsupported dtype '" + name + "'");
}

std::string safetensors_dtype(torch::ScalarType type) {
  for (const auto& [spelling, known] : dtype_table()) {
    if (known == type) return spelling;
  }
  TF_CHECK(false, "no safetensors dtype for ", c10::toString(type));
}

void stream_safetensors(const NamedTensors& tensors, const StringMap& metadata,
                        const ByteSink& sink) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    TF_CHECK(!header.contains(name), "duplicate tensor name ", name);
    const uint64_t bytes = tensor.numel() * tensor.element_size();
    header[name] = {{"dtype", safetensors_dtype(tensor.scalar_type())},
                    {"shape", tensor.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((kAlignment - text.size() % kAlignment) % kAlignment, ' ');
  const uint64_t length = text.size();
  char prefix[8];
  std::memcpy(prefix, &length, 8);
  sink(prefix, 8);
  sink(text.data(), text.size());
  for (const auto& named : tensors) {
    const torch::Tensor host = named.second.detach().to(torch::kCPU).contiguous();
    sink(static_cast<const char*>(host.data_ptr()), host.numel() * host.element_size());
  }
}

std::string encode_safetensors(const NamedTensors& tensors, const StringMap& metadata) {
  std::string out;
  stream_safetensors(tensors, metadata,
                     [&](const char* data, size_t size) { out.append(data, size); });
  return out;
}

std::string write_safetensors_file(const std::string& path, const NamedTensors& tensors,
                                   const StringMap& metadata) {
  OutputFile file(path);
  Crc32 crc;
  stream_safetensors(tensors, metadata, [&](const char* data, size_t size) {
    file.write(data, size);
    crc.update(data, size);
  });
  file.close();  // flushes and fsyncs
  return crc.hex();
}

SafetensorsContent decode_safetensors(const std::string& bytes, const std::string& source) {
  if (bytes.size() < 8) throw Error(source + ": not a safetensors file (shorter than 8 bytes)");
  uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);
  if (length > kMaxHeaderBytes || length > bytes.size() - 8) {
    throw Error(source + ": not a safetensors file (header length " + std::to_string(length) +
                " exceeds the file size " + std::to_string(bytes.size()) + ")");
  }
  Json header;
  try {
    header = Json::parse(bytes.begin() + 8, bytes.begin() + 8 + length);
  } catch (const Json::exception& e) {  // a syntax error, or a number beyond 64 bits
    throw Error(source + ": safetensors header is not valid JSON: " + e.what());
  }
  if (!header.is_object()) throw Error(source + ": safetensors header is not a JSON object");
  const char* data = bytes.data() + 8 + length;
  const uint64_t data_size = bytes.size() - 8 - length;
  SafetensorsContent content;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, entry] : header.items()) {
    const std::string where = source + ": tensor '" + name + "'";
    try {
      if (name == "__metadata__") {
        content.metadata = entry.get<StringMap>();
        continue;
      }
      const torch::ScalarType type =
          parse_safetensors_dtype(entry.at("dtype").get<std::string>(), where);
      const auto shape = json_integers<int64_t>(entry.at("shape"));
      const auto offsets = json_integers<uint64_t>(entry.at("data_offsets"));
      if (offsets.size() != 2 || offsets[0] > offsets[1] || offsets[1] > data_size) {
        throw Error(where + ": data_offsets outside the " + std::to_string(data_size) +
                    " data bytes");
      }
      const auto numel = checked_numel(shape);
      const auto bytes =
          numel ? checked_mul(*numel, static_cast<int64_t>(c10::elementSize(type))) : numel;
      if (!bytes) {
        throw Error(where + ": shape " + shape_text(shape) +
                    " has a negative dimension or more elements than fit in 64 bits");
      }
      const auto expected = static_cast<uint64_t>(*bytes);
      if (expected != offsets[1] - offsets[0]) {
        throw Error(where + ": shape and dtype need " + std::to_string(expected) +
                    " bytes, data_offsets give " + std::to_string(offsets[1] - offsets[0]));
      }
      ranges.emplace_back(offsets[0], offsets[1]);
      auto tensor = torch::empty(shape, torch::dtype(type));
      if (expected > 0)
        std::memcpy(tensor.data_ptr(), data + offsets[0], expected);  // empty: no data pointer
      content.tensors.emplace(name, std::move(tensor));
    } catch (const Json::exception& e) {
      throw Error(where + ": malformed header entry: " + e.what());
    }
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      throw Error(source + ": tensors overlap in the data section");
    }
  }
  return content;
}

std::string shape_text(torch::IntArrayRef shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

}  // namespace tf
