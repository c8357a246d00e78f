// tf-ctl: command-line client of a run's control API (docs/operations.md).
// Exit status: 0 done, 1 the call was refused or failed (the gRPC code is printed), 2 bad usage.
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/exit_status.h"
#include "launcher/cli.h"
#include "launcher/control/ctl_output.h"
#include "launcher/control/listen_address.h"
#include "launcher/control/private_dir.h"
#include "launcher/control/secret_file.h"
#include "launcher/control/status_code_name.h"
#include "tokenformer/control/v1/control.grpc.pb.h"

namespace {

namespace v1 = ::tokenformer::control::v1;

constexpr const char* kUsage =
    "usage: tf-ctl [--address HOST:PORT|unix:PATH] [--token-file FILE] [--tls-ca FILE]\n"
    "              [--timeout SECONDS] [--wait] [--json] [--allow-plaintext-token] COMMAND\n"
    "  --address                   the run's control.address or unix:SOCKET; without it, the\n"
    "                              control socket of your one run on this host\n"
    "  --allow-plaintext-token     send the token to a plaintext address that is not loopback\n"
    "                              (refused otherwise: anyone on the path could read it)\n"
    "  --timeout SECONDS           bound on every call but watch (default 60)\n"
    "  --wait                      wait up to the timeout for the server to come up (a run that\n"
    "                              is starting) instead of failing at once\n"
    "commands:\n"
    "  status                      step, stage, sizes, loss, throughput, last checkpoint\n"
    "  watch [--count N]           one line per step until the run ends (or N events)\n"
    "  scale-up [--qkv-tokens N --proj-tokens N --ffn-tokens N] [--growth zero|normal|preserve]\n"
    "           [--optimizer reset|carry] [--noise X] [--freeze-old-steps N] [--rewarm-steps N]\n"
    "                              grow to the given counts, or start the next configured stage;\n"
    "                              the recipe defaults to the next stage's own, or in place to\n"
    "                              the defaults of docs/progressive-scaling.md, re-warming over\n"
    "                              the stage's warm-up steps\n"
    "  save-checkpoint             save a checkpoint at the next step boundary\n"
    "  pause | resume              hold / continue training at a step boundary\n"
    "  stop                        save a checkpoint (with checkpoint.dir) and end the run\n";

std::string read_file(const std::string& path, const char* flag) {
  std::ifstream in(path);
  if (!in) throw tf::Error(std::string(flag) + ": cannot read '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The control socket of the caller's one run on this host (private_dir.h).
std::string local_run_socket() {
  const std::string dir = tf::control::socket_directory();
  const std::string hint = "; give --address HOST:PORT (the run's log says where it listens)";
  struct stat found {};
  if (::lstat(dir.c_str(), &found) != 0) {
    throw tf::Error(
        "no --address given, and no run of yours serves a control socket on this "
        "host (" +
        dir + " does not exist)" + hint);
  }
  tf::control::check_private_directory(dir, false);
  std::vector<std::string> live;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("run-", 0) != 0 || entry.path().extension() != ".sock") continue;
    if (tf::control::socket_answers(entry.path().string())) {
      live.push_back("unix:" + entry.path().string());
    }
  }
  if (live.empty()) {
    throw tf::Error("no --address given, and no run of yours serves a control socket in " + dir +
                    hint);
  }
  if (live.size() > 1) {
    std::string list;
    for (const std::string& one : live) list += (list.empty() ? "" : ", ") + one;
    throw tf::Error("no --address given, and " + std::to_string(live.size()) +
                    " runs of yours serve control sockets on this host (" + list +
                    "): pick one with --address");
  }
  return live.front();
}

// Refuses to send the bearer token where anyone on the path could read it.
void check_token_stays_private(const tf::CommandLine& line, const std::string& address) {
  if (!line.has("token-file") || line.has("tls-ca") || line.has("allow-plaintext-token")) return;
  if (tf::control::is_loopback(address)) return;
  throw tf::Error("--address " + address +
                  " is neither loopback nor a unix socket, and without --tls-ca the connection is "
                  "plaintext: the token would cross the network readable by anyone on the path. "
                  "Use TLS (control.tls_cert on the run, --tls-ca here), an SSH tunnel to a "
                  "loopback port, or --allow-plaintext-token to send it anyway");
}

class Client {
 public:
  explicit Client(const tf::CommandLine& line)
      : json_(line.has("json")),
        tls_(line.has("tls-ca")),
        timeout_(line.number("timeout", 60)),
        address_(line.has("address") ? line.value("address") : local_run_socket()),
        channel_(grpc::CreateChannel(address_, credentials(line))),
        stub_(v1::TrainingControl::NewStub(channel_)) {
    if (!(timeout_ > 0)) throw tf::Error("--timeout must be a positive number of seconds");
    check_token_stays_private(line, address_);
    if (line.has("token-file")) {
      token_ = tf::control::read_secret_file(line.value("token-file"), "--token-file");
    }
  }

  int run(const tf::CommandLine& line);

 private:
  static std::shared_ptr<grpc::ChannelCredentials> credentials(const tf::CommandLine& line) {
    if (!line.has("tls-ca")) return grpc::InsecureChannelCredentials();
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = read_file(line.value("tls-ca"), "--tls-ca");
    return grpc::SslCredentials(options);
  }

  std::chrono::system_clock::time_point deadline() const {
    return std::chrono::system_clock::now() +
           std::chrono::milliseconds(static_cast<int64_t>(timeout_ * 1000));
  }

