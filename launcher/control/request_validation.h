// Checks of control requests that need no training state: run by the gRPC handler thread before
// a command is queued. Checks against the model (token counts never shrink) happen when the
// command is applied, see ControlLoop.
#pragma once

#include <grpcpp/support/status.h>

#include "tokenformer/control/v1/control.pb.h"

namespace tf::control {

namespace v1 = ::tokenformer::control::v1;

// INVALID_ARGUMENT for an unknown growth or optimizer name (quoted escaped and cut, printable.h)
// and when explicit token counts are given and any is outside [1, kMaxSize].
grpc::Status validate(const v1::ScaleUpRequest& request);

}  // namespace tf::control
