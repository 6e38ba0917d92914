// pool_alloc: allocations per second of hasync::Pool on the active node of a pair, and, for
// comparison, Replica::Put of a value of a lease's size (the raw write path under it).
//
// Each run starts a fresh pair of Replicas in this process (node 1 active, node 2 standby,
// plain TCP over loopback), both with the same pool, waits until node 1 is active with an
// in-sync standby, then makes N allocations for distinct clients "c<i>" from T threads. Pool
// and Put runs alternate, per (durability, threads), --repeat times each; the median and the
// range are printed, with the CPU time the process spent (both nodes and the clients) per
// operation, which a busy machine disturbs less than the wall clock. After each run the
// standby must hold what the active granted (pool runs: the standby's Usage counts N leases;
// Put runs: N records), else the run is reported as failed.
//
// Allocations fill this node's share first (odd-even: every other address) and only then the
// peer's, where grants always wait for the standby; N must stay within the own share for the
// async figure to mean async (the default /8 has 8M own addresses).
//
//   pool_alloc [--allocations 200000] [--threads 1,4,16] [--repeat 3]
//              [--durability replicated,async] [--what pool,put] [--range 10.0.0.0/8]
//              [--json FILE] [--log err]
//
// A measurement, not a test: nothing here asserts a time.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "hasync/node.h"
#include "hasync/pool.h"

namespace {

using namespace std::chrono_literals;
using hasync::Durability;

constexpr char kPoolName[] = "bench";
constexpr char kPutTable[] = "bench";
constexpr size_t kPutValueBytes = 26;  // a lease record of client "c<6 digits>" is 25

struct Args {
  uint64_t allocations = 200000;
  std::vector<int> threads{1, 4, 16};
  int repeat = 3;
  std::vector<std::string> durabilities{"replicated", "async"};
  std::vector<std::string> what{"pool", "put"};
  std::string range = "10.0.0.0/8";
  std::string json;
  std::string log = "err";  // spdlog level: err hides the insecure warning and goodbyes
};

std::vector<std::string> Split(const std::string& list) {
  std::vector<std::string> items;
  for (size_t begin = 0; begin <= list.size();) {
    size_t end = std::min(list.find(',', begin), list.size());
    if (end > begin) items.push_back(list.substr(begin, end - begin));
    begin = end + 1;
  }
  return items;
}

// A port free right now on 127.0.0.1, for the node that must be named before it is created.
uint16_t FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  uint16_t port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) close(fd);
  return port;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

