// Status and Result: how hasync reports errors across every boundary.
//
// Errors that come from the outside world (bad input, a peer that went away, a write refused
// because this node is not active) are values, never exceptions or asserts. A Status is cheap to
// return when ok (no allocation); an error carries a code for programs and a message for people.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hasync {

enum class Code : uint8_t {
  kOk = 0,
  kInvalidArgument,  // the caller's request is malformed (empty key, bad table name)
  kTooLarge,         // over a configured limit (key, value, frame, queue)
  kNotFound,         // no such record or table
  kNotActive,        // the request needs the active node; the message names it
  kUnavailable,      // cannot be served now (no standby, switchover in progress, overloaded)
  kTimeout,          // no answer in time; the outcome may still happen
  kNotReplicated,    // applied locally, but the standby's acknowledgement never came
  kProtocol,         // the peer broke the wire protocol (malformed or out-of-order frame)
  kRejected,         // the peer refused (wrong cluster, version, node id, or a switchover)
  kIo,               // the operating system said no
  kExhausted,        // nothing left to allocate (an address pool, or this node's share of it)
};

std::string_view CodeName(Code code);

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(Code code, std::string message) { return Status(code, std::move(message)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "ok", or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return Status::Error(Code::kInvalidArgument, std::move(m)); }
inline Status TooLarge(std::string m) { return Status::Error(Code::kTooLarge, std::move(m)); }
inline Status NotFound(std::string m) { return Status::Error(Code::kNotFound, std::move(m)); }
inline Status NotActive(std::string m) { return Status::Error(Code::kNotActive, std::move(m)); }
inline Status Unavailable(std::string m) { return Status::Error(Code::kUnavailable, std::move(m)); }
inline Status Timeout(std::string m) { return Status::Error(Code::kTimeout, std::move(m)); }
inline Status NotReplicated(std::string m) { return Status::Error(Code::kNotReplicated, std::move(m)); }
inline Status ProtocolError(std::string m) { return Status::Error(Code::kProtocol, std::move(m)); }
inline Status Rejected(std::string m) { return Status::Error(Code::kRejected, std::move(m)); }
inline Status IoError(std::string m) { return Status::Error(Code::kIo, std::move(m)); }
inline Status Exhausted(std::string m) { return Status::Error(Code::kExhausted, std::move(m)); }

// A value or the Status that explains why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}                    // NOLINT: implicit by design
  Result(Status error) : v_(std::move(error)) {}               // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  // The error; Status::Ok() when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace hasync
