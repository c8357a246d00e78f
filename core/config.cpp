#include "core/config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/checked_size.h"
#include "core/log.h"
#include "core/pipeline.h"
#include "core/yaml_reader.h"

namespace tf {

int64_t ModelConfig::padded_vocab() const {
  constexpr int64_t multiple = 128;
  return (vocab_size + multiple - 1) / multiple * multiple;
}

namespace {

void require(YamlMap& map, const std::string& key, bool ok, const std::string& message) {
  if (!ok) map.fail(key, message);
}

// Model dimensions, token counts and batches: at most kMaxSize (parameter counts are bounded
// separately, by check_parameter_count).
void require_size(YamlMap& map, const std::string& key, int64_t value) {
  require(map, key, value >= 1 && value <= kMaxSize,
          "must be within [1, " + std::to_string(kMaxSize) + "], not " + std::to_string(value));
}

// The parameter count, computed in double: a model of more than 2^50 (about 10^15) parameters
// is refused before any int64_t count of it could overflow.
void check_parameter_count(YamlMap& map, const ModelConfig& m, int64_t qkv, int64_t proj,
                           int64_t ffn) {
  const double d = static_cast<double>(m.hidden_size);
  const double params =
      static_cast<double>(m.num_layers) * 2 * d *
          (3 * static_cast<double>(qkv) + static_cast<double>(proj) + static_cast<double>(ffn)) +
      (static_cast<double>(m.vocab_size) + 128) * d;
  require(map, "", params <= std::ldexp(1.0, 50),
          format("a model of about %.3g parameters; at most 2^50 (%.3g) are supported", params,
                 std::ldexp(1.0, 50)));
}

void require_one_of(YamlMap& map, const std::string& key, const std::string& value,
                    std::initializer_list<const char*> choices) {
  std::string all;
  for (const char* choice : choices) {
    if (value == choice) return;
    all += std::string(all.empty() ? "" : ", ") + choice;
  }
  map.fail(key, "'" + value + "' is not one of: " + all);
}

// Growth 'preserve' keeps the model's function only where a zero-key token adds nothing, which
// softmax does not allow (SPEC.md). `key` holds a growth that will be applied.
void require_growth_fits_norm(YamlMap& map, const std::string& key, const std::string& growth,
                              const std::string& norm) {
  require(map, key, growth != "preserve" || norm != "softmax",
          "is 'preserve' (the default), which keeps the function only for l2_norm_gelu and "
          "gelu_l2_norm; with model.norm softmax, zero-key tokens still take probability mass: "
          "set " + key + ": normal or zero");
}

void read_parallel(YamlMap map, ParallelConfig& out) {
  const int64_t inherited_pp = out.pp;
  map.get("tp", out.tp);
  map.get("pp", out.pp);
  map.get("dp", out.dp);
  map.get("zero1", out.zero1);
  map.get("pp_layers", out.pp_layers);
  map.get("pp_schedule", out.pp_schedule);
  map.finish();
  // A stage that changes pp without its own split gets the balanced one.
  if (!map.has("pp_layers") && out.pp != inherited_pp) out.pp_layers.clear();
  require(map, "tp", out.tp >= 1, "must be at least 1");
  require(map, "pp", out.pp >= 1, "must be at least 1");
  require(map, "pp_layers", out.pp_layers.empty() || int64_t(out.pp_layers.size()) == out.pp,
          "lists " + std::to_string(out.pp_layers.size()) + " stage(s); parallel.pp is " +
              std::to_string(out.pp));
  require_one_of(map, "pp_schedule", out.pp_schedule, {"1f1b", "gpipe"});
  require(map, "dp", out.dp >= 0, "must be at least 1, or 0 for what the world size gives");
}

void read_model(YamlMap map, ModelConfig& m) {
  map.get("hidden_size", m.hidden_size);
  map.get("num_layers", m.num_layers);
  map.get("num_heads", m.num_heads);
  map.get("qkv_tokens", m.qkv_tokens);
  map.get("proj_tokens", m.proj_tokens);
  map.get("ffn_tokens", m.ffn_tokens);
  map.get("seq_len", m.seq_len);
  map.get("vocab_size", m.vocab_size);
  map.get("norm", m.norm);
  map.get("rotary_pct", m.rotary_pct);
  map.get("init_from", m.init_from);
  map.get("init_growth", m.init_growth);
  map.finish();
  require_one_of(map, "init_growth", m.init_growth, {"zero", "normal", "preserve"});
  const std::pair<const char*, int64_t> sizes[] = {
      {"hidden_size", m.hidden_size}, {"num_layers", m.num_layers},   {"num_heads", m.num_heads},
      {"qkv_tokens", m.qkv_tokens},   {"proj_tokens", m.proj_tokens}, {"ffn_tokens", m.ffn_tokens},
      {"seq_len", m.seq_len},         {"vocab_size", m.vocab_size}};
  for (const auto& [key, value] : sizes) require_size(map, key, value);
  check_parameter_count(map, m, m.qkv_tokens, m.proj_tokens, m.ffn_tokens);
  require(map, "num_heads", m.hidden_size % m.num_heads == 0,
          "must divide hidden_size (" + std::to_string(m.hidden_size) + ")");
  require(map, "num_heads", m.head_dim() % 2 == 0, "head dimension must be even");
  require_one_of(map, "norm", m.norm, {"l2_norm_gelu", "gelu_l2_norm", "softmax"});
  if (!m.init_from.empty()) require_growth_fits_norm(map, "init_growth", m.init_growth, m.norm);
  require(map, "rotary_pct", m.rotary_pct >= 0 && m.rotary_pct <= 1, "must be within [0, 1]");
}

void read_train(YamlMap map, TrainConfig& t) {
  map.get("steps", t.steps);
  map.get("global_batch", t.global_batch);
  map.get("micro_batch", t.micro_batch);
  map.get("lr", t.lr);
  map.get("min_lr", t.min_lr);
  map.get("warmup_steps", t.warmup_steps);
  map.get("weight_decay", t.weight_decay);
  map.get("grad_clip", t.grad_clip);
  map.get("beta1", t.beta1);
  map.get("beta2", t.beta2);
  map.get("eps", t.eps);
  map.get("seed", t.seed);
  map.get("precision", t.precision);
  map.get("device", t.device);
  map.get("activation_checkpointing", t.activation_checkpointing);
  map.get("log_interval", t.log_interval);
  map.get("metrics_file", t.metrics_file);
  map.get("eval_interval", t.eval_interval);
  map.get("eval_batches", t.eval_batches);
  map.get("threads", t.threads);
  map.get("ignore_memory_check", t.ignore_memory_check);
  map.finish();
  require(map, "steps", t.steps >= 0, "must not be negative");
  require_size(map, "global_batch", t.global_batch);
  require_size(map, "micro_batch", t.micro_batch);
  require(map, "lr", t.lr > 0, "must be positive");
  require(map, "min_lr", t.min_lr >= 0 && t.min_lr <= t.lr, "must be within [0, lr]");
  require(map, "warmup_steps", t.warmup_steps >= 0, "must not be negative");
  require(map, "weight_decay", t.weight_decay >= 0, "must not be negative");
  require(map, "grad_clip", t.grad_clip >= 0, "must not be negative (0 disables clipping)");
  require(map, "beta1", t.beta1 >= 0 && t.beta1 < 1, "must be within [0, 1)");
  require(map, "beta2", t.beta2 >= 0 && t.beta2 < 1, "must be within [0, 1)");
  require(map, "eps", t.eps > 0, "must be positive");
  require_one_of(map, "precision", t.precision, {"fp32", "bf16"});
  require_one_of(map, "device", t.device, {"auto", "cpu", "cuda"});
  require_one_of(map, "activation_checkpointing", t.activation_checkpointing, {"none", "layer"});
  require(map, "log_interval", t.log_interval >= 1, "must be at least 1");
  require(map, "eval_interval", t.eval_interval >= 0, "must not be negative (0 disables)");
  require(map, "eval_batches", t.eval_batches >= 1, "must be at least 1");
  require(map, "threads", t.threads >= 0, "must not be negative (0: default)");
}

std::vector<DataSource> read_sources(YamlMap& parent, const std::string& key) {
  std::vector<DataSource> sources;
  for (YamlMap item : parent.list(key)) {
    DataSource source;
    item.get("path", source.path);
    item.get("weight", source.weight);
    item.finish();
    if (source.path.empty()) item.fail("path", "is required");
    if (!(source.weight > 0) || !std::isfinite(source.weight)) {
      item.fail("weight", "must be a positive finite number");
    }
    sources.push_back(source);
  }
  return sources;
}

void read_data(YamlMap map, DataConfig& d) {
  d.train = read_sources(map, "train");
  d.valid = read_sources(map, "valid");
  map.get("valid_fraction", d.valid_fraction);
  map.get("tokenizer", d.tokenizer);
  YamlMap synthetic = map.map("synthetic");
  synthetic.get("documents", d.synthetic.documents);
  synthetic.get("doc_len", d.synthetic.doc_len);
  synthetic.get("seed", d.synthetic.seed);
  synthetic.finish();
  map.finish();
  require(map, "valid_fraction", d.valid_fraction > 0 && d.valid_fraction < 1,
          "must be within (0, 1)");
  require(synthetic, "documents", d.synthetic.documents >= 2, "must be at least 2");
  require(synthetic, "doc_len", d.synthetic.doc_len >= 2, "must be at least 2");
}

void read_checkpoint(YamlMap map, CheckpointConfig& c) {
  map.get("dir", c.dir);
  map.get("interval", c.interval);
  map.get("keep", c.keep);
  map.finish();
  require(map, "interval", c.interval >= 0, "must not be negative (0: only at the end)");
  require(map, "keep", c.keep >= 1, "must be at least 1");
}

void read_control(YamlMap& map, ControlConfig& c) {
  map.get("address", c.address);
  map.get("token_file", c.token_file);
  map.get("token_env", c.token_env);
  map.get("tls_cert", c.tls_cert);
  map.get("tls_key", c.tls_key);
  map.finish();
  require(map, "token_env", c.token_file.empty() || c.token_env.empty(),
          "set either token_file or token_env, not both");
  require(map, "tls_key", c.tls_cert.empty() == c.tls_key.empty(),
          "tls_cert and tls_key go together");
}

void read_stage(YamlMap map, const Config& base, bool first, StageConfig& s) {
  s.qkv_tokens = base.model.qkv_tokens;
  s.proj_tokens = base.model.proj_tokens;
  s.ffn_tokens = base.model.ffn_tokens;
  s.steps = base.train.steps;
  s.lr = base.train.lr;
  s.min_lr = base.train.min_lr;
  s.warmup_steps = base.train.warmup_steps;
  s.parallel = base.parallel;
  map.get("name", s.name);
  map.get("qkv_tokens", s.qkv_tokens);
  map.get("proj_tokens", s.proj_tokens);
  map.get("ffn_tokens", s.ffn_tokens);
  map.get("steps", s.steps);
  map.get("lr", s.lr);
  map.get("min_lr", s.min_lr);
  map.get("warmup_steps", s.warmup_steps);
  map.get("growth", s.growth);
  map.get("optimizer", s.optimizer);
  read_parallel(map.map("parallel"), s.parallel);
  map.finish();
  require(map, "name", !s.name.empty(), "is required");
  for (const auto& [key, value] : {std::pair<const char*, int64_t>{"qkv_tokens", s.qkv_tokens},
                                   {"proj_tokens", s.proj_tokens},
                                   {"ffn_tokens", s.ffn_tokens}}) {
    require_size(map, key, value);
  }
  check_parameter_count(map, base.model, s.qkv_tokens, s.proj_tokens, s.ffn_tokens);
  require(map, "steps", s.steps >= 1, "must be at least 1");
  require(map, "lr", s.lr > 0, "must be positive");
  require(map, "min_lr", s.min_lr >= 0 && s.min_lr <= s.lr, "must be within [0, lr]");
  require_one_of(map, "growth", s.growth, {"zero", "normal", "preserve"});
  require_one_of(map, "optimizer", s.optimizer, {"reset", "carry"});
  // The first stage's growth applies to nothing: the run starts at its sizes.
  if (!first) require_growth_fits_norm(map, "growth", s.growth, base.model.norm);
}

void read_fault(YamlMap m, FaultConfig& f) {
  m.get("startup_timeout", f.startup_timeout);
  m.get("step_timeout", f.step_timeout);
  m.get("checkpoint_timeout", f.checkpoint_timeout);
  m.get("max_skipped_steps", f.max_skipped_steps);
  m.get("dir", f.dir);
  m.finish();
  for (const auto& [key, value] :
       {std::pair<const char*, double>{"startup_timeout", f.startup_timeout},
        {"step_timeout", f.step_timeout},
        {"checkpoint_timeout", f.checkpoint_timeout}}) {
    require(m, key, value >= 0, "must not be negative (0: no time-out)");
  }
  require(m, "max_skipped_steps", f.max_skipped_steps >= 0, "must not be negative (0: never)");
}

void check_stage_order(std::vector<YamlMap>& maps, const std::vector<StageConfig>& stages) {
  for (size_t i = 1; i < stages.size(); ++i) {
    const StageConfig& prev = stages[i - 1];
    const StageConfig& cur = stages[i];
    if (cur.qkv_tokens < prev.qkv_tokens || cur.proj_tokens < prev.proj_tokens ||
        cur.ffn_tokens < prev.ffn_tokens) {
      maps[i].fail("",
                   "has fewer tokens than stage '" + prev.name + "'; token counts never shrink");
    }
  }
}

}  // namespace

Config parse_config(const std::string& yaml_text, const std::string& source,
                    const std::vector<std::string>& overrides) {
  auto origin = std::make_shared<YamlOrigin>();
  origin->source = source;
  YAML::Node root = load_yaml(yaml_text, source);
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    throw Error(source + ": a config is a mapping of sections (model:, train:, ...), not a " +
                (root.IsSequence() ? "list" : "single value"));
  }
  for (const std::string& assignment : overrides) apply_override(root, assignment, *origin);

