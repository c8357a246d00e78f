// Integers read from JSON files. nlohmann's get<int64_t>() converts a floating-point number too,
// which is undefined behaviour beyond the type's range (2e+56 as a shape): these take integers
// only, and throw nlohmann's type_error otherwise, which each reader reports with its field.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <vector>

namespace tf {

template <typename Int>
Int json_integer(const nlohmann::json& value) {
  if (!value.is_number_integer()) {
    throw nlohmann::json::type_error::create(302, "expected an integer, not " + value.dump(),
                                             &value);
  }
  return value.get<Int>();
}

template <typename Int>
std::vector<Int> json_integers(const nlohmann::json& list) {
  if (!list.is_array()) {
    throw nlohmann::json::type_error::create(302, "expected a list of integers, not " + list.dump(),
                                             &list);
  }
  std::vector<Int> out;
  out.reserve(list.size());
  for (const nlohmann::json& item : list) out.push_back(json_integer<Int>(item));
  return out;
}

}  // namespace tf
