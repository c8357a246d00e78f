#include "core/checkpoint/writer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <map>

#include "core/checkpoint/directory.h"
#include "core/checkpoint/file_io.h"
#include "core/checkpoint/safetensors.h"
#include "core/error.h"

namespace tf {
namespace {

using Json = nlohmann::json;

// Runs `action` on this rank, then agrees with the others, so that no rank goes on alone and every
// rank reports the same error: the lowest failing rank rethrows its own failure as it was, every
// other rank a tf::Error with the same message.
template <typename Action>
void agree(CheckpointSync& sync, const std::string& what, Action action) {
  std::exception_ptr failure;
  std::string message;
  try {
    action();
  } catch (const std::exception& e) {
    failure = std::current_exception();
    message = *e.what() ? e.what() : what + ": failed";
  } catch (...) {
    failure = std::current_exception();
    message = what + ": failed";
  }
  const std::string first = sync.first_failure(message);
  if (first.empty()) return;
  if (failure && first == message) std::rethrow_exception(failure);
  throw Error(first);
}

// This rank's file and how its tensors map into the global ones, as sent to rank 0.
std::string write_rank_file(const std::string& dir, const CheckpointState& state, int64_t rank) {
  const std::string file = rank_file_name(rank);
  NamedTensors named;
  Json tensors = Json::array();
  std::map<std::string, int> entries;  // a rank holds several row ranges of a grown layer
  for (const ShardTensor& t : state.tensors) ++entries[t.name];
  for (const ShardTensor& t : state.tensors) {
    TF_CHECK(t.local.dim() >= 1 && t.local.dim() == int64_t(t.global_shape.size()), t.name);
    TF_CHECK(t.row_offset >= 0 && t.row_offset + t.local.size(0) <= t.global_shape[0], t.name);
    const std::string key =
        entries[t.name] == 1 ? t.name : t.name + "@" + std::to_string(t.row_offset);
    named.emplace_back(key, t.local.detach());  // copied to the host one at a time, as written
    tensors.push_back({{"name", t.name},
                       {"key", key},
                       {"dtype", safetensors_dtype(t.local.scalar_type())},
                       {"shape", t.global_shape},
                       {"rows", {t.row_offset, t.row_offset + t.local.size(0)}}});
  }
  const std::string crc = write_safetensors_file(join_path(dir, file), named,
                                                 {{"step", std::to_string(state.run.step)}});
  return Json{{"file", file}, {"crc32", crc}, {"tensors", tensors}}.dump();
}

Manifest compose_manifest(const RunState& run, const std::vector<std::string>& descriptions) {
  Manifest m;
  m.run = run;
  for (const std::string& text : descriptions) {
    const Json d = Json::parse(text);
    const std::string file = d.at("file");
    m.file_crc32[file] = d.at("crc32");
    for (const Json& t : d.at("tensors")) {
      const std::string name = t.at("name");
      TensorInfo& info = m.tensors[name];
      const auto shape = t.at("shape").get<std::vector<int64_t>>();
      TF_CHECK(info.slices.empty() || (info.shape == shape && info.dtype == t.at("dtype")),
               "ranks disagree on the shape or dtype of ", name);
      info.shape = shape;
      info.dtype = t.at("dtype");
      info.slices.push_back({file, t.at("rows")[0], t.at("rows")[1], t.at("key")});
    }
  }
  for (auto& [name, info] : m.tensors) {
    auto& s = info.slices;
    std::sort(s.begin(), s.end(), [](auto& a, auto& b) { return a.row_begin < b.row_begin; });
    for (size_t i = 1; i < s.size(); ++i) {
      TF_CHECK(s[i - 1].row_end <= s[i].row_begin, "slices of ", name, " overlap");
    }
  }
  return m;
}

// Complete checkpoints beyond the newest `keep`, and incomplete or staging directories older
// than `newest`: only called once `newest` is complete.
void prune(const std::string& root, int64_t newest, int64_t keep) {
  std::vector<int64_t> complete;
  for (const std::string& name : list_directory(root)) {
    const bool staging = name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0;
    const auto step = parse_step_directory(staging ? name.substr(0, name.size() - 4) : name);
    if (!step) continue;
    const std::string path = join_path(root, name);
    if (!staging && has_marker(path)) {
      complete.push_back(*step);
    } else if (*step < newest) {
      remove_tree(path);
    }
  }
  std::sort(complete.rbegin(), complete.rend());
  for (size_t i = static_cast<size_t>(std::max<int64_t>(keep, 1)); i < complete.size(); ++i) {
    // Marker first: a deletion cut short must not leave a directory that looks complete.
    const std::string path = join_path(root, step_directory_name(complete[i]));
    remove_tree(join_path(path, kMarkerFile));
    remove_tree(path);
  }
  sync_directory(root);
}

}  // namespace

std::string save_checkpoint(const std::string& root, const CheckpointState& state, int64_t keep,
                            CheckpointSync& sync) {
  const std::string final_dir = join_path(root, step_directory_name(state.run.step));
  const std::string staging = final_dir + ".tmp";
  const std::string what = final_dir + ": checkpoint save";
  const bool leader = sync.rank() == 0;
  agree(sync, what, [&] {
    if (!leader) return;
    std::error_code code;
    std::filesystem::create_directories(root, code);
    if (code) throw Error(root + ": cannot create checkpoint directory: " + code.message());
    if (path_exists(final_dir)) {
      if (has_marker(final_dir)) throw Error(final_dir + ": a complete checkpoint already exists");
      remove_tree(final_dir);  // an interrupted save of this very step
    }
    remove_tree(staging);
    make_directory(staging);
  });
  std::string description;
  agree(sync, what, [&] {
    sync.check_may_write();
    description = write_rank_file(staging, state, sync.rank());
  });
  const std::vector<std::string> descriptions = sync.gather(description);
  agree(sync, what, [&] {
    if (!leader) return;
    sync.check_may_write();
    TF_CHECK_EQ(int64_t(descriptions.size()), sync.size());
    const std::string manifest = manifest_to_json(compose_manifest(state.run, descriptions));
    write_file_synced(join_path(staging, kManifestFile), manifest);
    sync_directory(staging);
    rename_path(staging, final_dir);
    sync_directory(root);
    sync.check_may_write();  // the last moment: the marker is what makes it complete
    write_marker(final_dir, manifest);
    prune(root, state.run.step, keep);
  });
  return final_dir;
}

}  // namespace tf
