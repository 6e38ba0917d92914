// Index pause: how long one Upsert can hold the node's thread while a table loads, as a bulk sync
// of N records (default 5,000,000; 16-byte keys, 200-byte values) does on the standby. Each Upsert
// is timed on its own with steady_clock; prints the latency distribution and the slowest calls
// with the record count at which they ran, so a pause at a resize (7/8 of a power of two) stands
// out from the scheduler's noise, which falls anywhere. On a shared machine the wall-clock tail is
// mostly time the thread spent preempted, so each call's thread CPU time (which counts page faults
// and other kernel work done for it) is measured too: its maximum is the pause the code causes.
// Around each doubling of the key index past 100k records it also prints the mean CPU time of the
// Upserts just before and just after it, when an incremental resize is under way.
// With "reserve", the table is first told to expect all the records (Table::Reserve).
//   cmake --preset release -B build/idx-rel && cmake --build build/idx-rel --target index_pause
//   ./build/idx-rel/bench/index_pause [records] [reserve]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/table.h"

namespace {

constexpr size_t kKeyBytes = 16;
constexpr size_t kValueBytes = 200;
constexpr size_t kSlowest = 8;

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

uint64_t ThreadCpuNs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

uint32_t Saturate(uint64_t ns) { return static_cast<uint32_t>(std::min<uint64_t>(ns, UINT32_MAX)); }

// The latency at quantile q (0..1) of `sorted`.
uint32_t Quantile(const std::vector<uint32_t>& sorted, double q) {
  auto i = static_cast<size_t>(q * static_cast<double>(sorted.size() - 1));
  return sorted[i];
}

// Prints `"name":{quantiles, calls over 1 ms, the slowest calls and where they ran}` and sorts
// `ns`. A call's position is the record count before it.
void Report(const char* name, std::vector<uint32_t>& ns) {
  std::vector<std::pair<uint32_t, size_t>> slowest;
  for (size_t i = 0; i < ns.size(); ++i) {
    if (slowest.size() < kSlowest || ns[i] > slowest.back().first) {
      if (slowest.size() == kSlowest) slowest.pop_back();
      slowest.emplace_back(ns[i], i);
      std::sort(slowest.begin(), slowest.end(), std::greater<>());
    }
  }
  auto over_1ms = std::count_if(ns.begin(), ns.end(), [](uint32_t t) { return t > 1'000'000; });
  std::sort(ns.begin(), ns.end());
  std::printf(
      "\"%s\":{\"p50_ns\":%u,\"p99_ns\":%u,\"p99.9_ns\":%u,\"p99.99_ns\":%u,\"max_ns\":%u,"
      "\"calls_over_1ms\":%zu,\"slowest\":[",
      name, Quantile(ns, 0.5), Quantile(ns, 0.99), Quantile(ns, 0.999), Quantile(ns, 0.9999),
      ns.back(), static_cast<size_t>(over_1ms));
  for (size_t i = 0; i < slowest.size(); ++i) {
    std::printf("%s{\"ns\":%u,\"at\":%zu}", i == 0 ? "" : ",", slowest[i].first, slowest[i].second);
  }
  std::printf("]}");
}

// The index doubles when the insert of record 7/8 * 2^k arrives; the resize then lasts at most
// 2^k / 16 Upserts (two steps each). Prints the mean CPU time of that many calls before and after.
void ReportResizes(const std::vector<uint32_t>& cpu_ns) {
  auto mean = [&](size_t begin, size_t end) {
    uint64_t sum = 0;
    for (size_t i = begin; i < end; ++i) sum += cpu_ns[i];
    return static_cast<double>(sum) / static_cast<double>(end - begin);
  };
  std::printf("\"resizes\":[");
  const char* separator = "";
  for (size_t capacity = size_t{1} << 17;; capacity *= 2) {
    size_t at = capacity / 8 * 7, window = capacity / 16;
    if (at + 1 + window > cpu_ns.size()) break;
    std::printf("%s{\"at\":%zu,\"before_mean_cpu_ns\":%.0f,\"after_mean_cpu_ns\":%.0f}", separator,
                at, mean(at - window, at), mean(at + 1, at + 1 + window));
    separator = ",";
  }
  std::printf("],");
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 5'000'000;
  if (n == 0) {
    std::fprintf(stderr, "usage: %s [records > 0] [reserve]\n", argv[0]);
    return 2;
  }
  using Clock = std::chrono::steady_clock;
  const std::string value(kValueBytes, 'v');
  std::vector<uint32_t> latency_ns(n);  // allocated and touched before the clock runs
  std::vector<uint32_t> cpu_ns(n);
  hasync::store::Table table("pause", hasync::store::Limits{});
  bool reserve = argc > 2 && std::string_view(argv[2]) == "reserve";
  if (reserve) table.Reserve(n);

  auto start = Clock::now();
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t words[2] = {SplitMix(2 * i), SplitMix(2 * i + 1)};
    std::string_view key(reinterpret_cast<const char*>(words), kKeyBytes);
    uint64_t cpu_before = ThreadCpuNs();
    auto before = Clock::now();
    hasync::Status s = table.Upsert(key, value, i + 1, 0, 1);
    auto after = Clock::now();
    cpu_ns[i] = Saturate(ThreadCpuNs() - cpu_before);
    if (!s.ok()) {
      std::fprintf(stderr, "upsert %llu failed: %s\n", static_cast<unsigned long long>(i),
                   s.ToString().c_str());
      return 1;
    }
    latency_ns[i] = Saturate(std::chrono::nanoseconds(after - before).count());
  }
  double total_s = std::chrono::duration<double>(Clock::now() - start).count();

  std::printf("{\"records\":%zu,\"reserve\":%s,\"total_s\":%.2f,\"mean_ns\":%.0f,", n,
              reserve ? "true" : "false", total_s, total_s * 1e9 / static_cast<double>(n));
  ReportResizes(cpu_ns);
  Report("wall", latency_ns);
  std::printf(",");
  Report("cpu", cpu_ns);
  std::printf("}\n");
  return table.size() == n ? 0 : 1;
}
