// The control protocol of hasyncd: newline-delimited JSON over a unix socket, one request
// object per line, answered by one response object per line (dump: several, then an end line).
// docs/operations.md is the reference; this file turns lines into validated requests and
// results into response objects, with no I/O.
//
//   request:  {"cmd":"put","table":"nat","key":"k","value":"v","replicated":true,"id":7}
//             ("intent": "update" (default), "allocate" or "release" on put, del and load)
//   response: {"ok":true,"id":7}
//   error:    {"ok":false,"id":7,"code":"not_active","error":"node 2 is standby; ..."}
//   pools:    {"cmd":"pool.alloc","pool":"lan","client":"aa:bb:cc:dd:ee:ff"} (pool_commands.h)
//   consumers: {"cmd":"consumers"} (consumer_commands.h)
//
// Keys and values are bytes: see encoding.h for how non-UTF-8 ones travel ("value_base64").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/node.h"
#include "hasync/status.h"

namespace hasync::daemon {

inline constexpr size_t kMaxRequestBytes = 1 << 20;  // a longer line closes the connection
inline constexpr uint64_t kMaxLoadCount = 100'000'000;
inline constexpr uint64_t kDefaultPoolListLimit = 100;
inline constexpr uint64_t kMaxPoolListLimit = 10'000;

enum class Command : uint8_t {
  kStatus,
  kPut,
  kGet,
  kDel,
  kLoad,
  kDigest,
  kDump,
  kSwitchover,
  kMetrics,
  kPoolAlloc,
  kPoolRenew,
  kPoolRelease,
  kPoolShow,
  kPoolList,
  kPoolPartnerDown,
  kConsumers,
};
bool IsPoolCommand(Command command);

struct Request {
  Command command = Command::kStatus;
  std::string table;  // empty for digest/dump: every table
  std::string key;
  std::string value;
  bool replicated = false;
  WriteIntent intent = WriteIntent::kUpdate;  // put, del, load: "intent"
  uint64_t count = 0;                         // load
  uint32_t value_size = 0;                    // load
  std::string prefix;                         // load
  std::string pool;                           // pool.*, but partner_down (which is for all)
  std::string client;                         // pool.alloc, renew, release; pool.show: optional
  std::string address;  // pool.renew, release; pool.show: optional (not with client)
  std::string from;     // pool.list: the first address to list from; empty: the start
  uint64_t limit = kDefaultPoolListLimit;  // pool.list
};

// A request line, or why it is not one. `id` is whatever the line's "id" held (null if none),
// recovered even from an invalid request so that the error can echo it.
struct ParsedRequest {
  nlohmann::json id;
  Status error;
  Request request;
};
ParsedRequest ParseRequest(std::string_view line);

// Response objects. `id` is echoed when not null.
nlohmann::json OkResponse(const nlohmann::json& id);
nlohmann::json ErrorResponse(const nlohmann::json& id, const Status& error);
nlohmann::json StatusResponse(const nlohmann::json& id, const core::NodeStatus& status);
// One dump line: {"table":..,"key":..,"value":..,"rvn":..}.
nlohmann::json RecordLine(std::string_view table, std::string_view key, std::string_view value,
                          uint64_t rvn);
// The stable snake_case name of an error code ("not_active"), for programs.
std::string_view CodeSlug(Code code);
std::string DigestHex(uint64_t digest);  // 16 lowercase hex digits

// One line of output, newline included. Never throws: text that is not UTF-8 (only possible
// in table names) is replaced rather than rejected.
std::string Serialize(const nlohmann::json& response);

// The load command's deterministic value for record `index`: `size` printable bytes, written
// into `value` (reused from record to record, so a load does not allocate per record).
void LoadValue(uint64_t index, uint32_t size, std::string* value);

}  // namespace hasync::daemon
