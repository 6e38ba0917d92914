// hasync::Consumer: a process that mirrors part of a pair's records (a table, optionally a key
// prefix) and stays in line with whichever node is active, across failovers, without a full
// resend (docs/consumers.md).
//
// It connects to the nodes' consumer ports (ConsumerOptions::endpoints, in any order) and
// follows the active one. The callback receives each op's changes exactly once, in op order:
// live updates as they happen, and after a failover or a reconnection only what this consumer
// missed (the records of the sections its missed updates touched, or the keys themselves, as a
// replay whose deletes the library works out). It acknowledges each op once the callback has
// returned. A consumer that starts afresh, or resumes a channel it holds nothing of, gets a
// full replay first.
//
// Threading: Start runs an event loop on an internal thread; callbacks run on it, one at a
// time. GetStatus and Stop may be called from any thread, Stop also from the callback (the
// callback then returns and none follows); the Consumer must not be destroyed from its own
// callback. A callback must not throw: an exception is logged and the op still counts as
// applied.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hasync/status.h"

namespace hasync {

struct ConsumerOptions {
  std::vector<std::string> endpoints;  // numeric host:port of each node's consumer port
  std::string table;
  std::string prefix;    // only keys starting with it; empty: the whole table
  std::string name;      // shown by hasyncctl consumers (printable ASCII, at most 64 bytes)
  uint64_t channel = 0;  // a channel to take over (it starts empty); 0: a new one
  std::chrono::milliseconds reconnect_delay{100};
  std::chrono::milliseconds ping_interval{1000};
  std::chrono::milliseconds dead_after{3000};
};

struct ConsumerChange {
  std::string_view key;
  std::string_view value;  // empty when deleted
  bool deleted = false;
};

// One op's changes. `replay`: part of a replay after a resume.
struct ConsumerBatch {
  uint64_t op = 0;
  bool replay = false;
  std::vector<ConsumerChange> changes;
};

struct ConsumerStatus {
  uint64_t channel = 0;
  bool connected = false;  // to the active node, subscription accepted
  std::string node;        // its endpoint
  uint64_t last_op = 0;
  uint64_t acked_op = 0;
  uint64_t records = 0;
  uint64_t ops = 0;
  uint64_t resumes = 0;
  uint64_t replays = 0;
  uint64_t replayed_records = 0;
  uint64_t replayed_bytes = 0;
  uint64_t reconnects = 0;
};

class Consumer {
 public:
  using BatchCallback = std::function<void(const ConsumerBatch& batch)>;

  // Checks the options (kInvalidArgument). `on_batch` is required.
  static Result<std::unique_ptr<Consumer>> Create(ConsumerOptions options, BatchCallback on_batch);
  ~Consumer();  // Stop()s
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // kInvalidArgument if it was started (or stopped) before.
  Status Start();
  void Stop();  // idempotent; no callback runs after it returns
  ConsumerStatus GetStatus() const;

 private:
  class Impl;
  explicit Consumer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hasync
