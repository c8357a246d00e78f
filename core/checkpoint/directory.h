// Names and the completion marker of checkpoint directories: ROOT/step_<N>/ holds
// rank_<r>.safetensors files, manifest.json and, last, the marker COMPLETE, which records the
// manifest's CRC32. A save is staged in ROOT/step_<N>.tmp and renamed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tf {

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kMarkerFile = "COMPLETE";

std::string step_directory_name(int64_t step);          // "step_<N>"
std::optional<int64_t> parse_step_directory(const std::string& name);  // none for other names
std::string rank_file_name(int64_t rank);                // "rank_00003.safetensors"
std::string join_path(const std::string& dir, const std::string& name);

// Writes the marker for `manifest_bytes` into `dir` and fsyncs it and `dir`.
void write_marker(const std::string& dir, const std::string& manifest_bytes);
// Whether `dir` has a marker (its content is checked when the checkpoint is opened).
bool has_marker(const std::string& dir);
// Throws tf::Error naming `dir` unless its marker records the CRC32 of `manifest_bytes`.
void check_marker(const std::string& dir, const std::string& manifest_bytes);

}  // namespace tf
