// Stateless seeded shuffling: a sample's position is computed from (key, index) alone, so no
// table of a whole epoch is ever built and any index can be looked up first.
#pragma once

#include <cstdint>

namespace tf {

// SplitMix64's finaliser: a bijective 64-bit mix.
uint64_t mix64(uint64_t z);

// A seeded bijection on [0, n): a 4-round Feistel network on the enclosing power of four, walked
// until it lands inside the range. Precondition: 0 <= index < n.
int64_t permute(int64_t index, int64_t n, uint64_t key);

}  // namespace tf
