// gRPC status codes by their canonical names ("PERMISSION_DENIED"), for logs, metric labels and
// tf-ctl output.
#pragma once

#include <string>

#include <grpcpp/support/status_code_enum.h>

namespace tf::control {

std::string status_code_name(grpc::StatusCode code);

}  // namespace tf::control