bool Eventually(const auto& done, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Node 1 (priority 200, the active) and node 2 (its standby) on loopback, with the pool
// installed on both when `pool` is set. Pools go before their replicas.
struct Pair {
  std::unique_ptr<hasync::Replica> active;
  std::unique_ptr<hasync::Replica> standby;
  std::unique_ptr<hasync::Pool> active_pool;
  std::unique_ptr<hasync::Pool> standby_pool;

  ~Pair() {
    active_pool.reset();
    standby_pool.reset();
    if (standby) standby->Stop();
    if (active) active->Stop();
  }
};

hasync::ReplicaOptions NodeOptions(hasync::NodeId id, uint8_t priority, uint16_t listen,
                                   uint16_t peer) {
  hasync::ReplicaOptions o;
  o.node_id = id;
  o.priority = priority;
  o.listen = "127.0.0.1:" + std::to_string(listen);
  o.peer = "127.0.0.1:" + std::to_string(peer);
  o.startup_wait = 200ms;
  o.tls.insecure = true;  // loopback; the cost of TLS is tls_bulk's subject
  return o;
}

std::unique_ptr<Pair> StartPair(const hasync::PoolOptions* pool) {
  auto pair = std::make_unique<Pair>();
  for (int attempt = 0; attempt < 5 && !pair->active; ++attempt) {
    const uint16_t port1 = FreePort();  // node 1's, so that node 2 can name it
    auto standby = hasync::Replica::Create(NodeOptions(2, 100, 0, port1));
    if (!standby.ok()) break;
    auto active = hasync::Replica::Create(NodeOptions(1, 200, port1, (*standby)->listen_port()));
    if (!active.ok()) continue;  // someone took the port meanwhile
    pair->standby = std::move(standby).value();
    pair->active = std::move(active).value();
  }
  if (!pair->active) {
    std::fprintf(stderr, "pool_alloc: could not create the pair\n");
    return nullptr;
  }
  if (pool != nullptr) {
    auto a = hasync::Pool::Create(*pair->active, *pool);
    auto s = hasync::Pool::Create(*pair->standby, *pool);
    if (!a.ok() || !s.ok()) {
      std::fprintf(stderr, "pool_alloc: pool: %s\n",
                   (a.ok() ? s.status() : a.status()).ToString().c_str());
      return nullptr;
    }
    pair->active_pool = std::move(a).value();
    pair->standby_pool = std::move(s).value();
  }
  if (!pair->standby->Start().ok() || !pair->active->Start().ok()) return nullptr;
  bool ready = Eventually(
      [&] {
        auto s = pair->active->GetStatus();
        return s.ok() && s->role == hasync::Role::kActive && s->peer_up &&
               s->peer_role == hasync::Role::kStandby && s->peer_in_sync;
      },
      10s);
  if (!ready) {
    std::fprintf(stderr, "pool_alloc: node 1 never had an in-sync standby\n");
    return nullptr;
  }
  return pair;
}

// "10.a.b.c" for ordinal 2i of 10.0.0.0/8: a key like the addresses the pool grants.
std::string AddressKey(uint64_t i) {
  uint64_t o = 2 * i;
  return "10." + std::to_string(o >> 16 & 255) + "." + std::to_string(o >> 8 & 255) + "." +
         std::to_string(o & 255);
}

struct Sample {
  bool ok = false;
  double seconds = 0;
  double cpu_seconds = 0;
  uint64_t failed = 0;      // calls that returned an error
  uint64_t peer_share = 0;  // pool runs: grants outside node 1's share (always replicated)
  // Pool runs: the standby's first Usage, which re-reads its N leases into the index, as a
  // standby does at its first pool request once it has taken over.
  double standby_index_ms = 0;
};

// N calls of `op(i)` from `threads` threads, thread t taking i = t, t + threads, ...
template <typename Op>
Sample Drive(uint64_t n, int threads, const Op& op) {
  std::atomic<uint64_t> failed{0};
  std::latch go(1);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      go.wait();
      uint64_t bad = 0;
      for (uint64_t i = static_cast<uint64_t>(t); i < n; i += static_cast<uint64_t>(threads)) {
        if (!op(i)) ++bad;
      }
      failed += bad;
    });
  }
  Sample s;
  const double cpu = CpuSeconds();
  const auto start = std::chrono::steady_clock::now();
  go.count_down();
  for (std::thread& w : workers) w.join();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.cpu_seconds = CpuSeconds() - cpu;
  s.failed = failed;
  return s;
}

// The standby holds what the active does (async writes may still be on their way).
bool StandbyCaughtUp(Pair& pair) {
  return Eventually(
      [&] {
        auto a = pair.active->GetStatus();
        auto s = pair.standby->GetStatus();
        return a.ok() && s.ok() && a->records == s->records && a->digest == s->digest;
      },
      60s);
}

Sample MeasurePool(const Args& args, Durability durability, int threads) {
  hasync::PoolOptions pool;
  pool.name = kPoolName;
  pool.ranges = {args.range};
  pool.lease_time = 3600s;
  pool.durability = durability;
  std::unique_ptr<Pair> pair = StartPair(&pool);
  if (!pair) return {};
  std::atomic<uint64_t> peer_share{0};
  hasync::Pool& p = *pair->active_pool;
  std::atomic<bool> reported{false};
  Sample s = Drive(args.allocations, threads, [&](uint64_t i) {
    hasync::Result<hasync::Lease> lease = p.Allocate("c" + std::to_string(i));
    if (!lease.ok()) {
      if (!reported.exchange(true)) {
        std::fprintf(stderr, "allocate: %s\n", lease.status().ToString().c_str());
      }
      return false;
    }
    if (!lease->own_share) ++peer_share;
    return true;
  });
  s.peer_share = peer_share;
  auto active = pair->active_pool->Usage();
  bool caught_up = StandbyCaughtUp(*pair);
  const auto reread = std::chrono::steady_clock::now();
  auto standby = pair->standby_pool->Usage();
  s.standby_index_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - reread).count();
  const uint64_t granted = args.allocations - s.failed;
  s.ok = s.failed == 0 && caught_up && active.ok() && standby.ok() && active->leased == granted &&
         standby->leased == granted;
  if (!s.ok) {
    std::fprintf(stderr, "pool run: %llu failed, active %llu leases, standby %llu%s\n",
                 static_cast<unsigned long long>(s.failed),
                 static_cast<unsigned long long>(active.ok() ? active->leased : 0),
                 static_cast<unsigned long long>(standby.ok() ? standby->leased : 0),
                 caught_up ? "" : ", the standby never caught up");
  }
  return s;
}

