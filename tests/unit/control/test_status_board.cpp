#include <gtest/gtest.h>

#include <future>

#include "launcher/control/request_validation.h"
#include "launcher/control/status_board.h"

namespace tf::control {
namespace {

using namespace std::chrono_literals;

v1::ProgressEvent step_event(int64_t step) {
  v1::ProgressEvent event;
  event.set_kind(v1::ProgressEvent::KIND_STEP);
  event.set_step(step);
  return event;
}

TEST(StatusBoard, WatcherGetsEventsInOrderThenEndsAfterFinish) {
  StatusBoard board(v1::Status{});
  uint64_t seen = board.last_sequence();
  EXPECT_FALSE(board.next_event(&seen, 10ms).has_value());
  auto waiting = std::async(std::launch::async, [&] { return board.next_event(&seen, 5s); });
  board.publish(step_event(1));
  const auto first = waiting.get();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->step(), 1);
  board.publish(step_event(2));
  board.finish();
  const auto second = board.next_event(&seen, 5s);
  ASSERT_TRUE(second.has_value()) << "an event published before finish() was lost";
  EXPECT_EQ(second->step(), 2);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(board.next_event(&seen, 5s).has_value());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s) << "waited although finished";
}

TEST(StatusBoard, SlowWatcherSkipsToTheOldestKeptEvent) {
  StatusBoard board(v1::Status{});
  uint64_t seen = 0;
  for (int64_t step = 1; step <= 2000; ++step) board.publish(step_event(step));
  const auto oldest = board.next_event(&seen, 10ms);
  ASSERT_TRUE(oldest.has_value());
  EXPECT_EQ(oldest->step(), 2000 - 1024 + 1);
  EXPECT_EQ(board.next_event(&seen, 10ms)->step(), oldest->step() + 1);
}

TEST(StatusBoard, UpdateEditsTheSnapshot) {
  StatusBoard board(v1::Status{});
  board.update([](v1::Status& s) { s.set_step(42); });
  EXPECT_EQ(board.status().step(), 42);
}

TEST(RequestValidation, ScaleUpCounts) {
  v1::ScaleUpRequest next_stage;
  EXPECT_TRUE(validate(next_stage).ok());
  v1::ScaleUpRequest request;
  request.mutable_tokens()->set_qkv_tokens(64);
  request.mutable_tokens()->set_proj_tokens(64);
  request.mutable_tokens()->set_ffn_tokens(256);
  EXPECT_TRUE(validate(request).ok());
  request.mutable_tokens()->set_ffn_tokens(-1);
  const grpc::Status bad = validate(request);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message(), "tokens.ffn_tokens must be within [1, 2147483647] (got -1)");
  request.mutable_tokens()->set_ffn_tokens(int64_t{1} << 40);
  EXPECT_EQ(validate(request).error_message(),
            "tokens.ffn_tokens must be within [1, 2147483647] (got 1099511627776)");
}

}  // namespace
}  // namespace tf::control
