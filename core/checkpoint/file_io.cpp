#include "core/checkpoint/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace tf {
namespace {

[[noreturn]] void throw_errno(const std::string& what, const std::string& path, int code) {
  throw Error(path + ": " + what + " failed: " + std::strerror(code));
}

// Owns a file descriptor; closing on the error path must not mask the first error.
class Descriptor {
 public:
  Descriptor(const std::string& path, int flags, mode_t mode = 0) : path_(path) {
    fd_ = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd_ < 0) throw_errno("open", path, errno);
  }
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }
  void sync() const {
    if (::fsync(fd_) != 0) throw_errno("fsync", path_, errno);
  }
  // close() can report a delayed write error (NFS); it is checked, not ignored.
  void close() {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw_errno("close", path_, errno);
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace

void write_file_synced(const std::string& path, const std::string& bytes) {
  Descriptor file(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(file.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("write", path, errno);
    done += static_cast<size_t>(n);
  }
  file.sync();
  file.close();
}

std::string read_file(const std::string& path) {
  Descriptor file(path, O_RDONLY);
  struct stat info;
  if (::fstat(file.get(), &info) != 0) throw_errno("stat", path, errno);
  std::string bytes(static_cast<size_t>(info.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(file.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("read", path, errno);
    if (n == 0) throw Error(path + ": file shrank while being read");
    done += static_cast<size_t>(n);
  }
  return bytes;
}

void sync_directory(const std::string& path) {
  Descriptor dir(path, O_RDONLY | O_DIRECTORY);
  dir.sync();
  dir.close();
}

void make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0) throw_errno("mkdir", path, errno);
}

void rename_path(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) throw_errno("rename to " + to, from, errno);
}

void remove_tree(const std::string& path) {
  std::error_code code;
  std::filesystem::remove_all(path, code);
  if (code) throw_errno("remove", path, code.value());
}

bool path_exists(const std::string& path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

std::vector<std::string> list_directory(const std::string& path) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) throw_errno("opendir", path, errno);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  const int code = errno;
  ::closedir(dir);
  if (code != 0) throw_errno("readdir", path, code);
  return names;
}

}  // namespace tf
