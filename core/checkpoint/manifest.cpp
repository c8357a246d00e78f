#include "core/checkpoint/manifest.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "core/checked_size.h"
#include "core/checkpoint/safetensors.h"
#include "core/error.h"
#include "core/json_integers.h"

namespace tf {
namespace {

using Json = nlohmann::json;
constexpr const char* kFormat = "tokenformer-checkpoint";

// Sorts the slices and requires them inside the tensor and disjoint; gaps are found on load.
void check_slices(TensorInfo& info, const std::string& where) {
  if (info.shape.empty()) throw Error(where + ": tensors need at least one dimension");
  if (!checked_numel(info.shape)) {
    throw Error(where + ": shape " + shape_text(info.shape) +
                " has a negative dimension or more elements than fit in 64 bits");
  }
  auto& s = info.slices;
  std::sort(s.begin(), s.end(), [](auto& a, auto& b) { return a.row_begin < b.row_begin; });
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i].row_begin < 0 || s[i].row_begin > s[i].row_end || s[i].row_end > info.shape[0]) {
      throw Error(where + ": slice rows [" + std::to_string(s[i].row_begin) + ", " +
                  std::to_string(s[i].row_end) + ") outside the " + std::to_string(info.shape[0]) +
                  " rows");
    }
    if (i > 0 && s[i - 1].row_end > s[i].row_begin) {
      throw Error(where + ": slices in " + s[i - 1].file + " and " + s[i].file + " overlap");
    }
  }
}

// The counts of a run's state: none may be negative, and a layout has at least one rank per axis.
void check_run_state(const RunState& r, const std::string& source) {
  const std::pair<const char*, int64_t> counts[] = {{"step", r.step},
                                                    {"stage.index", r.stage_index},
                                                    {"stage.start_step", r.stage_start},
                                                    {"stage.growths", r.growths},
                                                    {"stage.freeze.tokens", r.freeze.tokens.qkv},
                                                    {"stage.freeze.tokens", r.freeze.tokens.proj},
                                                    {"stage.freeze.tokens", r.freeze.tokens.ffn},
                                                    {"stage.freeze.until", r.freeze.until},
                                                    {"stage.rewarm.from", r.rewarm.from},
                                                    {"stage.rewarm.steps", r.rewarm.steps},
                                                    {"data.samples_consumed", r.samples_consumed},
                                                    {"schedule.warmup", r.schedule.warmup},
                                                    {"schedule.total", r.schedule.total}};
  for (const auto& [field, value] : counts) {
    if (value < 0) {
      throw Error(source + ": manifest field '" + field + "' is " + std::to_string(value) +
                  ", which is negative");
    }
  }
  const std::pair<const char*, int64_t> axes[] = {{"layout.world", r.layout.world},
                                                  {"layout.dp", r.layout.dp},
                                                  {"layout.tp", r.layout.tp},
                                                  {"layout.pp", r.layout.pp}};
  for (const auto& [field, value] : axes) {
    if (value < 1) {
      throw Error(source + ": manifest field '" + field + "' is " + std::to_string(value) +
                  "; a layout has at least 1");
    }
  }
}

}  // namespace

std::string manifest_to_json(const Manifest& m) {
  const RunState& r = m.run;
  Json tensors = Json::object();
  for (const auto& [name, info] : m.tensors) {
    Json slices = Json::array();
    for (const auto& s : info.slices) {
      slices.push_back({{"file", s.file}, {"key", s.key}, {"rows", {s.row_begin, s.row_end}}});
    }
    tensors[name] = {{"dtype", info.dtype}, {"shape", info.shape}, {"slices", slices}};
  }
  Json data = {{"samples_consumed", r.samples_consumed}};
  if (r.data) data_record_to_json(*r.data, data);
  const Json json = {
      {"format", kFormat},
      {"version", Manifest::kVersion},
      {"step", r.step},
      {"stage",
       {{"name", r.stage},
        {"index", r.stage_index},
        {"start_step", r.stage_start},
        {"growths", r.growths},
        {"freeze",
         {{"tokens", {r.freeze.tokens.qkv, r.freeze.tokens.proj, r.freeze.tokens.ffn}},
          {"until", r.freeze.until}}},
        {"rewarm", {{"from", r.rewarm.from}, {"steps", r.rewarm.steps}}}}},
      {"flops_spent", r.flops_spent},
      {"layout",
       {{"world", r.layout.world}, {"dp", r.layout.dp}, {"tp", r.layout.tp}, {"pp", r.layout.pp}}},
      {"data", data},
      {"rng", {{"train_seed", r.train_seed}, {"data_seed", r.data_seed}}},
      {"schedule",
       {{"peak", r.schedule.peak},
        {"minimum", r.schedule.minimum},
        {"warmup", r.schedule.warmup},
        {"total", r.schedule.total}}},
      {"files", m.file_crc32},
      {"tensors", tensors},
      {"config", r.config_yaml}};
  return json.dump(1) + "\n";
}

