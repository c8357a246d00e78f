// A TokenFormer config small enough for exact checks in a few milliseconds: hidden 16, 2 layers,
// 2 heads (head_dim 8: 2 rotary dims), tokens 6/5/12, seq 8, vocabulary 50 (padded to 128).
#pragma once

#include "core/config.h"

namespace tf::testing {

inline ModelConfig small_model() {
  ModelConfig m;
  m.hidden_size = 16;
  m.num_layers = 2;
  m.num_heads = 2;
  m.qkv_tokens = 6;
  m.proj_tokens = 5;
  m.ffn_tokens = 12;
  m.seq_len = 8;
  m.vocab_size = 50;
  return m;
}

// small_model with token counts that grow evenly (8/8/16) and a smaller vocabulary, for growth.
inline ModelConfig growing_model() {
  ModelConfig m = small_model();
  m.qkv_tokens = 8;
  m.proj_tokens = 8;
  m.ffn_tokens = 16;
  m.vocab_size = 40;
  return m;
}

}  // namespace tf::testing
