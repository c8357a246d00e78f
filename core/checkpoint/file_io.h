// POSIX file operations for checkpoints. This is the one place where errno becomes tf::Error:
// every failure throws with the path, the operation and strerror(errno). Nothing here retries.
#pragma once

#include <string>
#include <vector>

namespace tf {

// Writes `bytes` to `path` (created or truncated) and fsyncs it before returning.
void write_file_synced(const std::string& path, const std::string& bytes);
// The whole content of `path`.
std::string read_file(const std::string& path);
// fsync on a directory, so that entries created or renamed in it survive a crash.
void sync_directory(const std::string& path);
void make_directory(const std::string& path);  // the parent must exist; fails if it exists
void rename_path(const std::string& from, const std::string& to);
void remove_tree(const std::string& path);     // no error if it does not exist
bool path_exists(const std::string& path);
// Names of the entries of directory `path` (not recursive, without "." and "..").
std::vector<std::string> list_directory(const std::string& path);

}  // namespace tf