Manifest manifest_from_json(const std::string& text, const std::string& source) {
  Json json;
  try {
    json = Json::parse(text);
  } catch (const Json::exception& e) {  // a syntax error, or a number beyond 64 bits
    throw Error(source + ": manifest is not valid JSON: " + e.what());
  }
  Manifest m;
  std::string field = "format";
  try {
    if (json.at("format").get<std::string>() != kFormat) {
      throw Error(source + ": not a TokenFormer checkpoint manifest ('format' is not '" +
                  std::string(kFormat) + "')");
    }
    field = "version";
    if (json_integer<int>(json.at("version")) != Manifest::kVersion) {
      throw Error(source + ": manifest version " + json.at("version").dump() +
                  " is not supported (this build reads version " +
                  std::to_string(Manifest::kVersion) + ")");
    }
    RunState& r = m.run;
    field = "step";
    r.step = json_integer<int64_t>(json.at("step"));
    field = "stage";
    const Json& stage = json.at("stage");
    r.stage = stage.at("name").get<std::string>();
    r.stage_index = json_integer<int64_t>(stage.at("index"));
    r.stage_start = json_integer<int64_t>(stage.at("start_step"));
    r.growths = json_integer<int64_t>(stage.at("growths"));
    if (stage.contains("freeze")) {
      field = "stage.freeze";
      const auto tokens = json_integers<int64_t>(stage.at("freeze").at("tokens"));
      if (tokens.size() != 3)
        throw Error(source + ": 'stage.freeze.tokens' must be [qkv, proj, ffn]");
      r.freeze = {{tokens[0], tokens[1], tokens[2]},
                  json_integer<int64_t>(stage.at("freeze").at("until"))};
    }
    if (stage.contains("rewarm")) {
      field = "stage.rewarm";
      r.rewarm = {json_integer<int64_t>(stage.at("rewarm").at("from")),
                  json_integer<int64_t>(stage.at("rewarm").at("steps"))};
    }
    field = "flops_spent";
    r.flops_spent = json.at("flops_spent").get<double>();
    field = "layout";
    const Json& layout = json.at("layout");
    r.layout = {json_integer<int64_t>(layout.at("world")), json_integer<int64_t>(layout.at("dp")),
                json_integer<int64_t>(layout.at("tp")), json_integer<int64_t>(layout.at("pp"))};
    field = "data";
    r.samples_consumed = json_integer<int64_t>(json.at("data").at("samples_consumed"));
    r.data = data_record_from_json(json.at("data"));
    field = "rng";
    r.train_seed = json_integer<uint64_t>(json.at("rng").at("train_seed"));
    r.data_seed = json_integer<uint64_t>(json.at("rng").at("data_seed"));
    field = "schedule";
    const Json& s = json.at("schedule");
    r.schedule = {s.at("peak").get<double>(), s.at("minimum").get<double>(),
                  json_integer<int64_t>(s.at("warmup")), json_integer<int64_t>(s.at("total"))};
    check_run_state(r, source);
    field = "config";
    r.config_yaml = json.at("config").get<std::string>();
    field = "files";
    m.file_crc32 = json.at("files").get<std::map<std::string, std::string>>();
    for (const auto& [name, entry] : json.at("tensors").items()) {
      field = "tensors." + name;
      TensorInfo info;
      info.dtype = entry.at("dtype").get<std::string>();
      info.shape = json_integers<int64_t>(entry.at("shape"));
      for (const Json& slice : entry.at("slices")) {
        const auto rows = json_integers<int64_t>(slice.at("rows"));
        if (rows.size() != 2) throw Error(source + ": '" + field + "': rows must be [begin, end]");
        info.slices.push_back({slice.at("file").get<std::string>(), rows[0], rows[1],
                               slice.value("key", std::string())});
        if (!m.file_crc32.count(info.slices.back().file)) {
          throw Error(source + ": '" + field + "': file '" + info.slices.back().file +
                      "' is not listed under 'files'");
        }
      }
      check_slices(info, source + ": '" + field + "'");
      m.tensors.emplace(name, std::move(info));
    }
  } catch (const Json::exception& e) {
    throw Error(source + ": manifest field '" + field + "': " + e.what());
  }
  return m;
}

}  // namespace tf
