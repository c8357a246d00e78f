#include "launcher/control/ctl_output.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>

#include "core/log.h"

namespace tf::control {
namespace {

std::string printf_string(const char* fmt, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, fmt, value);
  return buffer;
}

std::string state_name(v1::RunState state) {
  const std::string name = v1::RunState_Name(state);
  return name.substr(std::string("RUN_STATE_").size());
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  return status.ok() ? json : json_error("INTERNAL", status.ToString());
}

std::string json_error(const std::string& code, const std::string& message) {
  return "{\"code\":" + json_string(code) + ",\"message\":" + json_string(message) + "}";
}

std::string human_status(const v1::Status& s) {
  std::string out;
  out += "state       " + state_name(s.state()) + "\n";
  out += "step        " + std::to_string(s.step()) + " / " + std::to_string(s.total_steps()) + "\n";
  out += "stage       " + s.stage() + " (index " + std::to_string(s.stage_index()) + ")\n";
  out += "tokens      qkv " + std::to_string(s.tokens().qkv_tokens()) + ", proj " +
         std::to_string(s.tokens().proj_tokens()) + ", ffn " +
         std::to_string(s.tokens().ffn_tokens()) + "\n";
  out += "parameters  " + with_commas(s.parameter_count()) + "\n";
  out += "layout      " + s.layout() + "\n";
  out += "loss        " + printf_string("%.4f", s.loss()) +
         (!s.has_validation_loss() ? std::string(" (no validation pass yet)")
                                   : " (validation " + printf_string("%.4f", s.validation_loss()) +
                                         " at step " + std::to_string(s.validation_step()) + ")") +
         "\n";
  out += "throughput  " + printf_string("%.0f", s.tokens_per_second()) + " tokens/s, " +
         with_commas(s.tokens_total()) + " tokens in total\n";
  out += "checkpoint  " +
         (s.last_checkpoint().empty()
              ? std::string("none saved by this run")
              : s.last_checkpoint() + " (step " + std::to_string(s.last_checkpoint_step()) + ")") +
         "\n";
  for (const v1::RankStatus& r : s.ranks()) {
    out += (&r == &s.ranks(0) ? "ranks       " : "            ") + std::string("rank ") +
           std::to_string(r.rank()) + " on " + r.host() + ", local rank " +
           std::to_string(r.local_rank()) + ", " + r.device() + ": last step " +
           printf_string("%.3f", r.step_seconds()) + " s\n";
  }
  out += std::string("available   scale-up: ") + (s.capabilities().scale_up() ? "yes" : "no") +
         ", checkpoint: " + (s.capabilities().save_checkpoint() ? "yes" : "no") + "\n";
  return out;
}

std::string human_event(const v1::ProgressEvent& e) {
  const std::string step = "step " + std::to_string(e.step());
  switch (e.kind()) {
    case v1::ProgressEvent::KIND_STEP:
      return step + " | loss " + printf_string("%.4f", e.loss()) + " | grad norm " +
             printf_string("%.3f", e.grad_norm()) + " | lr " +
             printf_string("%.3e", e.learning_rate()) + " | " +
             printf_string("%.3f", e.step_seconds()) + " s | " +
             printf_string("%.0f", e.tokens_per_second()) + " tokens/s";
    case v1::ProgressEvent::KIND_VALIDATION:
      return step + " | validation loss " + printf_string("%.4f", e.loss());
    case v1::ProgressEvent::KIND_STATE:
      return step + " | " + state_name(e.state()) + " | " + e.message();
    default:
      return step + " | unknown event";
  }
}

std::string connection_hint(const std::string& message, bool tls) {
  const auto has = [&message](const char* part) { return message.find(part) != std::string::npos; };
  if (!tls) {
    // A TLS server closes the socket on a plaintext client's first bytes.
    return has("Socket closed") || has("andshake")
               ? "does the server use TLS, control.tls_cert? then give --tls-ca FILE"
               : "";
  }
  // gRPC 1.51 with OpenSSL 3 says "Ssl handshake failed: SSL_ERROR_SSL: error:0A000086:SSL
  // routines::certificate verify failed"; BoringSSL spells it CERTIFICATE_VERIFY_FAILED.
  if (has("certificate verify failed") || has("CERTIFICATE_VERIFY_FAILED")) {
    return "the server's certificate does not verify against the CA of --tls-ca: a wrong CA "
           "file, or the host in --address is not among the certificate's names";
  }
  if (has("is not in peer certificate")) {
    return "the host in --address is not among the names of the server's certificate (its "
           "subjectAltName): address the server by a name or IP address the certificate lists";
  }
  // A plaintext server answers the TLS client hello with HTTP/2 bytes: not a TLS record.
  if (has("wrong version number") || has("WRONG_VERSION_NUMBER")) {
    return "is the server without TLS? then leave out --tls-ca";
  }
  return "";
}

}  // namespace tf::control
