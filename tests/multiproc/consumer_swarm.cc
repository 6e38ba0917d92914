// hasync_consumer_swarm: many hasync::Consumer instances in one process, each mirroring its
// subscription (a table, optionally a key prefix) in a map of its own, and a report on request.
// Test and benchmark tool (tests/multiproc/test_consumers.py, bench/consumer_failover.py, the
// demo); tests/multiproc/consumer_swarm.py drives it.
//
//   hasync_consumer_swarm --config swarm.json
//
// The config (JSON):
//   {"endpoints": ["127.0.0.1:7402", "127.0.0.1:7403"], "table": "sessions",
//    "ping_interval_ms": 1000, "dead_after_ms": 3000, "reconnect_delay_ms": 100,
//    "consumers": [{"name": "c1", "prefix": "", "slow_ms": 0, "table": "..."}, ...]}
// (every key but endpoints and consumers is optional; a consumer's table defaults to the top
// level's). A slow consumer sleeps slow_ms in each callback, so it lags behind a busy table.
//
// It prints {"ready": N} once every consumer is started, then reads commands on stdin, one per
// line, and answers each with one JSON line on stdout:
//   status  {"now_ms": T, "consumers": [{"name", "table", "prefix", "slow_ms", "channel",
//            "connected", "node", "last_op", "acked_op", "batches", "replay_batches",
//            "records", "digest", "replays", "replayed_records", "replayed_bytes", "resumes",
//            "reconnects", "last_change_ms", "resumed_ms"}, ...]}
//   brief   the same without the digests (cheap: nothing is hashed)
//   quit    {"stopped": N}, then it exits 0 (end of input does the same).
// Times are milliseconds of CLOCK_MONOTONIC (Python's time.monotonic() * 1000): last_change_ms
// is when the consumer's copy last changed (0: never), resumed_ms when its last resume (a
// subscription accepted by a node) was seen, sampled every 2 ms. `digest` is the SHA-256, in
// hex, of the copy's records in key order (bytewise), each as a 4-byte big-endian key length,
// the key, a 4-byte big-endian value length, the value: consumer_swarm.py's records_digest
// computes the same over a node's dump. The library's own logs go to stderr.
#include <openssl/evp.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "hasync/consumer.h"

namespace {

using json = nlohmann::json;

// How often the resume counts are sampled (resumed_ms is that precise).
constexpr std::chrono::milliseconds kSampleEvery{2};

double MonotonicMs() {
  auto since = std::chrono::steady_clock::now().time_since_epoch();
  return std::chrono::duration<double, std::milli>(since).count();
}

// SHA-256 of a sorted copy, as the file comment says (serialised first: one digest call).
std::string CopyDigest(const std::map<std::string, std::string>& copy) {
  std::string bytes;
  auto add = [&](const std::string& field) {
    auto n = static_cast<uint32_t>(field.size());
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((n >> shift) & 0xff);
    bytes += field;
  };
  for (const auto& [key, value] : copy) {
    add(key);
    add(value);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &md_len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < md_len; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 0xf];
  }
  return hex;
}

// One consumer and its copy. The callback runs on the consumer's thread, the report on main.
class Mirror {
 public:
  Mirror(std::string name, std::string table, std::string prefix, int slow_ms)
      : name_(std::move(name)),
        table_(std::move(table)),
        prefix_(std::move(prefix)),
        slow_ms_(slow_ms) {}
  Mirror(const Mirror&) = delete;
  Mirror& operator=(const Mirror&) = delete;

  hasync::Status Start(const json& config) {
    hasync::ConsumerOptions options;
    options.endpoints = config.at("endpoints").get<std::vector<std::string>>();
    options.table = table_;
    options.prefix = prefix_;
    options.name = name_;
    options.ping_interval = std::chrono::milliseconds(config.value("ping_interval_ms", 1000));
    options.dead_after = std::chrono::milliseconds(config.value("dead_after_ms", 3000));
    options.reconnect_delay = std::chrono::milliseconds(config.value("reconnect_delay_ms", 100));
    auto consumer = hasync::Consumer::Create(
        std::move(options), [this](const hasync::ConsumerBatch& batch) { Apply(batch); });
    if (!consumer.ok()) return consumer.status();
    consumer_ = std::move(consumer).value();
    return consumer_->Start();
  }

  void Stop() {
    if (consumer_) consumer_->Stop();
  }

  // Notes when the consumer's resume count moved (called every kSampleEvery).
  void Sample(double now_ms) {
    uint64_t resumes = consumer_->GetStatus().resumes;
    std::lock_guard lock(mu_);
    if (resumes != resumes_seen_) {
      resumes_seen_ = resumes;
      resumed_ms_ = now_ms;
    }
  }

