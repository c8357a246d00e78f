// How tf-ctl prints replies: aligned human-readable lines, or one JSON object per line (--json,
// proto field names, every field present) for scripts.
#pragma once

#include <google/protobuf/message.h>

#include <string>

#include "tokenformer/control/v1/control.pb.h"

namespace tf::control {

namespace v1 = ::tokenformer::control::v1;

std::string to_json(const google::protobuf::Message& message);
std::string human_status(const v1::Status& status);
std::string human_event(const v1::ProgressEvent& event);
// The JSON form of a refusal: {"code": "PERMISSION_DENIED", "message": "..."}.
std::string json_error(const std::string& code, const std::string& message);
// What to try when a connection failed (UNAVAILABLE) with gRPC's `message`: for a TLS client
// (`tls`, --tls-ca given), a server without TLS, a certificate that does not verify against the
// CA, or a host the certificate does not name; for a plaintext client, a server with TLS. Empty
// when the message shows none of these.
std::string connection_hint(const std::string& message, bool tls);

}  // namespace tf::control
