#include "core/checkpoint/directory.h"

#include <cstdio>

#include "core/checkpoint/checksum.h"
#include "core/checkpoint/file_io.h"
#include "core/error.h"

namespace tf {
namespace {

std::string marker_text(const std::string& manifest_bytes) {
  return std::string(kManifestFile) + " crc32 " + crc32_hex(manifest_bytes) + "\n";
}

}  // namespace

std::string step_directory_name(int64_t step) { return "step_" + std::to_string(step); }

std::optional<int64_t> parse_step_directory(const std::string& name) {
  const std::string prefix = "step_";
  if (name.size() <= prefix.size() || name.size() > prefix.size() + 18 ||
      name.compare(0, prefix.size(), prefix) != 0) {
    return std::nullopt;
  }
  int64_t step = 0;
  for (size_t i = prefix.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
    step = step * 10 + (name[i] - '0');
  }
  return step;
}

std::string rank_file_name(int64_t rank) {
  char name[64];
  std::snprintf(name, sizeof name, "rank_%05lld.safetensors", static_cast<long long>(rank));
  return name;
}

std::string join_path(const std::string& dir, const std::string& name) {
  return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

void write_marker(const std::string& dir, const std::string& manifest_bytes) {
  write_file_synced(join_path(dir, kMarkerFile), marker_text(manifest_bytes));
  sync_directory(dir);
}

bool has_marker(const std::string& dir) { return path_exists(join_path(dir, kMarkerFile)); }

void check_marker(const std::string& dir, const std::string& manifest_bytes) {
  const std::string path = join_path(dir, kMarkerFile);
  if (read_file(path) != marker_text(manifest_bytes)) {
    throw Error(join_path(dir, kManifestFile) + ": checksum does not match the one recorded in " +
                path + " (corrupt manifest)");
  }
}

}  // namespace tf
