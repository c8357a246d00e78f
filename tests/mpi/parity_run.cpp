#include "tests/mpi/parity_run.h"

#include <map>

namespace tf::parallel::testing {

Config parity_config(int64_t tp, bool zero1, const std::string& norm) {
  return load_config(
      std::string(TF_SOURCE_DIR) + "/configs/tiny.yaml",
      {"model.hidden_size=32", "model.num_layers=2", "model.num_heads=4", "model.qkv_tokens=15",
       "model.proj_tokens=9", "model.ffn_tokens=33", "model.seq_len=16", "model.norm=" + norm,
       "train.steps=5", "train.global_batch=8", "train.micro_batch=2", "train.warmup_steps=2",
       "train.seed=7", "parallel.tp=" + std::to_string(tp),
       std::string("parallel.zero1=") + (zero1 ? "true" : "false")});
}

Config chain_config(int64_t tp, const std::string& growth, const std::string& checkpoint_dir,
                    bool zero1, int64_t pp) {
  std::vector<std::string> sets{"parallel.tp=" + std::to_string(tp),
                                "parallel.pp=" + std::to_string(pp),
                                std::string("parallel.zero1=") + (zero1 ? "true" : "false")};
  if (!checkpoint_dir.empty()) sets.push_back("checkpoint.dir=" + checkpoint_dir);
  return parse_config(
      "model: {hidden_size: 32, num_layers: 2, num_heads: 4, seq_len: 16, vocab_size: 257}\n"
      "train: {global_batch: 8, micro_batch: 2, eval_batches: 2, seed: 7, log_interval: 100}\n"
      "data: {synthetic: {documents: 200, doc_len: 64}}\n"
      "stages:\n"
      "  - {name: small, qkv_tokens: 15, proj_tokens: 9, ffn_tokens: 33, steps: 3, lr: 0.01,\n"
      "     warmup_steps: 1}\n"
      "  - {name: large, qkv_tokens: 22, proj_tokens: 14, ffn_tokens: 47, steps: 3, lr: 0.005,\n"
      "     warmup_steps: 1, growth: " +
          growth + ", optimizer: carry}\n",
      "chain.yaml", sets);
}

bool grow_after_first_stage(Trainer& trainer) {
  train(trainer, kChainStageSteps);
  return trainer.start_next_stage();
}

const Logger& quiet() {
  static const Logger log(1);
  return log;
}

void train(Trainer& trainer, int64_t steps, std::vector<double>* losses) {
  for (int64_t s = 0; s < steps; ++s) {
    const double loss = trainer.train_step().loss;
    if (losses) losses->push_back(loss);
  }
}

void gather_parameters(TokenFormer& model, Communicator& tp_group, RunResult& out) {
  std::map<const void*, const TokenShard*> shards;
  for (const auto& layer : model->pattentions()) {
    shards[layer->key_tokens.unsafeGetTensorImpl()] = &layer->shard();
    shards[layer->value_tokens.unsafeGetTensorImpl()] = &layer->shard();
  }
  for (const auto& item : model->named_parameters()) {
    torch::Tensor p = item.value().detach().clone();  // a snapshot: training goes on
    const auto it = shards.find(item.value().unsafeGetTensorImpl());
    if (it != shards.end()) {
      // Each rank writes its rows at their global positions; the sum over the group (of zeros
      // elsewhere) is exact.
      const TokenShard& shard = *it->second;
      torch::Tensor whole = torch::zeros({shard.total, p.size(1)}, p.options());
      int64_t local = 0;
      for (const TokenRange& r : shard.ranges) {
        whole.narrow(0, r.offset, r.count).copy_(p.narrow(0, local, r.count));
        local += r.count;
      }
      tp_group.all_reduce(whole);
      p = whole;
    }
    out.names.push_back(item.key());
    out.params.push_back(p);
  }
}

RunResult parameters_of(Trainer& trainer, Communicator& tp_group) {
  RunResult result;
  gather_parameters(trainer.model(), tp_group, result);
  return result;
}

RunResult train_steps(const Config& config, ParallelContext& context, Communicator& tp_group,
                      int64_t steps) {
  Trainer trainer(config, context, quiet());
  RunResult result;
  for (int64_t s = 0; s < steps; ++s) result.losses.push_back(trainer.train_step().loss);
  gather_parameters(trainer.model(), tp_group, result);
  return result;
}

}  // namespace tf::parallel::testing
