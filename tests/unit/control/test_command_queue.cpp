#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "launcher/control/command_queue.h"

namespace tf::control {
namespace {

using namespace std::chrono_literals;

v1::Command pause_command() {
  v1::Command command;
  command.mutable_pause();
  return command;
}

TEST(CommandQueue, TakeWithoutSubmitTimesOut) {
  CommandQueue queue;
  EXPECT_FALSE(queue.take(10ms).has_value());
}

TEST(CommandQueue, SubmitWaitsForCompletion) {
  CommandQueue queue;
  auto reply =
      std::async(std::launch::async, [&] { return queue.submit(pause_command(), "Pause"); });
  const std::optional<std::string> bytes = queue.take(5s);
  ASSERT_TRUE(bytes.has_value());
  v1::Command taken;
  ASSERT_TRUE(taken.ParseFromString(*bytes));
  EXPECT_TRUE(taken.has_pause());
  EXPECT_EQ(reply.wait_for(50ms), std::future_status::timeout) << "replied before completion";
  queue.complete({grpc::StatusCode::OK, "paused", 7});
  const Outcome outcome = reply.get();
  EXPECT_EQ(outcome.code, grpc::StatusCode::OK);
  EXPECT_EQ(outcome.message, "paused");
  EXPECT_EQ(outcome.step, 7);
  EXPECT_FALSE(queue.take(10ms).has_value()) << "a completed command is taken again";
}

TEST(CommandQueue, SecondRequestIsRefusedWhileOneIsInProgress) {
  CommandQueue queue;
  auto first =
      std::async(std::launch::async, [&] { return queue.submit(pause_command(), "Pause"); });
  ASSERT_TRUE(queue.take(5s).has_value());
  const Outcome second = queue.submit(pause_command(), "Stop");
  EXPECT_EQ(second.code, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(second.message, "another request (Pause) is in progress; retry when it has completed");
  queue.complete({grpc::StatusCode::OK, "", 1});
  EXPECT_EQ(first.get().code, grpc::StatusCode::OK);
  // The slot is free again.
  auto third =
      std::async(std::launch::async, [&] { return queue.submit(pause_command(), "Pause"); });
  ASSERT_TRUE(queue.take(5s).has_value());
  queue.complete({grpc::StatusCode::FAILED_PRECONDITION, "already paused", 2});
  EXPECT_EQ(third.get().code, grpc::StatusCode::FAILED_PRECONDITION);
}

TEST(CommandQueue, CloseRefusesPendingAndLaterRequests) {
  CommandQueue queue;
  auto pending =
      std::async(std::launch::async, [&] { return queue.submit(pause_command(), "Pause"); });
  std::this_thread::sleep_for(20ms);
  queue.close("the run has finished at step 3");
  const Outcome refused = pending.get();
  EXPECT_EQ(refused.code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(refused.message, "the run has finished at step 3");
  EXPECT_EQ(queue.submit(pause_command(), "Pause").code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_FALSE(queue.take(10ms).has_value());
}

}  // namespace
}  // namespace tf::control