  // `with_digest`: of the copy (computed again if it changed since the last one).
  json Report(bool with_digest) {
    hasync::ConsumerStatus s = consumer_->GetStatus();
    std::lock_guard lock(mu_);
    if (with_digest && digest_.empty()) digest_ = CopyDigest(copy_);
    json r{{"name", name_},
           {"table", table_},
           {"prefix", prefix_},
           {"slow_ms", slow_ms_},
           {"channel", s.channel},
           {"connected", s.connected},
           {"node", s.node},
           {"last_op", s.last_op},
           {"acked_op", s.acked_op},
           {"batches", batches_},
           {"replay_batches", replay_batches_},
           {"records", copy_.size()},
           {"replays", s.replays},
           {"replayed_records", s.replayed_records},
           {"replayed_bytes", s.replayed_bytes},
           {"resumes", s.resumes},
           {"reconnects", s.reconnects},
           {"last_change_ms", last_change_ms_},
           {"resumed_ms", resumed_ms_}};
    if (with_digest) r["digest"] = digest_;
    return r;
  }

 private:
  void Apply(const hasync::ConsumerBatch& batch) {
    if (slow_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms_));
    std::lock_guard lock(mu_);
    bool changed = false;
    for (const hasync::ConsumerChange& c : batch.changes) {
      std::string key(c.key);
      if (c.deleted) {
        changed |= copy_.erase(key) > 0;
        continue;
      }
      auto [it, inserted] = copy_.try_emplace(std::move(key), c.value);
      if (!inserted && it->second != c.value) {
        it->second = c.value;
        inserted = true;
      }
      changed |= inserted;
    }
    ++batches_;
    if (batch.replay) ++replay_batches_;
    if (changed) {
      last_change_ms_ = MonotonicMs();
      digest_.clear();  // recomputed at the next report
    }
  }

  const std::string name_;
  const std::string table_;
  const std::string prefix_;
  const int slow_ms_;
  std::unique_ptr<hasync::Consumer> consumer_;
  std::mutex mu_;  // guards what follows
  std::map<std::string, std::string> copy_;
  std::string digest_;  // of copy_; empty: to compute
  uint64_t batches_ = 0;
  uint64_t replay_batches_ = 0;
  double last_change_ms_ = 0;
  uint64_t resumes_seen_ = 0;
  double resumed_ms_ = 0;
};

void Print(const json& line) {
  std::printf("%s\n", line.dump().c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("hasync_consumer_swarm: many consumers in one process, each with its copy",
               "consumer_swarm");
  std::string config_path;
  app.add_option("--config", config_path, "the swarm's JSON config (see the source)")->required();
  CLI11_PARSE(app, argc, argv);

  // stdout carries the answers only: the library logs to stderr.
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("swarm", std::make_shared<spdlog::sinks::stderr_sink_mt>()));
  json config;
  try {
    std::ifstream in(config_path);
    if (!in) throw std::runtime_error("cannot open " + config_path);
    config = json::parse(in);
    spdlog::set_level(spdlog::level::from_str(config.value("log_level", "info")));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer_swarm: %s\n", e.what());
    return 2;
  }

  std::vector<std::unique_ptr<Mirror>> mirrors;
  try {
    std::string table = config.value("table", "");
    for (const json& c : config.at("consumers")) {
      mirrors.push_back(std::make_unique<Mirror>(
          c.value("name", "swarm-" + std::to_string(mirrors.size() + 1)), c.value("table", table),
          c.value("prefix", ""), c.value("slow_ms", 0)));
      hasync::Status started = mirrors.back()->Start(config);
      if (!started.ok()) throw std::runtime_error(started.message());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "consumer_swarm: consumer %zu: %s\n", mirrors.size(), e.what());
    for (auto& m : mirrors) m->Stop();
    return 2;
  }
  Print(json{{"ready", mirrors.size()}});

  std::atomic<bool> done{false};
  std::thread sampler([&] {
    while (!done) {
      for (auto& m : mirrors) m->Sample(MonotonicMs());
      std::this_thread::sleep_for(kSampleEvery);
    }
  });
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "status" || line == "brief") {
      json all = json::array();
      for (auto& m : mirrors) all.push_back(m->Report(line == "status"));
      Print(json{{"now_ms", MonotonicMs()}, {"consumers", std::move(all)}});
    } else if (line == "quit") {
      break;
    } else if (!line.empty()) {
      Print(json{{"error", "unknown command: " + line}});
    }
  }
  done = true;
  sampler.join();
  for (auto& m : mirrors) m->Stop();
  Print(json{{"stopped", mirrors.size()}});
  return 0;
}
