// The config's choices. Each is an enum with one name table, the only place its spellings
// appear: the config reader, to_yaml, the key table of docs/configuration.md, the control API's
// request checks and the log lines all ask these tables.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tf {

// model.norm: the normalisation Θ of every Pattention (docs/model.md, Pattention).
enum class PattentionNorm { kL2NormGelu, kGeluL2Norm, kSoftmax };

// stages[].growth and model.init_growth: how the rows a growth appends start out
// (docs/model.md, Growth).
enum class GrowthPolicy {
  kZero,      // K_new = 0, V_new ~ init; τ follows the new n (changes old activations)
  kNormal,    // K_new, V_new ~ the authors' init; τ follows the new n
  kPreserve,  // K_new = 0, V_new ~ init, τ frozen: the grown model computes the same function
};

// stages[].optimizer: what a growth does with the AdamW moments.
enum class OptimizerRule { kReset, kCarry };

// train.precision: the dtype activations are computed in.
enum class Precision { kFp32, kBf16 };

// train.device: where a rank's tensors live (core/device.h chooses).
enum class DeviceSetting { kAuto, kCpu, kCuda };

// train.activation_checkpointing: what the forward pass keeps for the backward pass.
enum class ActivationCheckpointing { kNone, kLayer };

// parallel.pp_schedule: the order of a pipeline rank's forward and backward passes.
enum class PipelineSchedule { kOneFOneB, kGPipe };

// The name table of a choice: ChoiceNames<E>::kNames pairs each value with its spelling.
template <typename E>
struct ChoiceNames;

template <>
struct ChoiceNames<PattentionNorm> {
  static constexpr std::array<std::pair<PattentionNorm, const char*>, 3> kNames{
      {{PattentionNorm::kL2NormGelu, "l2_norm_gelu"},
       {PattentionNorm::kGeluL2Norm, "gelu_l2_norm"},
       {PattentionNorm::kSoftmax, "softmax"}}};
};
template <>
struct ChoiceNames<GrowthPolicy> {
  static constexpr std::array<std::pair<GrowthPolicy, const char*>, 3> kNames{
      {{GrowthPolicy::kZero, "zero"},
       {GrowthPolicy::kNormal, "normal"},
       {GrowthPolicy::kPreserve, "preserve"}}};
};
template <>
struct ChoiceNames<OptimizerRule> {
  static constexpr std::array<std::pair<OptimizerRule, const char*>, 2> kNames{
      {{OptimizerRule::kReset, "reset"}, {OptimizerRule::kCarry, "carry"}}};
};
template <>
struct ChoiceNames<Precision> {
  static constexpr std::array<std::pair<Precision, const char*>, 2> kNames{
      {{Precision::kFp32, "fp32"}, {Precision::kBf16, "bf16"}}};
};
template <>
struct ChoiceNames<DeviceSetting> {
  static constexpr std::array<std::pair<DeviceSetting, const char*>, 3> kNames{
      {{DeviceSetting::kAuto, "auto"},
       {DeviceSetting::kCpu, "cpu"},
       {DeviceSetting::kCuda, "cuda"}}};
};
template <>
struct ChoiceNames<ActivationCheckpointing> {
  static constexpr std::array<std::pair<ActivationCheckpointing, const char*>, 2> kNames{
      {{ActivationCheckpointing::kNone, "none"}, {ActivationCheckpointing::kLayer, "layer"}}};
};
template <>
struct ChoiceNames<PipelineSchedule> {
  static constexpr std::array<std::pair<PipelineSchedule, const char*>, 2> kNames{
      {{PipelineSchedule::kOneFOneB, "1f1b"}, {PipelineSchedule::kGPipe, "gpipe"}}};
};

// Whether E is a choice (has a name table).
template <typename E, typename = void>
struct is_choice : std::false_type {};
template <typename E>
struct is_choice<E, std::void_t<decltype(ChoiceNames<E>::kNames)>> : std::true_type {};

// The spelling of `value`.
template <typename E>
const char* choice_name(E value) {
  for (const auto& [e, name] : ChoiceNames<E>::kNames) {
    if (e == value) return name;
  }
  return "?";  // unreachable for a value of the enum
}

// The value spelled `text`; nullopt for any other text.
template <typename E>
std::optional<E> parse_choice(const std::string& text) {
  for (const auto& [e, name] : ChoiceNames<E>::kNames) {
    if (text == name) return e;
  }
  return std::nullopt;
}

// "zero, normal, preserve": every spelling, for messages and docs.
template <typename E>
std::string choice_list(const char* separator = ", ") {
  std::string all;
  for (const auto& entry : ChoiceNames<E>::kNames) {
    all += (all.empty() ? "" : separator) + std::string(entry.second);
  }
  return all;
}

}  // namespace tf