Sample MeasurePut(const Args& args, Durability durability, int threads) {
  std::unique_ptr<Pair> pair = StartPair(nullptr);
  if (!pair) return {};
  const std::string value(kPutValueBytes, 'v');
  hasync::Replica& r = *pair->active;
  Sample s = Drive(args.allocations, threads, [&](uint64_t i) {
    return r.Put(kPutTable, AddressKey(i), value, durability).ok();
  });
  bool caught_up = StandbyCaughtUp(*pair);
  auto standby = pair->standby->GetStatus();
  s.ok = s.failed == 0 && caught_up && standby.ok() && standby->records == args.allocations;
  if (!s.ok) {
    std::fprintf(stderr, "put run: %llu failed%s\n", static_cast<unsigned long long>(s.failed),
                 caught_up ? "" : ", the standby never caught up");
  }
  return s;
}

struct Figure {
  std::vector<Sample> runs;
  bool ok() const {
    return !runs.empty() &&
           std::all_of(runs.begin(), runs.end(), [](const Sample& s) { return s.ok; });
  }
  // Operations per second: the median, min and max of the runs; CPU µs per operation (median).
  std::vector<double> Rates(uint64_t n) const {
    std::vector<double> r;
    for (const Sample& s : runs) r.push_back(n / s.seconds);
    std::sort(r.begin(), r.end());
    return r;
  }
  double Median(uint64_t n) const { return Rates(n)[runs.size() / 2]; }
  double CpuMicros(uint64_t n) const {
    std::vector<double> c;
    for (const Sample& s : runs) c.push_back(s.cpu_seconds / n * 1e6);
    std::sort(c.begin(), c.end());
    return c[c.size() / 2];
  }
};

std::string Rate(double per_second) {
  char text[32];
  if (per_second >= 1e6) {
    std::snprintf(text, sizeof(text), "%.2f M", per_second / 1e6);
  } else {
    std::snprintf(text, sizeof(text), "%.1f k", per_second / 1e3);
  }
  return text;
}

std::string Cell(const Figure& f, uint64_t n) {
  if (f.runs.empty()) return "-";
  if (!f.ok()) return "failed";
  std::vector<double> r = f.Rates(n);
  char text[96];
  std::snprintf(text, sizeof(text), "%s/s (%s-%s) %5.1f us", Rate(f.Median(n)).c_str(),
                Rate(r.front()).c_str(), Rate(r.back()).c_str(), f.CpuMicros(n));
  return text;
}

void JsonFigure(std::FILE* out, const char* name, const Figure& f, uint64_t n) {
  std::fprintf(out, "\"%s\": {\"ok\": %s", name, f.ok() ? "true" : "false");
  if (f.ok()) {
    std::vector<double> r = f.Rates(n);
    std::fprintf(out, ", \"per_second\": %.0f, \"min\": %.0f, \"max\": %.0f, \"cpu_us\": %.2f",
                 f.Median(n), r.front(), r.back(), f.CpuMicros(n));
  }
  std::fprintf(out, ", \"seconds\": [");
  for (size_t i = 0; i < f.runs.size(); ++i) {
    std::fprintf(out, "%s%.4f", i ? ", " : "", f.runs[i].seconds);
  }
  if (std::string_view(name) == "pool") {
    std::fprintf(out, "], \"standby_index_ms\": [");
    for (size_t i = 0; i < f.runs.size(); ++i) {
      std::fprintf(out, "%s%.1f", i ? ", " : "", f.runs[i].standby_index_ms);
    }
  }
  std::fprintf(out, "]}");
}

struct Row {
  std::string durability;
  int threads = 0;
  Figure pool;
  Figure put;
};

// The standby's index re-read, over every pool run: what a new active's first request costs.
void PrintReread(const std::vector<Row>& rows, uint64_t n) {
  std::vector<double> ms;
  for (const Row& row : rows) {
    for (const Sample& s : row.pool.runs) {
      if (s.ok) ms.push_back(s.standby_index_ms);
    }
  }
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  std::printf(
      "standby index re-read of %llu leases (its first Usage; a new active's first "
      "request): %.0f ms (%.0f-%.0f)\n",
      static_cast<unsigned long long>(n), ms[ms.size() / 2], ms.front(), ms.back());
}

