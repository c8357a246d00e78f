// Typed run configuration, read from one YAML file. Each key is declared once below, in its
// section's key list: type, name, default, range and a one-line doc. Those lists make the
// structs, and core/config_keys.h walks them to read a file (config_reader.cpp), to write the
// resolved config (config_yaml.cpp) and to print the key tables of docs/configuration.md
// (config_doc.cpp, tf-config-doc), so the four cannot drift. Loading validates everything up front
// and throws tf::Error naming the file, line and key.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config_choices.h"

namespace tf {

// A key list is X(KIND, ...) per entry, where KIND is one of
//   KEY(type, name, default, range, doc)      a value (scalar, choice or list of scalars)
//   INHERIT(type, name, from, range, doc)     a stage's value, by default the run's `from`
//   SECTION(type, name, doc)                  a nested mapping of `type`'s keys
//   LIST(type, name, doc)                     a list of mappings of `type`'s keys
// `range` is a KeyRange expression (core/config_keys.h); it is evaluated only where the keys are
// read and documented, never here.

#define TF_MODEL_KEYS(X)                                                                           \
  X(KEY, int64_t, hidden_size, 768, size(), "d, the width of the residual stream")                 \
  X(KEY, int64_t, num_layers, 12, size(), "L, decoder blocks")                                     \
  X(KEY, int64_t, num_heads, 12, size(),                                                           \
    "attention heads; must divide `hidden_size`; the head dimension must be even")                 \
  X(KEY, int64_t, qkv_tokens, 768, size(), "parameter tokens of each of the Q, K, V Pattentions")  \
  X(KEY, int64_t, proj_tokens, 768, size(), "parameter tokens of the attention output Pattention") \
  X(KEY, int64_t, ffn_tokens, 3072, size(), "parameter tokens of the FFN Pattention")              \
  X(KEY, int64_t, seq_len, 2048, size(), "tokens per training sequence")                           \
  X(KEY, int64_t, vocab_size, 50277, size(),                                                       \
    "vocabulary; the embedding is padded to a multiple of 128 (50277 -> 50304)")                   \
  X(KEY, PattentionNorm, norm, PattentionNorm::kL2NormGelu, any(),                                 \
    "the normalisation of every Pattention (docs/model.md)")                                       \
  X(KEY, double, rotary_pct, 0.25, within('[', 0, 1, ']'),                                         \
    "fraction of each head's dimensions that get rotary embedding")                                \
  X(KEY, std::string, init_from, "", any(),                                                        \
    "weights to start from: a safetensors file in the authors' key layout, a Hugging Face export " \
    "directory (tf-export --format hf) or a checkpoint step directory (parameters only; step 0, "  \
    "fresh optimizer). It may hold fewer parameter tokens "                                        \
    "than the first stage: it is loaded at its size and grown")                                    \
  X(KEY, GrowthPolicy, init_growth, GrowthPolicy::kPreserve, any(),                                \
    "how `init_from` grows when it holds fewer tokens (docs/progressive-scaling.md)")              \
  X(KEY, double, init_noise, 0.0, within('[', 0, 1, ']'),                                          \
    "noise on the tokens of `init_from` when it grows: standard deviation relative to each "       \
    "row's RMS")                                                                                   \
  X(KEY, int64_t, init_freeze_steps, 0, non_negative("0: none"),                                   \
    "steps during which the tokens of `init_from` stay fixed (no update, no moment change) while " \
    "the tokens growth adds train: parameter-efficient fine-tuning")

#define TF_TRAIN_KEYS(X)                                                                           \
  X(KEY, int64_t, steps, 100, non_negative(),                                                      \
    "optimizer steps (of the single stage when `stages` "                                          \
    "is empty)")                                                                                   \
  X(KEY, int64_t, global_batch, 8, size(),                                                         \
    "sequences per optimizer step over all data-parallel ranks")                                   \
  X(KEY, int64_t, micro_batch, 8, size(),                                                          \
    "sequences per forward/backward on one rank; `global_batch` must be a multiple of "            \
    "`micro_batch` x data-parallel size; the quotient is the accumulation count")                  \
  X(KEY, double, lr, 6e-4, positive(), "peak learning rate")                                       \
  X(KEY, double, min_lr, 6e-5, non_negative(),                                                     \
    "final learning rate of the cosine decay, at most "                                            \
    "`lr`")                                                                                        \
  X(KEY, int64_t, warmup_steps, 1, non_negative(),                                                 \
    "linear warm-up steps (step s uses lr x (s+1)/warmup)")                                        \
  X(KEY, double, weight_decay, 0.1, non_negative(),                                                \
    "AdamW decoupled weight decay, on all parameters but the final LayerNorm")                     \
  X(KEY, double, grad_clip, 1.0, non_negative("0 disables clipping"),                              \
    "global gradient-norm clip; 0 disables")                                                       \
  X(KEY, double, beta1, 0.9, within('[', 0, 1, ')'), "AdamW's first-moment decay")                 \
  X(KEY, double, beta2, 0.95, within('[', 0, 1, ')'), "AdamW's second-moment decay")               \
  X(KEY, double, eps, 1e-8, positive(), "AdamW's denominator term")                                \
  X(KEY, uint64_t, seed, 1234, any(), "initialisation and data order")                             \
  X(KEY, Precision, precision, Precision::kFp32, any(),                                            \
    "`bf16`: activations in bf16; parameters, optimizer state, norm statistics and the loss "      \
    "stay fp32")                                                                                   \
  X(KEY, DeviceSetting, device, DeviceSetting::kAuto, any(),                                       \
    "where parameters, gradients, optimizer state and batches live: `cuda` (one GPU per rank, "    \
    "chosen by the rank's index among the job's ranks on its host, which is "                      \
    "`OMPI_COMM_WORLD_LOCAL_RANK` under mpirun and `SLURM_LOCALID` under srun), `cpu`, or "        \
    "`auto` (CUDA when the build and the machine have it). `cuda` without a CUDA build or GPU, "   \
    "or more ranks on a host than GPUs, is an error (exit 2)")                                     \
  X(KEY, ActivationCheckpointing, activation_checkpointing, ActivationCheckpointing::kNone, any(), \
    "`layer`: keep only each block's input in the forward pass and recompute the block in the "    \
    "backward pass (less activation memory, about one more forward of compute; the same losses)")  \
  X(KEY, int64_t, log_interval, 10, at_least(1), "steps between log lines")                        \
  X(KEY, std::string, metrics_file, "", any(),                                                     \
    "a JSON Lines file: one object per log line and per validation (below); empty: none")          \
  X(KEY, int64_t, eval_interval, 100, non_negative("0 disables"),                                  \
    "steps between validation passes; 0: only at the end")                                         \
  X(KEY, int64_t, eval_batches, 4, at_least(1),                                                    \
    "micro batches per validation pass, shared out over the data-parallel ranks (the same "        \
    "samples in every layout)")                                                                    \
  X(KEY, int, threads, 0, non_negative("0: default"),                                              \
    "intra-op threads per rank (LibTorch's OpenMP threads, which also run oneMKL's matmuls); 0: "  \
    "one per rank under `mpirun`/`srun` with more than one rank, LibTorch's default for a "        \
    "single process (one per core, unless `OMP_NUM_THREADS` says otherwise; the banner prints "    \
    "the count)")                                                                                  \
  X(KEY, bool, ignore_memory_check, false, any(),                                                  \
    "`true`: train even where the memory estimate (printed by `--dry-run`) exceeds what the rank " \
    "has, at start-up and at a ScaleUp; otherwise such a launch is refused before it allocates "   \
    "the model (docs/errors.md)")

#define TF_DATA_SOURCE_KEYS(X)                                        \
  X(KEY, std::string, path, "", required(),                           \
    "indexed dataset prefix: PREFIX.bin + PREFIX.idx (docs/data.md)") \
  X(KEY, double, weight, 1.0, positive_finite(), "share of the blend (normalised over the list)")

#define TF_SYNTHETIC_KEYS(X)                                                        \
  X(KEY, int64_t, documents, 2000, at_least(2), "documents of the embedded corpus") \
  X(KEY, int64_t, doc_len, 256, at_least(2), "bytes per document")                  \
  X(KEY, uint64_t, seed, 7, any(), "the corpus text")

#define TF_DATA_KEYS(X)                                                                            \
  X(LIST, DataSource, train, "indexed datasets to train on; empty: the embedded synthetic corpus") \
  X(LIST, DataSource, valid,                                                                       \
    "indexed datasets to validate on; empty: the last `valid_fraction` of `train`")                \
  X(KEY, double, valid_fraction, 0.01, within('(', 0, 1, ')'),                                     \
    "share of `train` held out for validation when `valid` is empty")                              \
  X(KEY, std::string, tokenizer, "byte", any(),                                                    \
    "`byte` or the path of a Hugging Face `tokenizer.json`")                                       \
  X(KEY, bool, allow_change, false, any(),                                                         \
    "`true`: resume from a checkpoint trained on other data (datasets, blend weights, "            \
    "tokenizer), "                                                                                 \
    "logging both sides; otherwise such a resume is refused (docs/checkpoints.md)")                \
  X(SECTION, SyntheticDataConfig, synthetic, "the embedded corpus")

#define TF_PARALLEL_KEYS(X)                                                                        \
  X(KEY, int64_t, tp, 1, at_least(1),                                                              \
    "token-parallel group size: every Pattention's tokens are split across it")                    \
  X(KEY, int64_t, pp, 1, at_least(1),                                                              \
    "pipeline ranks: the layers split into `pp` contiguous parts, one per pipeline rank (at most " \
    "`model.num_layers`; docs/parallel.md)")                                                       \
  X(KEY, int64_t, dp, 0, non_negative("0: what the world size gives"),                             \
    "data-parallel size; 0 takes what the world gives (`world / (tp x pp)`), otherwise the job "   \
    "must have exactly `dp x tp x pp` ranks (a stage with its own `dp` asks for a relaunch at "    \
    "that world size)")                                                                            \
  X(KEY, bool, zero1, false, any(),                                                                \
    "shard the optimizer state across data-parallel ranks (with checkpoints and stages too)")      \
  X(KEY, std::vector<int64_t>, pp_layers, {}, any(),                                               \
    "layers per pipeline rank, e.g. `[3, 1]`: `pp` positive counts adding up to "                  \
    "`model.num_layers`; empty: the split that makes the costliest pipeline rank cheapest (the "   \
    "first also embeds, the last also runs the head and loss). A stage that sets `pp` without "    \
    "`pp_layers` gets that balanced split")                                                        \
  X(KEY, PipelineSchedule, pp_schedule, PipelineSchedule::kOneFOneB, any(),                        \
    "`1f1b` (at most `pp` micro batches of activations alive on the first pipeline rank) or "      \
    "`gpipe` (all forwards, then all backwards; for comparison)")

#define TF_CHECKPOINT_KEYS(X)                                                        \
  X(KEY, std::string, dir, "", any(), "checkpoint root; empty disables checkpoints") \
  X(KEY, int64_t, interval, 0, non_negative("0: only at the end"),                   \
    "steps between checkpoints; 0 saves only at the end")                            \
  X(KEY, int64_t, keep, 3, at_least(1), "complete checkpoints kept")

#define TF_CONTROL_KEYS(X)                                                                       \
  X(KEY, std::string, address, "127.0.0.1:0", any(),                                             \
    "gRPC control API address on world rank 0; empty: no control server")                        \
  X(KEY, std::string, token_file, "", any(), "file holding the bearer token for mutating calls") \
  X(KEY, std::string, token_env, "", any(),                                                      \
    "name of an environment variable holding that token (instead of `token_file`)")              \
  X(KEY, std::string, tls_cert, "", any(),                                                       \
    "PEM certificate; with `tls_key` the API speaks TLS (both or neither)")                      \
  X(KEY, std::string, tls_key, "", any(), "PEM private key of `tls_cert`")                       \
  X(KEY, std::string, socket, "auto", any(),                                                     \
    "unix socket of the control API (mode 0600 in a private directory); `auto`: "                \
    "$XDG_RUNTIME_DIR/tokenformer/run-PID.sock, else /tmp/tokenformer-UID/run-PID.sock; "        \
    "empty: none")                                                                               \
  X(KEY, int64_t, max_connections, 64, at_least(1),                                              \
    "TCP connections to `address` at once (fewer when the open-file limit is low)")              \
  X(KEY, int64_t, max_connections_per_client, 16, at_least(1),                                   \
    "TCP connections from one client address at once")                                           \
  X(KEY, int64_t, max_watches, 16, at_least(1),                                                  \
    "WatchProgress streams at once, for callers with the token and, separately, without it")     \
  X(KEY, int64_t, max_watches_per_client, 4, at_least(1),                                        \
    "WatchProgress streams at once from one client address without the token")

#define TF_METRICS_KEYS(X)                                                                 \
  X(KEY, std::string, address, "", any(),                                                  \
    "Prometheus exposer address on world rank 0; empty "                                   \
    "disables")                                                                            \
  X(KEY, double, peak_flops, 0, non_negative("0: unknown"),                                \
    "peak FLOP/s of one rank, for `tokenformer_mfu_ratio`; 0: unknown, no MFU")            \
  X(KEY, std::string, tensorboard_dir, "", any(),                                          \
    "directory of TensorBoard event files, written by world rank 0 (docs/operations.md); " \
    "empty: none")

#define TF_FAULT_KEYS(X)                                                                           \
  X(KEY, double, startup_timeout, 900, non_negative("0: no time-out"),                             \
    "seconds from launch to the first step (config, communicators, data, model, resume); 0: none") \
  X(KEY, double, step_timeout, 600, non_negative("0: no time-out"),                                \
    "seconds one step or one validation pass may take; 0: none")                                   \
  X(KEY, double, checkpoint_timeout, 1800, non_negative("0: no time-out"),                         \
    "seconds one checkpoint save may take; 0: none")                                               \
  X(KEY, int64_t, max_skipped_steps, 20, non_negative("0: never"),                                 \
    "non-finite steps in a row that stop the run (exit status 7, naming the last good "            \
    "checkpoint); 0: never")                                                                       \
  X(KEY, std::string, dir, "", any(),                                                              \
    "per-rank status and error files and the failure summary; empty: `<checkpoint.dir>/ranks` "    \
    "(none without `checkpoint.dir`)")

#define TF_STAGE_KEYS(X)                                                                          \
  X(KEY, std::string, name, "", required(), "the stage's name, in logs, metrics and checkpoints") \
  X(INHERIT, int64_t, qkv_tokens, model.qkv_tokens, size(),                                       \
    "parameter tokens of each Q, K, V Pattention; never fewer than the previous stage's")         \
  X(INHERIT, int64_t, proj_tokens, model.proj_tokens, size(),                                     \
    "parameter tokens of the output Pattention; never fewer than the previous stage's")           \
  X(INHERIT, int64_t, ffn_tokens, model.ffn_tokens, size(),                                       \
    "parameter tokens of the FFN Pattention; never fewer than the previous stage's")              \
  X(INHERIT, int64_t, steps, train.steps, at_least(1), "optimizer steps of the stage")            \
  X(INHERIT, double, lr, train.lr, positive(), "peak learning rate of the stage's schedule")      \
  X(INHERIT, double, min_lr, train.min_lr, non_negative(), "final learning rate, at most `lr`")   \
  X(INHERIT, int64_t, warmup_steps, train.warmup_steps, any(),                                    \
    "warm-up steps of the stage's schedule (restarted at the stage start)")                       \
  X(KEY, GrowthPolicy, growth, GrowthPolicy::kNormal, any(),                                      \
    "how the tokens the stage adds start out (docs/progressive-scaling.md: the default is the "   \
    "experiment's best)")                                                                         \
  X(KEY, OptimizerRule, optimizer, OptimizerRule::kCarry, any(),                                  \
    "`carry`: keep the old tokens' AdamW moments at the stage start; `reset`: start afresh")      \
  X(KEY, double, noise, 0.0, within('[', 0, 1, ']'),                                              \
    "noise on the old tokens at the stage start: standard deviation relative to each row's RMS")  \
  X(KEY, int64_t, freeze_old_steps, 0, non_negative("0: none"),                                   \
    "steps after the stage start during which the old tokens get no update and no moment "        \
    "change; the stage's `steps` or more: the whole stage")                                       \
  X(INHERIT, ParallelConfig, parallel, parallel, any(),                                           \
    "the stage's layout; a different one ends the launch for a relaunch (exit status 3)")

#define TF_CONFIG_SECTIONS(X)                                                                  \
  X(SECTION, ModelConfig, model, "the model's shape and where its weights start")              \
  X(SECTION, TrainConfig, train, "the optimizer, its schedule, precision, device and logging") \
  X(SECTION, DataConfig, data, "corpora and tokenizer")                                        \
  X(SECTION, ParallelConfig, parallel, "the layout of the ranks")                              \
  X(SECTION, CheckpointConfig, checkpoint, "checkpoint directory and retention")               \
  X(SECTION, ControlConfig, control, "the gRPC control API")                                   \
  X(SECTION, MetricsConfig, metrics, "the Prometheus exposer and TensorBoard")                 \
  X(SECTION, FaultConfig, fault, "time-outs and failure detection")                            \
  X(LIST, StageConfig, stages, "progressive-scaling stages; empty: one stage from model and train")

// A struct member from a key list entry.
#define TF_CONFIG_MEMBER(kind, ...) TF_CONFIG_MEMBER_##kind(__VA_ARGS__)
#define TF_CONFIG_MEMBER_KEY(type, name, default_value, range, doc) type name = default_value;
#define TF_CONFIG_MEMBER_INHERIT(type, name, from, range, doc) type name{};
#define TF_CONFIG_MEMBER_SECTION(type, name, doc) type name;
#define TF_CONFIG_MEMBER_LIST(type, name, doc) std::vector<type> name;

struct ModelConfig {
  TF_MODEL_KEYS(TF_CONFIG_MEMBER)