  void prepare(grpc::ClientContext& context, bool with_deadline) const {
    if (with_deadline) context.set_deadline(deadline());
    if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
  }

  int fail(const grpc::Status& status) const {
    const std::string code = tf::control::status_code_name(status.error_code());
    std::string message = status.error_message();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      const std::string hint = tf::control::connection_hint(message, tls_);
      if (!hint.empty()) message += " (" + hint + ")";
    }
    if (json_) {
      std::printf("%s\n", tf::control::json_error(code, message).c_str());
    } else {
      std::fprintf(stderr, "tf-ctl: %s: %s\n", code.c_str(), message.c_str());
    }
    return tf::kExitCallFailed;
  }

  template <typename Request>
  using Call = grpc::Status (v1::TrainingControl::Stub::*)(grpc::ClientContext*, const Request&,
                                                           v1::CommandReply*);

  template <typename Request>
  int mutate(Call<Request> call, const Request& request) {
    grpc::ClientContext context;
    prepare(context, true);
    v1::CommandReply reply;
    const grpc::Status status = (stub_.get()->*call)(&context, request, &reply);
    if (!status.ok()) return fail(status);
    if (json_) {
      std::printf("%s\n", tf::control::to_json(reply).c_str());
    } else {
      std::printf("applied at step %lld: %s\n", static_cast<long long>(reply.applied_at_step()),
                  reply.message().c_str());
    }
    return 0;
  }

  int status();
  int watch(int64_t count);

  bool json_;
  bool tls_;
  double timeout_;
  std::string address_;
  std::string token_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::TrainingControl::Stub> stub_;
};

int Client::status() {
  grpc::ClientContext context;
  prepare(context, true);
  v1::Status reply;
  const grpc::Status status = stub_->GetStatus(&context, v1::GetStatusRequest{}, &reply);
  if (!status.ok()) return fail(status);
  std::printf("%s", json_ ? (tf::control::to_json(reply) + "\n").c_str()
                          : tf::control::human_status(reply).c_str());
  return 0;
}

int Client::watch(int64_t count) {
  grpc::ClientContext context;
  prepare(context, false);  // a watch lasts as long as the run
  auto reader = stub_->WatchProgress(&context, v1::WatchProgressRequest{});
  v1::ProgressEvent event;
  int64_t seen = 0;
  while ((count == 0 || seen < count) && reader->Read(&event)) {
    ++seen;
    std::printf("%s\n", json_ ? tf::control::to_json(event).c_str()
                              : tf::control::human_event(event).c_str());
    std::fflush(stdout);
  }
  if (count > 0 && seen == count) {
    context.TryCancel();
    return 0;
  }
  const grpc::Status status = reader->Finish();
  return status.ok() ? 0 : fail(status);
}

int Client::run(const tf::CommandLine& line) {
  const std::string command = line.positional.front();
  if (line.has("wait") && !channel_->WaitForConnected(deadline())) {
    char waited[32];
    std::snprintf(waited, sizeof waited, "%g", timeout_);
    return fail(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                             "no server answered at " + address_ + " within " + waited + " s"));
  }
  if (command == "status") return status();
  if (command == "watch") return watch(line.count("count", 0));
  if (command == "save-checkpoint") return mutate(&v1::TrainingControl::Stub::SaveCheckpoint, {});
  if (command == "pause") return mutate(&v1::TrainingControl::Stub::Pause, {});
  if (command == "resume") return mutate(&v1::TrainingControl::Stub::Resume, {});
  if (command == "stop") return mutate(&v1::TrainingControl::Stub::Stop, {});
  if (command == "scale-up") {
    v1::ScaleUpRequest request;
    const int given = line.has("qkv-tokens") + line.has("proj-tokens") + line.has("ffn-tokens");
    if (given != 0 && given != 3) {
      throw tf::Error("scale-up: give all of --qkv-tokens, --proj-tokens, --ffn-tokens or none");
    }
    if (given == 3) {
      request.mutable_tokens()->set_qkv_tokens(line.integer("qkv-tokens", 0));
      request.mutable_tokens()->set_proj_tokens(line.integer("proj-tokens", 0));
      request.mutable_tokens()->set_ffn_tokens(line.integer("ffn-tokens", 0));
    }
    request.set_growth(line.value("growth", ""));
    request.set_optimizer(line.value("optimizer", ""));
    if (line.has("noise")) request.set_noise(line.number("noise", 0));
    if (line.has("freeze-old-steps")) {
      request.set_freeze_old_steps(line.integer("freeze-old-steps", 0));
    }
    if (line.has("rewarm-steps")) request.set_rewarm_steps(line.integer("rewarm-steps", 0));
    return mutate(&v1::TrainingControl::Stub::ScaleUp, request);
  }
  throw tf::Error("unknown command '" + command + "'");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const tf::CommandLine line = tf::parse_command_line(
        argc, argv,
        {"address", "token-file", "tls-ca", "timeout", "count", "qkv-tokens", "proj-tokens",
         "ffn-tokens", "growth", "optimizer", "noise", "freeze-old-steps", "rewarm-steps"},
        {"json", "wait", "help", "allow-plaintext-token"});
    if (line.has("help")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (line.positional.size() != 1) throw tf::Error("give exactly one command");
    Client client(line);
    return client.run(line);
  } catch (const tf::Error& e) {
    std::fprintf(stderr, "tf-ctl: %s\n%s", e.what(), kUsage);
    return tf::kExitError;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tf-ctl: internal error: %s\n", e.what());
    return tf::kExitInternal;
  }
}
