// hasync_sim: runs the deterministic simulation over a range of seeds, or replays one.
//
//   hasync_sim --seeds N [--start S] [--jobs J]   seeds S..S+N-1 (default 1..100)
//   hasync_sim --seed S --trace                   replay one seed, printing every event
//   hasync_sim --seed S --trace --watch t0/k8     ... and that record on both nodes as it changes
//   hasync_sim --break MODE [--expect INVARIANT]  plant a known defect (--break help lists them);
//                                                 with --expect, succeed only if it is caught
//   hasync_sim --pool drawn|none|all              which seeds run an address pool (default:
//                                                 drawn, about 30%)
//   hasync_sim --consumers drawn|none|all         which seeds run consumers (default: drawn,
//                                                 about 30%)
//
// Seeds are independent worlds, so --jobs runs them on threads without changing any result.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "sim/world.h"

namespace {

using hasync::sim::BreakMode;

struct Args {
  uint64_t start = 1;
  uint64_t seeds = 100;
  unsigned jobs = 1;
  bool trace = false;
  BreakMode brk = BreakMode::kNone;
  std::string brk_name;
  hasync::sim::PoolChoice pool = hasync::sim::PoolChoice::kDrawn;
  std::string pool_name;
  hasync::sim::ConsumerChoice consumers = hasync::sim::ConsumerChoice::kDrawn;
  std::string consumers_name;
  std::string expect;
  std::string watch;
};

bool ParseU64(std::string_view s, uint64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

int Usage(std::string_view error) {
  std::fprintf(stderr,
               "hasync_sim: %.*s\nusage: hasync_sim [--seeds N] [--start S] [--jobs J] | "
               "--seed S [--trace [--watch TABLE/KEY]]; [--break MODE|help] [--expect INVARIANT] "
               "[--pool drawn|none|all] [--consumers drawn|none|all]\n",
               static_cast<int>(error.size()), error.data());
  return 2;
}

int ListBreakModes() {
  std::printf("--break modes (each plants a defect in the simulated network):\n");
  for (const auto& info : hasync::sim::BreakModes()) {
    std::printf("  %-24.*s caught by %.*s\n", static_cast<int>(info.name.size()), info.name.data(),
                static_cast<int>(info.catches.size()), info.catches.data());
  }
  return 0;
}

std::string Replay(const Args& args, uint64_t seed) {
  std::string cmd = fmt::format("hasync_sim --seed {} --trace", seed);
  if (args.brk != BreakMode::kNone) cmd += " --break " + args.brk_name;
  if (args.pool != hasync::sim::PoolChoice::kDrawn) cmd += " --pool " + args.pool_name;
  if (args.consumers != hasync::sim::ConsumerChoice::kDrawn) {
    cmd += " --consumers " + args.consumers_name;
  }
  return cmd;
}

// The batch's consumers: what they went through and what the replays cost against full resends.
void PrintConsumers(const std::vector<hasync::sim::SimResult>& results) {
  uint64_t seeds = 0;
  hasync::sim::ConsumerCounts sum;
  for (const auto& r : results) {
    if (!r.consumers) continue;
    ++seeds;
    const hasync::sim::ConsumerCounts& c = r.consumer_counts;
    sum.sessions += c.sessions;
    sum.resumes += c.resumes;
    sum.in_sync += c.in_sync;
    sum.in_sync_moved += c.in_sync_moved;
    sum.initial += c.initial;
    for (size_t k = 0; k < 4; ++k) sum.replays[k] += c.replays[k];
    for (size_t k = 0; k < 5; ++k) sum.full_why[k] += c.full_why[k];
    sum.replayed_records += c.replayed_records;
    sum.full_resend_records += c.full_resend_records;
    sum.ops_applied += c.ops_applied;
    sum.faults += c.faults;
    sum.chased += c.chased;
  }
  if (seeds == 0) return;
  auto u = [](uint64_t n) { return static_cast<unsigned long long>(n); };
  const double share = sum.full_resend_records == 0
                           ? 0.0
                           : 100.0 * static_cast<double>(sum.replayed_records) /
                                 static_cast<double>(sum.full_resend_records);
  std::printf(
      "sim: %llu seeds with consumers: %llu consumer sessions, %llu ops applied, %llu resumes "
      "(%llu checked in sync, %llu of them after moving to the other node: no replay); %llu "
      "replays to consumers holding nothing; to the others, %llu replays by keys, %llu by "
      "sections, %llu full (%llu the node took over without everything, %llu without a fork, "
      "%llu past a threshold, %llu missing every section): %llu records against %llu for full "
      "resends (%.1f%%); %llu consumer faults (%llu chasing an update)\n",
      u(seeds), u(sum.sessions), u(sum.ops_applied), u(sum.resumes), u(sum.in_sync),
      u(sum.in_sync_moved), u(sum.initial), u(sum.replays[1]), u(sum.replays[2]), u(sum.replays[3]),
      u(sum.full_why[2]), u(sum.full_why[3]), u(sum.full_why[4]), u(sum.full_why[0]),
      u(sum.replayed_records), u(sum.full_resend_records), share, u(sum.faults), u(sum.chased));
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    const std::string_view v = has_value ? argv[i + 1] : "";
    uint64_t n = 0;
    if (a == "--trace") {
      args.trace = true;
      continue;
    }
    if (!has_value) return Usage(fmt::format("{} needs a value", a));
    ++i;
    if (a == "--break") {
      if (v == "help") return ListBreakModes();
      auto mode = hasync::sim::ParseBreakMode(v);
      if (!mode) return Usage(fmt::format("unknown break mode '{}'", v));
      args.brk = *mode;
      args.brk_name = v;
    } else if (a == "--pool") {
      using hasync::sim::PoolChoice;
      if (v != "drawn" && v != "none" && v != "all") return Usage("--pool: drawn, none or all");
      args.pool = v == "drawn"  ? PoolChoice::kDrawn
                  : v == "none" ? PoolChoice::kNone
                                : PoolChoice::kAll;
      args.pool_name = v;
    } else if (a == "--consumers") {
      using hasync::sim::ConsumerChoice;
      if (v != "drawn" && v != "none" && v != "all") {
        return Usage("--consumers: drawn, none or all");
      }
      args.consumers = v == "drawn"  ? ConsumerChoice::kDrawn
                       : v == "none" ? ConsumerChoice::kNone
                                     : ConsumerChoice::kAll;
      args.consumers_name = v;
    } else if (a == "--expect") {
      args.expect = v;
    } else if (a == "--watch") {
      args.watch = v;
    } else if (!ParseU64(v, &n)) {
      return Usage(fmt::format("{} needs a number", a));
    } else if (a == "--seeds") {
      args.seeds = n;
    } else if (a == "--start") {
      args.start = n;
    } else if (a == "--seed") {
      args.start = n;
      args.seeds = 1;
    } else if (a == "--jobs") {
      args.jobs = static_cast<unsigned>(std::clamp<uint64_t>(n, 1, 64));
    } else {
      return Usage(fmt::format("unknown option {}", a));
    }
  }
  if (args.trace && args.seeds != 1) return Usage("--trace replays a single seed (--seed S)");

  const auto began = std::chrono::steady_clock::now();
  std::vector<hasync::sim::SimResult> results(args.seeds);
  std::atomic<uint64_t> next{0};
  std::mutex progress;
  uint64_t done = 0;
  const uint64_t progress_every = std::max<uint64_t>(100, args.seeds / 10);
  auto worker = [&] {
    for (uint64_t i = next++; i < args.seeds; i = next++) {
      hasync::sim::SimOptions options;
      options.seed = args.start + i;
      options.trace = args.trace ? &std::cout : nullptr;
      options.brk = args.brk;
      options.pool = args.pool;
      options.consumers = args.consumers;
      options.watch = args.watch;
      results[i] = hasync::sim::RunSeed(options);
      std::lock_guard lock(progress);
      if (++done % progress_every == 0 && done < args.seeds) {
        const std::chrono::duration<double> s = std::chrono::steady_clock::now() - began;
        std::printf("sim: %llu/%llu seeds (%.1f s)\n", static_cast<unsigned long long>(done),
                    static_cast<unsigned long long>(args.seeds), s.count());
        std::fflush(stdout);
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < args.jobs; ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& t : threads) t.join();

  uint64_t steps = 0, faults = 0, failed = 0, expected = 0;
  uint64_t split_brains = 0, reconciliations = 0, postponed = 0, chased = 0;
  uint64_t pool_seeds = 0;
  hasync::sim::PoolCounts pool;
  for (const auto& r : results) {
    pool_seeds += r.pool ? 1 : 0;
    pool.grants += r.pool_counts.grants;
    pool.renewals += r.pool_counts.renewals;
    pool.exhausted += r.pool_counts.exhausted;
    pool.merged += r.pool_counts.merged;
    pool.merge_reconciles += r.pool_counts.merge_reconciles;
    pool.lost += r.pool_counts.lost;
    pool.lost_regranted += r.pool_counts.lost_regranted;
    pool.partner_downs += r.pool_counts.partner_downs;
    pool.forgotten += r.pool_counts.forgotten;
    pool.forgotten_regranted += r.pool_counts.forgotten_regranted;
    steps += r.steps;
    faults += r.faults;
    split_brains += r.split_brains;
    reconciliations += r.reconciliations;
    postponed += r.postponed;
    chased += r.chased;
    if (!r.failure) continue;
    ++failed;
    if (r.failure->invariant == args.expect) ++expected;
  }
  // Wall-clock time only outside a replay, whose output must be identical every time.
  if (!args.trace) {
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - began;
    std::printf("sim: seeds %llu..%llu on %u thread(s) took %.1f s\n",
                static_cast<unsigned long long>(args.start),
                static_cast<unsigned long long>(args.start + args.seeds - 1), args.jobs,
                took.count());
  }
  std::printf("sim: %llu seeds, %llu steps, %llu faults, %llu failed\n",
              static_cast<unsigned long long>(args.seeds), static_cast<unsigned long long>(steps),
              static_cast<unsigned long long>(faults), static_cast<unsigned long long>(failed));
  std::printf(
      "sim: %llu reconciliations, %llu split-brains detected, %llu writes postponed, "
      "%llu faults chasing a sync phase\n",
      static_cast<unsigned long long>(reconciliations),
      static_cast<unsigned long long>(split_brains), static_cast<unsigned long long>(postponed),
      static_cast<unsigned long long>(chased));
  if (pool_seeds > 0) {
    auto u = [](uint64_t n) { return static_cast<unsigned long long>(n); };
    std::printf(
        "sim: %llu seeds with a pool: %llu grants, %llu renewals, %llu exhausted; %llu pool "
        "records merged in %llu reconciliations; %llu partner-downs; %llu leases lost with every "
        "copy (%llu of those addresses granted again while held); %llu grants of addresses a "
        "restarted node forgot (%llu while another client held them)\n",
        u(pool_seeds), u(pool.grants), u(pool.renewals), u(pool.exhausted), u(pool.merged),
        u(pool.merge_reconciles), u(pool.partner_downs), u(pool.lost), u(pool.lost_regranted),
        u(pool.forgotten), u(pool.forgotten_regranted));
  }
  PrintConsumers(results);
  for (const auto& r : results) {
    if (!r.failure) continue;
    std::printf("FAILED seed=%llu: %s: %s\n  at %ss; replay: %s\n",
                static_cast<unsigned long long>(r.seed), r.failure->invariant.c_str(),
                r.failure->message.c_str(), hasync::sim::Trace::Time(r.failure->at).c_str(),
                Replay(args, r.seed).c_str());
  }
  if (!args.expect.empty()) {
    std::printf("sim: --break %s caught by %s in %llu of %llu seeds\n", args.brk_name.c_str(),
                args.expect.c_str(), static_cast<unsigned long long>(expected),
                static_cast<unsigned long long>(args.seeds));
    return expected > 0 ? 0 : 1;
  }
  return failed == 0 ? 0 : 1;
}
