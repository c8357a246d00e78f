// How the process's C allocator treats the tensors of a training step.
#pragma once

namespace tf {

// glibc serves every block above its mmap threshold (dynamic, starting at 128 KiB) with a fresh
// mmap and returns it on free, so each step pays page faults and zeroing for the same activation
// buffers again: about 5% of a d256 step on the CPU, in the kernel (docs/performance.md, "The
// host allocator"). This raises the threshold to glibc's largest, 32 MiB, and keeps up to 1 GiB of
// freed heap, so the buffers of one step serve the next. Larger tensors still come from mmap.
// Call once at start-up, before the first tensor; a no-op where the C library is not glibc.
void reuse_freed_memory();

}  // namespace tf
