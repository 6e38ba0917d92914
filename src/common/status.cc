#include "hasync/status.h"

namespace hasync {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid argument";
    case Code::kTooLarge: return "too large";
    case Code::kNotFound: return "not found";
    case Code::kNotActive: return "not active";
    case Code::kUnavailable: return "unavailable";
    case Code::kTimeout: return "timeout";
    case Code::kNotReplicated: return "not replicated";
    case Code::kProtocol: return "protocol error";
    case Code::kRejected: return "rejected";
    case Code::kIo: return "i/o error";
    case Code::kExhausted: return "exhausted";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(CodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

}  // namespace hasync
