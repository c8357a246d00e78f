// Control request validation: the input is a serialized ScaleUpRequest, as gRPC would hand it
// over.
#include "launcher/control/request_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tokenformer::control::v1::ScaleUpRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  tf::control::validate(request);
  return 0;
}
