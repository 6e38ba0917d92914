// tls_bulk: what TLS costs a bulk sync. Two NodeDrivers in one process, each on its own io
// thread, over loopback: the active loads N records alone, the standby starts, and the time
// until the active reports it in sync is measured, over plain TCP, TLS 1.3 with certificates
// and TLS 1.3 with a pre-shared key. Each mode runs --repeat times and the fastest run is
// printed, with the CPU time both nodes spent meanwhile (the process's user + system time),
// which a busy machine disturbs less than the wall clock. A measurement, not a test: nothing
// here asserts a time.
//
//   tls_bulk [--records N] [--value-bytes B] [--modes plain,certificates,psk] [--repeat 3]
//            [--certs DIR]
//
// Without --certs, a lab CA and certificates are made in a temporary directory by
// scripts/hasync-certs.
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "net/node_driver.h"

namespace {

using namespace std::chrono_literals;
using hasync::net::NodeDriver;

struct Args {
  uint64_t records = 1000000;
  size_t value_bytes = 200;
  std::string modes = "plain,certificates,psk";
  int repeat = 3;
  std::string certs;
};

// One node on its own io thread; Call runs a function there and waits for its result.
class Node {
 public:
  explicit Node(NodeDriver::Options options)
      : work_(io_.get_executor()), driver_(io_, std::move(options)) {}
  template <typename Fn>
  auto Call(Fn fn) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    return result.get();
  }
  ~Node() {
    Call([&] {
      driver_.Shutdown(200ms, [&] { work_.reset(); });
      return 0;
    });
    thread_.join();
  }
  bool Start() {
    hasync::Status started = driver_.Start();
    if (!started.ok()) std::fprintf(stderr, "start: %s\n", started.ToString().c_str());
    thread_ = std::thread([&] { io_.run(); });
    return started.ok();
  }
  NodeDriver& driver() { return driver_; }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  NodeDriver driver_;
  std::thread thread_;
};

NodeDriver::Options Options(hasync::NodeId id, uint8_t priority, const std::string& mode,
                            const std::string& certs) {
  NodeDriver::Options o;
  o.core.node_id = id;
  o.core.priority = priority;
  o.core.startup_wait = 50ms;
  o.core.heartbeat_interval = 1s;  // a loaded loop must not look dead
  o.link.listen = {asio::ip::make_address("127.0.0.1"), 0};
  o.link.retry_interval = 10ms;
  if (mode == "plain") {
    o.link.tls.insecure = true;
  } else if (mode == "psk") {
    o.link.tls.psk_file = certs + "/psk.key";
  } else {
    std::string self = id == 1 ? "node1" : "node2";
    o.link.tls.certificate = certs + "/" + self + ".crt";
    o.link.tls.private_key = certs + "/" + self + ".key";
    o.link.tls.ca = certs + "/ca.crt";
    o.link.tls.peer_name = id == 1 ? "node2" : "node1";
  }
  return o;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Run {
  bool ok = false;
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t payload_bytes = 0;  // keys and values
};

Run Measure(const Args& args, const std::string& mode) {
  // The active is node 2 (it accepts); node 1 dials it as soon as it starts.
  Run run;
  Node active(Options(2, 200, mode, args.certs));
  if (!active.Start()) return run;
  while (active.Call([&] { return active.driver().node().status().role; }) !=
         hasync::Role::kActive) {
    std::this_thread::sleep_for(10ms);
  }
  const std::string value(args.value_bytes, 'v');
  for (uint64_t i = 0; i < args.records;) {
    uint64_t end = std::min(args.records, i + 10000);
    run.payload_bytes += active.Call([&] {
      uint64_t bytes = 0;
      for (; i < end; ++i) {
        std::string key = "session-" + std::to_string(i);
        bytes += key.size() + value.size();
        active.driver().Put("sessions", key, value, hasync::Durability::kAsync,
                            hasync::WriteIntent::kUpdate, [](hasync::Status) {});
      }
      return bytes;
    });
  }

  NodeDriver::Options o = Options(1, 100, mode, args.certs);
  o.link.peer = active.Call([&] { return active.driver().listen_endpoint(); });
  o.link.dial = true;
  Node standby(std::move(o));
  auto start = std::chrono::steady_clock::now();
  double cpu_start = CpuSeconds();
  if (!standby.Start()) return run;
  while (!active.Call([&] { return active.driver().node().status().peer.in_sync; })) {
    std::this_thread::sleep_for(2ms);
    if (std::chrono::steady_clock::now() - start > 600s) {
      std::fprintf(stderr, "%s: the bulk sync did not finish\n", mode.c_str());
      return run;
    }
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.cpu_seconds = CpuSeconds() - cpu_start;
  uint64_t digest = active.Call([&] { return active.driver().node().store().digest(); });
  run.ok = standby.Call([&] { return standby.driver().node().store().digest(); }) == digest;
  if (!run.ok) std::fprintf(stderr, "%s: the digests differ after the sync\n", mode.c_str());
  return run;
}

// The fastest of `args.repeat` runs.
bool Report(const Args& args, const std::string& mode) {
  Run best;
  for (int i = 0; i < args.repeat; ++i) {
    Run run = Measure(args, mode);
    if (!run.ok) return false;
    if (!best.ok || run.seconds < best.seconds) best = run;
  }
  std::printf("%-13s %6.2f s  %9.0f records/s  %6.1f MB/s   cpu %5.2f s  %5.2f us/record\n",
              mode.c_str(), best.seconds, args.records / best.seconds,
              best.payload_bytes / best.seconds / 1e6, best.cpu_seconds,
              best.cpu_seconds / args.records * 1e6);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--records") {
      args.records = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--value-bytes") {
      args.value_bytes = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (flag == "--modes") {
      args.modes = argv[i + 1];
    } else if (flag == "--repeat") {
      args.repeat = std::max(1, std::atoi(argv[i + 1]));
    } else if (flag == "--certs") {
      args.certs = argv[i + 1];
    } else {
      std::fprintf(stderr, "tls_bulk: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  spdlog::set_level(spdlog::level::err);  // not the insecure warning, nor goodbyes
  std::string made_certs;                 // removed at the end
  if (args.certs.empty()) {
    char dir[] = "/tmp/hasync-tls-bulk-XXXXXX";
    if (mkdtemp(dir) == nullptr) return 1;
    args.certs = made_certs = dir;
    std::string script = std::string(HASYNC_SOURCE_DIR) + "/scripts/hasync-certs";
    std::string make = script + " " + args.certs + " node1 node2 >/dev/null && " + script +
                       " --psk " + args.certs + " >/dev/null";
    if (std::system(make.c_str()) != 0) return 1;
  }
  std::printf("bulk sync over loopback: %llu records, %zu-byte values, best of %d\n",
              static_cast<unsigned long long>(args.records), args.value_bytes, args.repeat);
  bool ok = true;
  for (size_t begin = 0; begin <= args.modes.size();) {
    size_t end = std::min(args.modes.find(',', begin), args.modes.size());
    ok = Report(args, args.modes.substr(begin, end - begin)) && ok;
    begin = end + 1;
  }
  if (!made_certs.empty()) std::filesystem::remove_all(made_certs);
  return ok ? 0 : 1;
}
