// What hasyncctl was asked to do, and doing it. Exit codes: 0 success, 1 the daemon answered
// with an error (or a wait timed out), 2 a usage or connection error.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/client.h"

namespace hasync::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

struct Invocation {
  Target target;  // the unix socket, or host:port over TLS
  // status, put, get, del, load, digest, dump, switchover, metrics, wait, or a pool command as
  // the daemon names it: pool.alloc, pool.renew, pool.release, pool.show, pool.list,
  // pool.partner_down; consumers
  std::string command;
  bool json = false;  // print the daemon's JSON
  std::string table;
  std::string key;
  std::string value;
  bool replicated = false;
  std::string intent = "update";  // put, del, load: update|allocate|release
  uint64_t count = 0;
  uint32_t value_size = 0;
  std::string prefix = "key-";
  std::string wait_role;  // wait: active|standby|init; empty = any
  bool wait_in_sync = false;
  uint64_t timeout_ms = 5000;
  std::string pool;      // pool.*, but partner_down
  std::string client;    // pool.alloc, renew, release; show --client
  std::string address;   // pool.renew, release; show --address
  std::string from;      // pool.list --from
  uint64_t limit = 100;  // pool.list --limit
};

int RunCommand(const Invocation& invocation);

// The request line an invocation sends (not for wait, which sends status requests).
nlohmann::json Request(const Invocation& invocation);

}  // namespace hasync::cli