  int64_t head_dim() const { return hidden_size / num_heads; }
  // Vocabulary rounded up to a multiple of 128 (50277 -> 50304). The embedding is replicated
  // within the token-parallel group, so the padding does not grow with tp, and the model and its
  // checkpoints do not depend on the layout (docs/model.md, The language model).
  int64_t padded_vocab() const;
};

struct TrainConfig {
  TF_TRAIN_KEYS(TF_CONFIG_MEMBER)
};

struct DataSource {
  TF_DATA_SOURCE_KEYS(TF_CONFIG_MEMBER)
};

struct SyntheticDataConfig {
  TF_SYNTHETIC_KEYS(TF_CONFIG_MEMBER)
};

struct DataConfig {
  TF_DATA_KEYS(TF_CONFIG_MEMBER)
};

struct ParallelConfig {
  TF_PARALLEL_KEYS(TF_CONFIG_MEMBER)
};

// "tp 2 x pp 1", with " x dp 4" when dp is fixed and ", ZeRO-1" when on: for log lines.
std::string layout_text(const ParallelConfig& p);

struct CheckpointConfig {
  TF_CHECKPOINT_KEYS(TF_CONFIG_MEMBER)
};

struct ControlConfig {
  TF_CONTROL_KEYS(TF_CONFIG_MEMBER)
};

struct MetricsConfig {
  TF_METRICS_KEYS(TF_CONFIG_MEMBER)
};

// Failure detection (docs/troubleshooting.md): time-outs in seconds per phase (0: none) and the
// run of skipped steps that stops a run.
struct FaultConfig {
  TF_FAULT_KEYS(TF_CONFIG_MEMBER)
};

struct StageConfig {
  TF_STAGE_KEYS(TF_CONFIG_MEMBER)
};

struct Config {
  std::string source;  // the file it came from, for messages
  TF_CONFIG_SECTIONS(TF_CONFIG_MEMBER)
};

// Reads `path`, applies `overrides` ("a.b=value", as given to --set) and validates.
// Throws tf::Error naming the file, line and key (or the --set flag) at fault.
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// Same from YAML text; `source` names it in messages.
Config parse_config(const std::string& yaml_text, const std::string& source,
                    const std::vector<std::string>& overrides = {});

// Resolved configuration as YAML (for the start-up banner and checkpoint manifests).
std::string to_yaml(const Config& config);

// Throws tf::Error naming `source` and the key when parallel.pp exceeds model.num_layers, or
// parallel.pp_layers is not pp positive counts adding up to it (the one home of that rule;
// core/pipeline.h computes the split itself).
void check_layer_split(const ModelConfig& model, const ParallelConfig& parallel,
                       const std::string& source);

// Growth `preserve` keeps the model's function only where a zero-key token adds nothing, which
// softmax does not allow (docs/model.md, Growth). The one home of that rule: empty when `growth`
// can be applied to a model of `norm`, else why not ("keeps the function only for ..."), for the
// caller to put after the growth's name and to follow with the remedy in its own terms.
std::string growth_norm_conflict(GrowthPolicy growth, PattentionNorm norm);

}  // namespace tf
