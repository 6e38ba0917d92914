// Typed reads of the daemon's JSON answers. A field that is missing, of another type, or a
// number out of range reads as the default: a broken or hostile daemon (or one of another
// version) must not make hasyncctl throw or hit undefined behaviour (nlohmann's value() casts
// a double such as 1e300 to an integer unchecked, and throws on a type mismatch).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace hasync::cli {

inline const nlohmann::json* FieldOf(const nlohmann::json& j, const char* name) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(name);
  return it == j.end() ? nullptr : &*it;
}

inline bool Flag(const nlohmann::json& j, const char* name) {
  const nlohmann::json* f = FieldOf(j, name);
  return f != nullptr && f->is_boolean() && f->get<bool>();
}

inline std::string Text(const nlohmann::json& j, const char* name, const char* fallback = "") {
  const nlohmann::json* f = FieldOf(j, name);
  return f != nullptr && f->is_string() ? f->get<std::string>() : std::string(fallback);
}

// A non-negative integer; anything else (a float such as 1e300, a negative number) is 0.
inline uint64_t Count(const nlohmann::json& j, const char* name) {
  const nlohmann::json* f = FieldOf(j, name);
  if (f == nullptr || !f->is_number_integer()) return 0;
  if (f->is_number_unsigned()) return f->get<uint64_t>();
  int64_t n = f->get<int64_t>();
  return n > 0 ? static_cast<uint64_t>(n) : 0;
}

inline double Number(const nlohmann::json& j, const char* name) {
  const nlohmann::json* f = FieldOf(j, name);
  return f != nullptr && f->is_number() ? f->get<double>() : 0.0;
}

// A nested object, or an empty one.
inline nlohmann::json Object(const nlohmann::json& j, const char* name) {
  const nlohmann::json* f = FieldOf(j, name);
  return f != nullptr && f->is_object() ? *f : nlohmann::json::object();
}

}  // namespace hasync::cli
