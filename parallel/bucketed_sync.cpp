#include "parallel/bucketed_sync.h"

#include "core/error.h"

namespace tf::parallel {

BucketedSync::BucketedSync(Communicator& dp, Communicator& tp, Communicator& pp,
                           TiedEmbedding& tied, torch::Device device, BucketOptions options)
    : DataParallelSync(device, NormGroups{[&tp](torch::Tensor& t) { tp.all_reduce(t); },
                                          [&pp](torch::Tensor& t) { pp.all_reduce(t); }}),
      dp_(dp),
      tied_(tied),
      options_(options) {}

void BucketedSync::attach(TokenFormer& model, torch::optim::AdamW&, const TrainConfig&) {
  buckets_.reset();
  tied_.attach(model);
  if (dp_.size() > 1 || options_.for_one_replica) {  // else nothing to average
    buckets_ = std::make_unique<GradientBuckets>(dp_, model->parameters(), options_.bucket_bytes);
  }
}

void BucketedSync::set_last_micro_batch(bool last) {
  if (buckets_) buckets_->arm(last);
}

void BucketedSync::average_gradients() {
  TF_CHECK(buckets_ != nullptr || dp_.size() == 1, "average_gradients before attach");
  if (buckets_) buckets_->finish();
  tied_.sum_gradients();
}

}  // namespace tf::parallel
