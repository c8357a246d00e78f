#include "launcher/control/request_validation.h"

#include <optional>
#include <string>
#include <utility>

#include "core/checked_size.h"
#include "core/config_choices.h"
#include "launcher/control/printable.h"

namespace tf::control {

grpc::Status validate(const v1::ScaleUpRequest& request) {
  const std::string& growth = request.growth();
  if (!growth.empty() && !parse_choice<GrowthPolicy>(growth)) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "growth must be one of " +
                                                    choice_list<GrowthPolicy>() +
                                                    " (or empty), not '" + printable(growth) + "'"};
  }
  const std::string& optimizer = request.optimizer();
  if (!optimizer.empty() && !parse_choice<OptimizerRule>(optimizer)) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "optimizer must be one of " + choice_list<OptimizerRule>() + " (or empty), not '" +
                printable(optimizer) + "'"};
  }
  if (request.has_noise() && !(request.noise() >= 0 && request.noise() <= 1)) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "noise must be within [0, 1] (relative to each row's RMS; got " +
                std::to_string(request.noise()) + ")"};
  }
  const std::pair<const char*, std::optional<int64_t>> steps[] = {
      {"freeze_old_steps",
       request.has_freeze_old_steps() ? std::optional(request.freeze_old_steps()) : std::nullopt},
      {"rewarm_steps",
       request.has_rewarm_steps() ? std::optional(request.rewarm_steps()) : std::nullopt}};
  for (const auto& [name, value] : steps) {
    if (value && (*value < 0 || *value > kMaxSize)) {
      return {grpc::StatusCode::INVALID_ARGUMENT, std::string(name) + " must be within [0, " +
                                                      std::to_string(kMaxSize) + "] (got " +
                                                      std::to_string(*value) + ")"};
    }
  }
  if (!request.has_tokens()) return grpc::Status::OK;
  const v1::TokenCounts& t = request.tokens();
  const std::pair<const char*, int64_t> counts[] = {{"qkv_tokens", t.qkv_tokens()},
                                                    {"proj_tokens", t.proj_tokens()},
                                                    {"ffn_tokens", t.ffn_tokens()}};
  for (const auto& [name, value] : counts) {
    if (value < 1 || value > kMaxSize) {
      return {grpc::StatusCode::INVALID_ARGUMENT,
              std::string("tokens.") + name + " must be within [1, " + std::to_string(kMaxSize) +
                  "] (got " + std::to_string(value) + ")"};
    }
  }
  return grpc::Status::OK;
}

}  // namespace tf::control
