#include "cli/watch.h"

#include <fmt/format.h>
#include <pthread.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>

#include "cli/commands.h"
#include "cli/watch_format.h"
#include "hasync/consumer.h"

namespace hasync::cli {

namespace {

std::vector<std::string> SplitEndpoints(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// Prints each op's changes; counts ops and says when `limit` (0: none) has been printed.
class Printer {
 public:
  Printer(bool json, uint64_t limit) : json_(json), limit_(limit) {}

  void Print(const ConsumerBatch& batch) {
    if (done()) return;
    for (const ConsumerChange& change : batch.changes) {
      std::string line = json_ ? FormatChangeJson(batch.op, batch.replay, change)
                               : FormatChangeText(batch.op, change);
      fmt::print("{}\n", line);
    }
    std::fflush(stdout);  // a pipe sees each op as it comes
    ++ops_;
  }
  bool done() const { return limit_ != 0 && ops_ >= limit_; }

 private:
  bool json_;
  uint64_t limit_;
  std::atomic<uint64_t> ops_{0};
};

// Blocks SIGINT and SIGTERM in this thread and the threads it starts, so that WaitForSignal
// takes them instead of their default action.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Returns once a stop signal came or the printer is done.
void WaitForStop(const sigset_t& set, const Printer& printer) {
  timespec tick{.tv_sec = 0, .tv_nsec = 50'000'000};
  while (!printer.done()) {
    if (sigtimedwait(&set, nullptr, &tick) >= 0) return;
  }
}

}  // namespace

int RunWatch(const WatchArgs& args) {
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "hasyncctl", std::make_shared<spdlog::sinks::stderr_sink_mt>()));
  ConsumerOptions options;
  options.endpoints = SplitEndpoints(args.endpoints);
  options.table = args.table;
  options.prefix = args.prefix;
  options.name = args.name;
  Printer printer(args.json, args.count);
  auto consumer = Consumer::Create(options, [&](const ConsumerBatch& b) { printer.Print(b); });
  if (!consumer.ok()) {
    fmt::print(stderr, "hasyncctl: {}\n", consumer.status().message());
    return kExitUsage;
  }
  sigset_t stop_signals = BlockStopSignals();
  if (Status started = consumer.value()->Start(); !started.ok()) {
    fmt::print(stderr, "hasyncctl: {}\n", started.message());
    return kExitUsage;
  }
  WaitForStop(stop_signals, printer);
  consumer.value()->Stop();
  return kExitOk;
}

}  // namespace hasync::cli