  Config c;
  c.source = source;
  YamlMap top(root, "", origin);
  read_model(top.map("model"), c.model);
  YamlMap train = top.map("train");
  read_train(train, c.train);
  read_data(top.map("data"), c.data);
  read_parallel(top.map("parallel"), c.parallel);
  read_checkpoint(top.map("checkpoint"), c.checkpoint);
  YamlMap control = top.map("control");
  control.get("address", c.control.address);
  read_control(control, c.control);
  YamlMap metrics = top.map("metrics");
  metrics.get("address", c.metrics.address);
  metrics.get("peak_flops", c.metrics.peak_flops);
  metrics.finish();
  require(metrics, "peak_flops", c.metrics.peak_flops >= 0, "must not be negative (0: unknown)");
  read_fault(top.map("fault"), c.fault);
  std::vector<YamlMap> stage_maps = top.list("stages");
  for (YamlMap& stage_map : stage_maps) {
    c.stages.emplace_back();
    read_stage(stage_map, c, c.stages.size() == 1, c.stages.back());
  }
  top.finish();
  if (c.train.global_batch % c.train.micro_batch != 0) {
    train.fail("global_batch",
               "must be a multiple of micro_batch (" + std::to_string(c.train.micro_batch) + ")");
  }
  check_stage_order(stage_maps, c.stages);
  split_layers(c.model, c.parallel, source);  // throws for a split that does not fit the model
  for (const StageConfig& s : c.stages)
    split_layers(c.model, s.parallel, source + " stage '" + s.name + "'");
  return c;
}

