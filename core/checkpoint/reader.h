// Loading a checkpoint in any layout: tensors are assembled from the slices the manifest names,
// so the reader needs nothing of the layout that wrote them. Every failure is a tf::Error naming
// the file and, where one is involved, the tensor.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>

#include "core/checkpoint/manifest.h"
#include "core/checkpoint/safetensors.h"

namespace tf {

// The complete step_<N> directory with the largest N under `root`; "" when there is none (or no
// `root`). Directories without a marker are skipped and reported through `warn`.
std::string find_latest_checkpoint(const std::string& root,
                                   const std::function<void(const std::string&)>& warn);

class CheckpointReader {
 public:
  // Reads the marker and the manifest of `dir` and checks that they agree.
  explicit CheckpointReader(std::string dir);

  const Manifest& manifest() const { return manifest_; }
  const std::string& directory() const { return dir_; }
  bool has(const std::string& name) const { return manifest_.tensors.count(name) != 0; }

  // Rows [begin, end) of tensor `name`, assembled from every slice that overlaps them. Files are
  // read and checksum-verified on first use and kept in memory for later calls.
  torch::Tensor rows(const std::string& name, int64_t begin, int64_t end) const;
  torch::Tensor tensor(const std::string& name) const;
  // Reads and verifies every file and every slice (what inspect-ckpt reports).
  void verify_all() const;

 private:
  const SafetensorsContent& file(const std::string& name) const;
  const TensorInfo& info(const std::string& name) const;

  std::string dir_;
  Manifest manifest_;
  mutable std::map<std::string, SafetensorsContent> files_;
};

}  // namespace tf
