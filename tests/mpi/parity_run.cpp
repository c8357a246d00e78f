#include "tests/mpi/parity_run.h"

#include "core/log.h"
#include "core/trainer.h"

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

RunResult train_steps(const Config& config, ParallelContext& context, Communicator& tp_group,
                      int64_t steps) {
  const Logger quiet(1);  // rank != 0: info lines are not printed
  Trainer trainer(config, context, quiet);
  RunResult result;
  for (int64_t s = 0; s < steps; ++s) result.losses.push_back(trainer.train_step().loss);
  TokenFormer& model = trainer.model();
  std::vector<torch::Tensor> tokens;
  for (const auto& layer : model->pattentions()) {
    tokens.push_back(layer->key_tokens);
    tokens.push_back(layer->value_tokens);
  }
  for (const auto& item : model->named_parameters()) {
    torch::Tensor p = item.value().detach().contiguous();
    bool sharded = false;
    for (const auto& t : tokens) sharded = sharded || t.is_same(item.value());
    if (sharded) {
      // Rows per rank: the shard sizes token_shard gives every rank of the group.
      const int64_t total_rows = [&] {
        torch::Tensor rows = torch::tensor({p.size(0)});
        tp_group.all_reduce(rows);
        return rows.item<int64_t>();
      }();
      CountsOptions counts;
      for (int64_t r = 0; r < tp_group.size(); ++r) {
        counts.counts.push_back(token_shard(total_rows, tp_group.size(), r).count() * p.size(1));
      }
      p = tp_group.all_gather(p, counts).view({total_rows, p.size(1)});
    }
    result.names.push_back(item.key());
    result.params.push_back(p);
  }
  return result;
}

}  // namespace tf::parallel::testing
