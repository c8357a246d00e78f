#include "core/checkpoint/reader.h"

#include <filesystem>

#include "core/checkpoint/checksum.h"
#include "core/checkpoint/directory.h"
#include "core/checkpoint/file_io.h"
#include "core/error.h"

namespace tf {
std::string find_latest_checkpoint(const std::string& root,
                                   const std::function<void(const std::string&)>& warn) {
  if (!path_exists(root)) return "";
  int64_t best = -1;
  for (const std::string& name : list_directory(root)) {
    const auto step = parse_step_directory(name);
    if (!step) continue;
    if (!has_marker(join_path(root, name))) {
      warn(join_path(root, name) + ": no completion marker (interrupted save); ignored");
    } else if (*step > best) {
      best = *step;
    }
  }
  return best < 0 ? "" : join_path(root, step_directory_name(best));
}

namespace {

// Why `dir`, which has no marker, is not a checkpoint, and what to name instead.
std::string why_not_a_checkpoint(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::exists(dir, error)) return "does not exist";
  if (!fs::is_directory(dir, error)) {
    return "is not a directory (a checkpoint is a step_N directory under checkpoint.dir)";
  }
  const std::string newest = find_latest_checkpoint(dir, [](const std::string&) {});
  if (!newest.empty()) {
    return "is a checkpoint root (checkpoint.dir), not a checkpoint: name one of its step "
           "directories, such as the newest complete one, " +
           newest;
  }
  return std::string("not a complete checkpoint (no ") + kMarkerFile +
         " marker: an unfinished or interrupted save, or not a checkpoint)";
}

// What to do about a corrupt file of checkpoint `dir`: the complete checkpoint before it, if any.
std::string way_past_corruption(const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path path(dir);
  const auto step = parse_step_directory(path.filename().string());
  const std::string root = path.parent_path().string();
  if (!step || root.empty()) return "";
  int64_t best = -1;
  for (const std::string& name : list_directory(root)) {
    const auto other = parse_step_directory(name);
    if (other && *other < *step && *other > best && has_marker(join_path(root, name))) {
      best = *other;
    }
  }
  if (best < 0) return "; no complete checkpoint before it to fall back to";
  return "; move " + dir + " out of " + root + " to resume from " +
         join_path(root, step_directory_name(best)) + ", the complete checkpoint before it";
}

}  // namespace

CheckpointReader::CheckpointReader(std::string dir) : dir_(std::move(dir)) {
  if (!has_marker(dir_)) throw Error(dir_ + ": " + why_not_a_checkpoint(dir_));
  const std::string path = join_path(dir_, kManifestFile);
  const std::string text = read_file(path);
  check_marker(dir_, text);
  manifest_ = manifest_from_json(text, path);
}

const SafetensorsContent& CheckpointReader::file(const std::string& name) const {
  auto found = files_.find(name);
  if (found != files_.end()) return found->second;
  const std::string path = join_path(dir_, name);
  const std::string bytes = read_file(path);
  const std::string actual = crc32_hex(bytes);
  const std::string& expected = manifest_.file_crc32.at(name);
  if (actual != expected) {
    throw Error(path + ": checksum mismatch (crc32 " + actual + ", manifest records " + expected +
                "); the file is corrupt" + way_past_corruption(dir_));
  }
  return files_.emplace(name, decode_safetensors(bytes, path)).first->second;
}

const TensorInfo& CheckpointReader::info(const std::string& name) const {
  auto found = manifest_.tensors.find(name);
  if (found == manifest_.tensors.end()) {
    throw Error(join_path(dir_, kManifestFile) + ": no tensor '" + name + "' in the checkpoint");
  }
  return found->second;
}

torch::Tensor CheckpointReader::rows(const std::string& name, int64_t begin, int64_t end) const {
  const TensorInfo& t = info(name);
  const std::string where = dir_ + ": tensor '" + name + "'";
  if (t.shape.empty() || begin < 0 || begin > end || end > t.shape[0]) {
    throw Error(where + ": rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                ") requested of shape " + shape_text(t.shape));
  }
  std::vector<int64_t> shape = t.shape;
  shape[0] = end - begin;
  torch::Tensor out;
  int64_t covered = 0;
  for (const TensorSlice& s : t.slices) {
    const int64_t lo = std::max(begin, s.row_begin), hi = std::min(end, s.row_end);
    if (lo >= hi) continue;
    const std::string path = join_path(dir_, s.file);
    const SafetensorsContent& content = file(s.file);
    const std::string& key = s.key.empty() ? name : s.key;
    auto stored = content.tensors.find(key);
    if (stored == content.tensors.end()) {
      throw Error(path + ": tensor '" + key + "' is missing (the manifest lists a slice here)");
    }
    std::vector<int64_t> slice_shape = t.shape;
    slice_shape[0] = s.row_end - s.row_begin;
    if (stored->second.sizes() != torch::IntArrayRef(slice_shape) ||
        safetensors_dtype(stored->second.scalar_type()) != t.dtype) {
      throw Error(path + ": tensor '" + name + "' is " +
                  safetensors_dtype(stored->second.scalar_type()) + " " +
                  shape_text(stored->second.sizes()) + ", the manifest says " + t.dtype + " " +
                  shape_text(slice_shape));
    }
    if (!out.defined()) out = torch::empty(shape, stored->second.options());
    out.narrow(0, lo - begin, hi - lo).copy_(stored->second.narrow(0, lo - s.row_begin, hi - lo));
    covered += hi - lo;
  }
  // The manifest's slices are disjoint (manifest_from_json checks), so counting rows suffices.
  if (covered != end - begin) {
    throw Error(where + ": slices cover " + std::to_string(covered) + " of rows [" +
                std::to_string(begin) + ", " + std::to_string(end) + ")");
  }
  return out.defined() ? out : torch::empty(shape, parse_safetensors_dtype(t.dtype, where));
}

torch::Tensor CheckpointReader::tensor(const std::string& name) const {
  const TensorInfo& t = info(name);
  return rows(name, 0, t.shape.empty() ? 0 : t.shape[0]);
}

void CheckpointReader::verify_all() const {
  for (const auto& [name, crc] : manifest_.file_crc32) file(name);
  for (const auto& [name, t] : manifest_.tensors) tensor(name);
}

}  // namespace tf
