// The control service's echo of client input and its refusal log, called directly (no server):
// a ServerContext from grpcpp's test spouse carries the authorization metadata.
#include <grpcpp/test/server_context_test_spouse.h>
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "launcher/control/control_service.h"

namespace tf::control {
namespace {

constexpr const char* kToken = "0123456789abcdef0123";

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

size_t count_containing(const std::vector<std::string>& lines, const std::string& part) {
  size_t n = 0;
  for (const auto& line : lines) n += line.find(part) != std::string::npos;
  return n;
}

class ControlServiceEcho : public ::testing::Test {
 protected:
  ControlServiceEcho() : auth_(kToken), board_(v1::Status{}) {}

  std::unique_ptr<ControlService> service() {
    return std::make_unique<ControlService>(
        auth_, queue_, board_, watches_, log_,
        [this](const std::string& method, grpc::StatusCode code) {
          recorded_.emplace_back(method, code);
        },
        [this] { return now_; });
  }

  Authenticator auth_;
  CommandQueue queue_;
  StatusBoard board_;
  WatchSlots watches_{4, 2};
  Logger log_{0};
  LogLimiter::Clock::time_point now_{};
  std::vector<std::pair<std::string, grpc::StatusCode>> recorded_;
};

TEST_F(ControlServiceEcho, AHugeGrowthNameGivesABoundedReplyAndLogLine) {
  auto control = service();
  grpc::ServerContext context;
  // The spouse holds the metadata's storage: it must live as long as the call.
  grpc::testing::ServerContextTestSpouse spouse(&context);
  spouse.AddClientMetadata("authorization", std::string("Bearer ") + kToken);
  v1::ScaleUpRequest request;
  std::string growth(4 * 1024 * 1024, 'g');
  growth.replace(10, 1, "\n[00:00:01 r0] control: Stop from ipv4:10.0.0.1:1 applied at step 9");
  request.set_growth(growth);
  v1::CommandReply reply;
  ::testing::internal::CaptureStdout();
  const grpc::Status status = control->ScaleUp(&context, &request, &reply);
  const std::string out = ::testing::internal::GetCapturedStdout();

  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(status.error_message().size(), 400u) << status.error_message().size();
  EXPECT_EQ(status.error_message().find('\n'), std::string::npos);
  EXPECT_NE(status.error_message().find("gggggggggg\\n[00:00:01 r0]"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("... (" + std::to_string(growth.size()) + " bytes)'"),
            std::string::npos)
      << status.error_message();
  const std::vector<std::string> lines = lines_of(out);
  ASSERT_EQ(lines.size(), 1u) << out;
  EXPECT_LT(lines[0].size(), 1000u);
  EXPECT_NE(lines[0].find("control: ScaleUp from  refused: INVALID_ARGUMENT: growth must be"),
            std::string::npos)
      << lines[0];
  ASSERT_EQ(recorded_.size(), 1u);
  EXPECT_EQ(recorded_[0].second, grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ControlServiceEcho, RefusalsAreLoggedAtABoundedRateAndAllRecorded) {
  auto control = service();
  const v1::PauseRequest pause;
  v1::CommandReply reply;
  ::testing::internal::CaptureStdout();
  for (int i = 0; i < 50; ++i) {
    grpc::ServerContext context;  // no token: UNAUTHENTICATED
    EXPECT_EQ(control->Pause(&context, &pause, &reply).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  now_ += std::chrono::seconds(10);
  grpc::ServerContext late;
  control->Pause(&late, &pause, &reply);
  for (int i = 0; i < 12; ++i) {  // this window's 9 more lines, then 3 suppressed
    grpc::ServerContext context;
    control->Pause(&context, &pause, &reply);
  }
  control.reset();  // reports the 3 no later line carried
  const std::vector<std::string> lines = lines_of(::testing::internal::GetCapturedStdout());

  EXPECT_EQ(recorded_.size(), 63u);  // the metric counts every call
  EXPECT_EQ(count_containing(lines, "refused: UNAUTHENTICATED"), 20u);
  ASSERT_EQ(lines.size(), 22u);
  EXPECT_NE(lines[10].find("control: 40 refusal lines suppressed in the last 10 s"),
            std::string::npos)
      << lines[10];
  EXPECT_NE(lines[11].find("control: Pause from  refused: UNAUTHENTICATED"), std::string::npos)
      << lines[11];
  EXPECT_NE(lines[21].find("control: 3 refusal lines suppressed in the last 1 s"),
            std::string::npos)
      << lines[21];
}

}  // namespace
}  // namespace tf::control
