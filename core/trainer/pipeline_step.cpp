// Trainer's passes over micro batches through this rank's pipeline rank: the forward and backward
// passes of an optimizer step in the parallel.pp_schedule order (core/pipeline.h), and the
// forward-only passes of validation. Without pipelining the pipeline rank holds the whole model and
// the order is forward, backward, forward, backward, ...
#include "core/trainer/trainer.h"

namespace tf {

torch::Tensor Trainer::pp_forward(const torch::Tensor& input, const torch::Tensor& samples) {
  const PipelineLayers& layers = model_->pipeline_layers();
  const int64_t seq = config_.model.seq_len;
  const torch::Tensor h = layers.embeds ? model_->embed(samples.narrow(1, 0, seq)) : input;
  const torch::Tensor out = model_->run_blocks(h, context_.token_ops());
  return layers.heads ? model_->head_loss(out, samples.narrow(1, 1, seq)) : out.contiguous();
}

torch::Tensor Trainer::pp_activation() const {
  const ModelConfig& m = config_.model;
  return torch::empty({config_.train.micro_batch, m.seq_len, m.hidden_size},
                      torch::dtype(model_->compute_dtype()).device(context_.device()));
}

torch::Tensor Trainer::forward_backward(const SampleSource& samples) {
  const PipelineLayers& layers = model_->pipeline_layers();
  const int64_t rank = context_.pp_rank(), m = accumulation_;
  const std::vector<PipelineStep> order =
      schedule_order(config_.parallel.pp_schedule, context_.pp_size(), rank, m);
  // Per micro batch: this pipeline rank's input (received activations, whose gradient goes back),
  // its output (the loss on the last pipeline rank) until its backward, and what a combined
  // exchange fetched ahead: the next input, or the gradient of an output.
  std::vector<torch::Tensor> inputs(m), outputs(m), fetched_inputs(m), output_grads(m);
  int64_t backwards_left = m;
  torch::Tensor loss_sum = fp64_zero(context_.device());
  for (size_t k = 0; k < order.size(); ++k) {
    const int64_t i = order[k].micro;
    const PipelineStep* next = k + 1 < order.size() ? &order[k + 1] : nullptr;
    if (order[k].pass == Pass::kForward) {
      if (!layers.embeds) {
        if (!fetched_inputs[i].defined()) {
          fetched_inputs[i] = pp_activation();
          context_.exchange_with_pp_rank(rank - 1, {}, fetched_inputs[i]);
        }
        inputs[i] = fetched_inputs[i].requires_grad_(true);
        fetched_inputs[i].reset();
      }
      const torch::Tensor batch = layers.holds_embedding() ? samples(i) : torch::Tensor();
      outputs[i] = pp_forward(inputs[i], batch);
      if (layers.heads) {
        outputs[i] = outputs[i] / static_cast<double>(m);
        loss_sum += outputs[i].detach().to(torch::kFloat64);
      } else if (next && next->pass == Pass::kBackward) {  // send, and take the gradient back
        output_grads[next->micro] = pp_activation();
        context_.exchange_with_pp_rank(rank + 1, outputs[i], output_grads[next->micro]);
      } else {
        context_.exchange_with_pp_rank(rank + 1, outputs[i], {});
      }
      continue;
    }
    if (!layers.heads && !output_grads[i].defined()) {
      output_grads[i] = pp_activation();
      context_.exchange_with_pp_rank(rank + 1, {}, output_grads[i]);
    }
    context_.gradient_sync().set_last_micro_batch(--backwards_left == 0);
    if (layers.heads) {
      outputs[i].backward();
    } else {
      outputs[i].backward(output_grads[i]);
    }
    outputs[i].reset();
    output_grads[i].reset();
    if (layers.embeds) continue;
    const torch::Tensor input_grad = inputs[i].grad().contiguous();
    inputs[i].reset();
    if (next && next->pass == Pass::kForward) {  // send the gradient, take the next input
      fetched_inputs[next->micro] = pp_activation();
      context_.exchange_with_pp_rank(rank - 1, input_grad, fetched_inputs[next->micro]);
    } else {
      context_.exchange_with_pp_rank(rank - 1, input_grad, {});
    }
  }
  return loss_sum;
}

torch::Tensor Trainer::forward_only(const SampleSource& samples, int64_t count) {
  const PipelineLayers& layers = model_->pipeline_layers();
  const int64_t rank = context_.pp_rank();
  torch::Tensor total = fp64_zero(context_.device());
  for (int64_t i = 0; i < count; ++i) {
    torch::Tensor input;
    if (!layers.embeds) {
      input = pp_activation();
      context_.exchange_with_pp_rank(rank - 1, {}, input);
    }
    const torch::Tensor batch = layers.holds_embedding() ? samples(i) : torch::Tensor();
    const torch::Tensor out = pp_forward(input, batch);
    if (layers.heads) {
      total += out.to(torch::kFloat64);
    } else {
      context_.exchange_with_pp_rank(rank + 1, out, {});
    }
  }
  return total;
}

}  // namespace tf
