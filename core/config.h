// Typed run configuration, read from one YAML file (docs/configuration.md lists every key).
// Loading validates everything up front and throws tf::Error naming the file, line and key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tf {

struct ModelConfig {
  int64_t hidden_size = 768;
  int64_t num_layers = 12;
  int64_t num_heads = 12;
  int64_t qkv_tokens = 768;
  int64_t proj_tokens = 768;
  int64_t ffn_tokens = 3072;
  int64_t seq_len = 2048;
  int64_t vocab_size = 50277;
  std::string norm = "l2_norm_gelu";  // l2_norm_gelu | gelu_l2_norm | softmax
  double rotary_pct = 0.25;
  // Weights to start from: an authors'-layout safetensors file or a checkpoint step directory,
  // with at most the first stage's token counts; empty: random init.
  std::string init_from;
  std::string init_growth =
      "preserve";  // zero | normal | preserve: when init_from has fewer tokens

  int64_t head_dim() const { return hidden_size / num_heads; }
  // Vocabulary rounded up to a multiple of 128 (50277 -> 50304). SPEC.md pads to 128 x tp for
  // vocabulary-sharded heads; the embedding here is replicated within the token-parallel group,
  // so the padding, and with it the model and its checkpoints, does not depend on the layout.
  int64_t padded_vocab() const;
};

struct TrainConfig {
  int64_t steps = 100;
  int64_t global_batch = 8;  // sequences per optimizer step, across all data-parallel ranks
  int64_t micro_batch = 8;   // sequences per forward/backward on one rank
  double lr = 6e-4;
  double min_lr = 6e-5;
  int64_t warmup_steps = 1;
  double weight_decay = 0.1;
  double grad_clip = 1.0;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  uint64_t seed = 1234;
  std::string precision = "fp32";                 // fp32 | bf16
  std::string device = "auto";                    // auto | cpu | cuda (core/device.h)
  std::string activation_checkpointing = "none";  // none | layer: recompute blocks in backward
  int64_t log_interval = 10;
  // JSON Lines log of every logged step and validation (core/trainer/metrics_log.h); empty: none.
  std::string metrics_file;
  int64_t eval_interval = 100;       // 0: never
  int64_t eval_batches = 4;          // micro batches per validation pass
  int threads = 0;                   // intra-op threads per rank; 0: LibTorch's default
  bool ignore_memory_check = false;  // train even where the memory estimate exceeds the budget
};

struct DataSource {
  std::string path;  // indexed dataset prefix: PREFIX.bin + PREFIX.idx (docs/data.md)
  double weight = 1.0;
};

struct SyntheticDataConfig {
  int64_t documents = 2000;
  int64_t doc_len = 256;
  uint64_t seed = 7;
};

struct DataConfig {
  std::vector<DataSource> train;  // empty: the embedded synthetic corpus
  std::vector<DataSource> valid;  // empty: a held-out split of train
  double valid_fraction = 0.01;
  std::string tokenizer = "byte";  // byte | PATH/tokenizer.json
  SyntheticDataConfig synthetic;
};

struct ParallelConfig {
  int64_t tp = 1;
  int64_t pp = 1;
  int64_t dp = 0;  // data-parallel ranks; 0: whatever the world size gives (world / (tp x pp))
  bool zero1 = false;
  std::vector<int64_t> pp_layers;    // layers per pipeline stage; empty: balanced (core/pipeline.h)
  std::string pp_schedule = "1f1b";  // 1f1b | gpipe
};

// "tp 2 x pp 1", with " x dp 4" when dp is fixed and ", ZeRO-1" when on: for log lines.
std::string layout_text(const ParallelConfig& p);
// The world sizes a layout runs on: "8 ranks" with dp fixed, "a multiple of 4 ranks" otherwise.
std::string ranks_text(const ParallelConfig& p);

struct CheckpointConfig {
  std::string dir;       // empty: no checkpoints
  int64_t interval = 0;  // steps; 0: only at the end
  int64_t keep = 3;
};

struct ControlConfig {
  std::string address = "127.0.0.1:0";  // empty: no control server
  std::string token_file;  // bearer token for mutating calls; at most one of token_file/token_env
  std::string token_env;   // name of an environment variable holding the token
  std::string tls_cert;    // PEM files; both or neither (then plaintext)
  std::string tls_key;
};

struct MetricsConfig {
  std::string address;    // empty: no metrics exposer
  double peak_flops = 0;  // per rank, FLOP/s, for the MFU ratio; 0: unknown (no MFU metric)
};

// Failure detection (docs/troubleshooting.md): time-outs in seconds per phase (0: none) and the
// run of skipped steps that stops a run.
struct FaultConfig {
  double startup_timeout = 900;      // from launch to the first step: data, model, communicators
  double step_timeout = 600;         // one step, or one validation pass
  double checkpoint_timeout = 1800;  // one save
  int64_t max_skipped_steps = 20;    // non-finite steps in a row; 0: never stop for them
  // Per-rank status and error files; empty: <checkpoint.dir>/ranks, none without checkpoint.dir.
  std::string dir;
};

struct StageConfig {
  std::string name;
  int64_t qkv_tokens = 0;
  int64_t proj_tokens = 0;
  int64_t ffn_tokens = 0;
  int64_t steps = 0;
  double lr = 0;
  double min_lr = 0;
  int64_t warmup_steps = 0;
  std::string growth = "preserve";  // zero | normal | preserve
  std::string optimizer = "reset";  // reset | carry
  ParallelConfig parallel;
};

struct Config {
  std::string source;  // the file it came from, for messages
  ModelConfig model;
  TrainConfig train;
  DataConfig data;
  ParallelConfig parallel;
  CheckpointConfig checkpoint;
  ControlConfig control;
  MetricsConfig metrics;
  FaultConfig fault;
  std::vector<StageConfig> stages;  // empty: one stage from model/train
};

// Reads `path`, applies `overrides` ("a.b=value", as given to --set) and validates.
// Throws tf::Error naming the file, line and key (or the --set flag) at fault.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// Same from YAML text; `source` names it in messages.
Config parse_config(const std::string& yaml_text, const std::string& source,
                    const std::vector<std::string>& overrides = {});

// Resolved configuration as YAML (for the start-up banner and checkpoint manifests).
std::string to_yaml(const Config& config);

}  // namespace tf