std::string layout_text(const ParallelConfig& p) {
  return "tp " + std::to_string(p.tp) + " x pp " + std::to_string(p.pp) +
         (p.dp > 0 ? " x dp " + std::to_string(p.dp) : "") + (p.zero1 ? ", ZeRO-1" : "");
}

std::string ranks_text(const ParallelConfig& p) {
  const int64_t unit = p.tp * p.pp * std::max<int64_t>(p.dp, 1);
  return (p.dp > 0 ? "" : "a multiple of ") + std::to_string(unit) + " ranks";
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open config file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path, overrides);
}

}  // namespace tf

namespace tf {
namespace {

YAML::Node parallel_node(const ParallelConfig& p) {
  YAML::Node n;
  n["tp"] = p.tp;
  n["pp"] = p.pp;
  n["dp"] = p.dp;
  n["zero1"] = p.zero1;
  if (!p.pp_layers.empty()) n["pp_layers"] = p.pp_layers;
  n["pp_schedule"] = p.pp_schedule;
  return n;
}

YAML::Node sources_node(const std::vector<DataSource>& sources) {
  YAML::Node n(YAML::NodeType::Sequence);
  for (const DataSource& s : sources) {
    YAML::Node item;
    item["path"] = s.path;
    item["weight"] = s.weight;
    n.push_back(item);
  }
  return n;
}

}  // namespace

std::string to_yaml(const Config& c) {
  YAML::Node root;
  YAML::Node m = root["model"];
  m["hidden_size"] = c.model.hidden_size;
  m["num_layers"] = c.model.num_layers;
  m["num_heads"] = c.model.num_heads;
  m["qkv_tokens"] = c.model.qkv_tokens;
  m["proj_tokens"] = c.model.proj_tokens;
  m["ffn_tokens"] = c.model.ffn_tokens;
  m["seq_len"] = c.model.seq_len;
  m["vocab_size"] = c.model.vocab_size;
  m["norm"] = c.model.norm;
  m["rotary_pct"] = c.model.rotary_pct;
  m["init_from"] = c.model.init_from;
  m["init_growth"] = c.model.init_growth;
  YAML::Node t = root["train"];
  t["steps"] = c.train.steps;
  t["global_batch"] = c.train.global_batch;
  t["micro_batch"] = c.train.micro_batch;
  t["lr"] = c.train.lr;
  t["min_lr"] = c.train.min_lr;
  t["warmup_steps"] = c.train.warmup_steps;
  t["weight_decay"] = c.train.weight_decay;
  t["grad_clip"] = c.train.grad_clip;
  t["beta1"] = c.train.beta1;
  t["beta2"] = c.train.beta2;
  t["eps"] = c.train.eps;
  t["seed"] = c.train.seed;
  t["precision"] = c.train.precision;
  t["device"] = c.train.device;
  t["activation_checkpointing"] = c.train.activation_checkpointing;
  t["log_interval"] = c.train.log_interval;
  t["metrics_file"] = c.train.metrics_file;
  t["eval_interval"] = c.train.eval_interval;
  t["eval_batches"] = c.train.eval_batches;
  t["threads"] = c.train.threads;
  t["ignore_memory_check"] = c.train.ignore_memory_check;
  YAML::Node d = root["data"];
  d["train"] = sources_node(c.data.train);
  d["valid"] = sources_node(c.data.valid);
  d["valid_fraction"] = c.data.valid_fraction;
  d["tokenizer"] = c.data.tokenizer;
  d["synthetic"]["documents"] = c.data.synthetic.documents;
  d["synthetic"]["doc_len"] = c.data.synthetic.doc_len;
  d["synthetic"]["seed"] = c.data.synthetic.seed;
  root["parallel"] = parallel_node(c.parallel);
  root["checkpoint"]["dir"] = c.checkpoint.dir;
  root["checkpoint"]["interval"] = c.checkpoint.interval;
  root["checkpoint"]["keep"] = c.checkpoint.keep;
  root["control"]["address"] = c.control.address;
  root["control"]["token_file"] = c.control.token_file;
  root["control"]["token_env"] = c.control.token_env;
  root["control"]["tls_cert"] = c.control.tls_cert;
  root["control"]["tls_key"] = c.control.tls_key;
  root["metrics"]["address"] = c.metrics.address;
  root["metrics"]["peak_flops"] = c.metrics.peak_flops;
  root["fault"]["startup_timeout"] = c.fault.startup_timeout;
  root["fault"]["step_timeout"] = c.fault.step_timeout;
  root["fault"]["checkpoint_timeout"] = c.fault.checkpoint_timeout;
  root["fault"]["max_skipped_steps"] = c.fault.max_skipped_steps;
  root["fault"]["dir"] = c.fault.dir;
  YAML::Node stages(YAML::NodeType::Sequence);
  for (const StageConfig& s : c.stages) {
    YAML::Node n;
    n["name"] = s.name;
    n["qkv_tokens"] = s.qkv_tokens;
    n["proj_tokens"] = s.proj_tokens;
    n["ffn_tokens"] = s.ffn_tokens;
    n["steps"] = s.steps;
    n["lr"] = s.lr;
    n["min_lr"] = s.min_lr;
    n["warmup_steps"] = s.warmup_steps;
    n["growth"] = s.growth;
    n["optimizer"] = s.optimizer;
    n["parallel"] = parallel_node(s.parallel);
    stages.push_back(n);
  }
  root["stages"] = stages;
  YAML::Emitter out;
  out << root;
  return out.c_str();
}

}  // namespace tf
