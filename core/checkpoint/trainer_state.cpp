// Trainer's checkpoint methods (declared in core/trainer.h): the mapping between a running trainer
// and the tensors and scalars of a checkpoint.
#include "core/checkpoint/adamw_state.h"
#include "core/checkpoint/model_tensors.h"
#include "core/error.h"
#include "core/trainer.h"

namespace tf {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string stage_name(const Config& config) {
  return config.stages.empty() ? "base" : config.stages.front().name;
}

// Rows `t.rows` of tensor `name` from the checkpoint, after checking its global shape.
torch::Tensor read_rows(const CheckpointReader& checkpoint, const std::string& name,
                        const ModelTensor& t) {
  std::vector<int64_t> expected = t.global_shape();
  const TensorInfo* info = checkpoint.has(name) ? &checkpoint.manifest().tensors.at(name) : nullptr;
  if (info == nullptr) {
    throw Error(checkpoint.directory() + ": tensor '" + name + "' is missing from the checkpoint");
  }
  if (info->shape != expected) {
    throw Error(checkpoint.directory() + ": tensor '" + name + "' has shape " +
                shape_text(info->shape) + ", the model needs " + shape_text(expected));
  }
  return checkpoint.rows(name, t.rows.offset, t.rows.offset + t.rows.count);
}

}  // namespace

CheckpointState Trainer::checkpoint_state() {
  CheckpointState state;
  RunState& run = state.run;
  run.step = step_;
  run.stage = stage_name(config_);
  const int64_t tp = context_.token_ops().size();
  run.layout = {context_.world_size(), context_.dp_size(), tp,
                context_.world_size() / (context_.dp_size() * tp)};
  run.config_yaml = to_yaml(config_);
  run.samples_consumed = samples_consumed_;
  run.train_seed = config_.train.seed;
  run.data_seed = config_.data.synthetic.seed;
  run.schedule = schedule_;
  // Data-parallel replicas hold copies; only the first writes. Replicated tensors come from the
  // first rank of the token-parallel group.
  if (context_.dp_rank() != 0) return state;
  for (const ModelTensor& t : model_tensors(model_)) {
    if (!t.sharded && context_.token_ops().rank() != 0) continue;
    const auto shape = t.global_shape();
    state.tensors.push_back({t.name, t.param.detach(), shape, t.rows.offset});
    const auto moments = get_adamw_state(*optimizer_, t.param);
    if (!moments) continue;
    state.tensors.push_back({"optim." + t.name + ".exp_avg", moments->exp_avg, shape, t.rows.offset});
    state.tensors.push_back(
        {"optim." + t.name + ".exp_avg_sq", moments->exp_avg_sq, shape, t.rows.offset});
    // AdamW's step is per parameter; stored as a one-element tensor so every entry has rows.
    state.tensors.push_back(
        {"optim." + t.name + ".step", torch::tensor({moments->step}, torch::kInt64), {1}, 0});
  }
  return state;
}

void Trainer::restore(const CheckpointReader& checkpoint) {
  torch::NoGradGuard no_grad;
  for (const ModelTensor& t : model_tensors(model_)) {
    t.param.copy_(read_rows(checkpoint, t.name, t));
    const std::string prefix = "optim." + t.name + ".";
    if (!checkpoint.has(prefix + "step")) continue;  // saved before the first optimizer step
    AdamWMoments moments;
    moments.exp_avg = read_rows(checkpoint, prefix + "exp_avg", t);
    moments.exp_avg_sq = read_rows(checkpoint, prefix + "exp_avg_sq", t);
    moments.step = checkpoint.tensor(prefix + "step").item<int64_t>();
    set_adamw_state(*optimizer_, t.param, moments);
  }
  const RunState& run = checkpoint.manifest().run;
  step_ = run.step;
  samples_consumed_ = run.samples_consumed;
  saved_step_ = run.step;
  if (run.train_seed != config_.train.seed) {
    log_.info(format("warning: %s was trained with train.seed %llu, this run uses %llu; the data "
                     "order differs from the original run",
                     checkpoint.directory().c_str(), (unsigned long long)run.train_seed,
                     (unsigned long long)config_.train.seed));
  }
}

void Trainer::save_checkpoint() {
  const CheckpointConfig& c = config_.checkpoint;
  TF_CHECK(!c.dir.empty(), "save_checkpoint without checkpoint.dir");
  const std::string dir = tf::save_checkpoint(c.dir, checkpoint_state(), c.keep, *checkpoint_sync_);
  saved_step_ = step_;
  log_.info(format("step %6lld | checkpoint saved to %s", (long long)step_, dir.c_str()));
}

bool Trainer::resume_from_latest() {
  const std::string& root = config_.checkpoint.dir;
  if (root.empty()) return false;
  const std::string latest =
      find_latest_checkpoint(root, [&](const std::string& w) { log_.info("warning: " + w); });
  if (latest.empty()) return false;
  restore(CheckpointReader(latest));
  log_.info(format("resumed from %s: step %lld, %lld samples consumed", latest.c_str(),
                   (long long)step_, (long long)samples_consumed_));
  return true;
}

}  // namespace tf