bool WriteJson(const Args& args, const std::vector<Row>& rows) {
  std::FILE* out = std::fopen(args.json.c_str(), "w");
  if (out == nullptr) {
    std::fprintf(stderr, "pool_alloc: cannot write %s\n", args.json.c_str());
    return false;
  }
  std::fprintf(out, "{\"allocations\": %llu, \"repeat\": %d, \"range\": \"%s\", \"rows\": [\n",
               static_cast<unsigned long long>(args.allocations), args.repeat, args.range.c_str());
  for (size_t i = 0; i < rows.size(); ++i) {
    std::fprintf(out, "  {\"durability\": \"%s\", \"threads\": %d, ", rows[i].durability.c_str(),
                 rows[i].threads);
    JsonFigure(out, "pool", rows[i].pool, args.allocations);
    std::fprintf(out, ", ");
    JsonFigure(out, "put", rows[i].put, args.allocations);
    std::fprintf(out, "}%s\n", i + 1 < rows.size() ? "," : "");
  }
  std::fprintf(out, "]}\n");
  return std::fclose(out) == 0;
}

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--allocations") {
      args->allocations = std::max<uint64_t>(1, std::strtoull(value.c_str(), nullptr, 10));
    } else if (flag == "--threads") {
      args->threads.clear();
      for (const std::string& t : Split(value)) args->threads.push_back(std::max(1, std::stoi(t)));
    } else if (flag == "--repeat") {
      args->repeat = std::max(1, std::atoi(value.c_str()));
    } else if (flag == "--durability") {
      args->durabilities = Split(value);
    } else if (flag == "--what") {
      args->what = Split(value);
    } else if (flag == "--range") {
      args->range = value;
    } else if (flag == "--json") {
      args->json = value;
    } else if (flag == "--log") {
      args->log = value;
    } else {
      std::fprintf(stderr, "pool_alloc: unknown flag %s\n", flag.c_str());
      return false;
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "pool_alloc: %s needs a value\n", argv[argc - 1]);
    return false;
  }
  for (const std::string& d : args->durabilities) {
    if (d != "replicated" && d != "async") {
      std::fprintf(stderr, "pool_alloc: durability %s: replicated or async\n", d.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) return 2;
  spdlog::set_level(spdlog::level::from_str(args.log));
  const bool run_pool = std::count(args.what.begin(), args.what.end(), "pool") > 0;
  const bool run_put = std::count(args.what.begin(), args.what.end(), "put") > 0;

  std::printf(
      "allocations on the active of a loopback pair: %llu per run, pool %s, "
      "median of %d (min-max), a fresh pair per run\n",
      static_cast<unsigned long long>(args.allocations), args.range.c_str(), args.repeat);
  std::printf(
      "put: Replica::Put of a %zu-byte value, same durability and threads; "
      "us = process CPU per operation\n",
      kPutValueBytes);
  std::printf("%-10s %3s  %-38s  %-38s  %s\n", "durability", "thr", "pool Allocate", "Put",
              "pool/put");
  std::fflush(stdout);
  std::vector<Row> rows;
  bool ok = true;
  for (const std::string& d : args.durabilities) {
    const Durability durability = d == "async" ? Durability::kAsync : Durability::kReplicated;
    for (int threads : args.threads) {
      Row row{d, threads, {}, {}};
      for (int r = 0; r < args.repeat; ++r) {  // interleaved: drift hits both alike
        if (run_pool) row.pool.runs.push_back(MeasurePool(args, durability, threads));
        if (run_put) row.put.runs.push_back(MeasurePut(args, durability, threads));
      }
      for (const Sample& s : row.pool.runs) {
        if (s.ok && s.peer_share > 0) {
          std::fprintf(stderr, "note: %llu grants fell in the peer's share (replicated)\n",
                       static_cast<unsigned long long>(s.peer_share));
        }
      }
      char ratio[16] = "-";
      if (row.pool.ok() && row.put.ok()) {
        std::snprintf(ratio, sizeof(ratio), "%.2f",
                      row.pool.Median(args.allocations) / row.put.Median(args.allocations));
      }
      std::printf("%-10s %3d  %-38s  %-38s  %s\n", d.c_str(), threads,
                  Cell(row.pool, args.allocations).c_str(), Cell(row.put, args.allocations).c_str(),
                  ratio);
      std::fflush(stdout);
      ok = ok && (!run_pool || row.pool.ok()) && (!run_put || row.put.ok());
      rows.push_back(std::move(row));
    }
  }
  PrintReread(rows, args.allocations);
  if (!args.json.empty() && !WriteJson(args, rows)) return 1;
  return ok ? 0 : 1;
}
