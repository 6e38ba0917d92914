// The C API over loopback TCP against FakeNodeServer.
#include "hasync/consumer_c.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_node_server.h"

namespace hasync::consumer::testing {
namespace {

constexpr uint64_t kChannel = 0x50005;

struct Mirror {
  std::mutex mutex;
  std::vector<std::string> lines;
  std::atomic<int> batches{0};
};

void OnBatch(void* user, uint64_t op, int replay, const hasync_consumer_change* changes,
             size_t count) {
  auto* mirror = static_cast<Mirror*>(user);
  std::lock_guard lock(mirror->mutex);
  for (size_t i = 0; i < count; ++i) {
    const hasync_consumer_change& c = changes[i];
    std::string key(c.key, c.key_len);
    std::string line = std::to_string(op) + (replay ? ":replay " : ":");
    if (c.deleted) {
      EXPECT_EQ(c.value, nullptr);
      line += "del " + key;
    } else {
      line += "put " + key + "=" + std::string(c.value, c.value_len);
    }
    mirror->lines.push_back(line);
  }
  ++mirror->batches;
}

TEST(ConsumerC, RefusesBadOptionsWithAReason) {
  char error[128] = "";
  hasync_consumer_options options{};
  EXPECT_EQ(hasync_consumer_new(nullptr, OnBatch, nullptr, error, sizeof error), nullptr);
  EXPECT_STRNE(error, "");
  const char* endpoints[] = {"not-an-address"};
  options.endpoints = endpoints;
  options.endpoint_count = 1;
  options.table = "nat";
  EXPECT_EQ(hasync_consumer_new(&options, OnBatch, nullptr, error, sizeof error), nullptr);
  EXPECT_NE(std::string(error).find("not-an-address"), std::string::npos) << error;
  const char* good[] = {"127.0.0.1:7402"};
  options.endpoints = good;
  EXPECT_EQ(hasync_consumer_new(&options, nullptr, nullptr, error, sizeof error), nullptr);
  char tiny[4];
  options.table = nullptr;
  EXPECT_EQ(hasync_consumer_new(&options, OnBatch, nullptr, tiny, sizeof tiny), nullptr);
  EXPECT_EQ(std::string(tiny).size(), 3u);  // truncated, terminated
  EXPECT_EQ(hasync_consumer_start(nullptr), HASYNC_CONSUMER_INVALID_ARGUMENT);
  hasync_consumer_stop(nullptr);
  hasync_consumer_free(nullptr);
}

TEST(ConsumerC, MirrorsATableAndReportsItsStatus) {
  FakeNodeServer node(1, wire::WelcomeStatus::kOk, kChannel);
  std::string endpoint = node.endpoint();
  const char* endpoints[] = {endpoint.c_str()};
  hasync_consumer_options options{};
  options.endpoints = endpoints;
  options.endpoint_count = 1;
  options.table = "nat";
  options.name = "c-dataplane";
  options.reconnect_delay_ms = 20;
  Mirror mirror;
  char error[128] = "";
  hasync_consumer* consumer = hasync_consumer_new(&options, OnBatch, &mirror, error, sizeof error);
  ASSERT_NE(consumer, nullptr) << error;
  ASSERT_EQ(hasync_consumer_start(consumer), HASYNC_CONSUMER_OK);
  ASSERT_TRUE(node.WaitFor([&] { return node.hellos.size() == 1; }));
  {
    auto lock = node.lock();
    EXPECT_EQ(node.hellos[0].name, "c-dataplane");
    EXPECT_EQ(node.hellos[0].prefix, "");
  }
  node.SendUpdate({.channel = kChannel, .op = 1, .term = 2, .replay = true, .reset = ~0ull},
                  {Put("k1", "v1", 3), Put("k2", "v2", 4)});
  node.SendUpdate({.channel = kChannel, .op = 2, .term = 2}, {Del("k1", 3)});
  for (int i = 0; i < 1000 && mirror.batches < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::lock_guard lock(mirror.mutex);
    EXPECT_EQ(mirror.lines,
              (std::vector<std::string>{"1:replay put k1=v1", "1:replay put k2=v2", "2:del k1"}));
  }
  ASSERT_TRUE(node.WaitFor([&] { return !node.acks.empty() && node.acks.back().op == 2; }));
  hasync_consumer_status status{};
  ASSERT_EQ(hasync_consumer_status_get(consumer, &status), HASYNC_CONSUMER_OK);
  EXPECT_EQ(status.channel, kChannel);
  EXPECT_EQ(status.connected, 1);
  EXPECT_EQ(status.last_op, 2u);
  EXPECT_EQ(status.records, 1u);
  EXPECT_EQ(status.replays, 1u);
  EXPECT_EQ(status.replayed_records, 2u);
  EXPECT_EQ(hasync_consumer_status_get(consumer, nullptr), HASYNC_CONSUMER_INVALID_ARGUMENT);
  EXPECT_STRNE(hasync_consumer_error(consumer), "");
  hasync_consumer_stop(consumer);
  EXPECT_EQ(hasync_consumer_start(consumer), HASYNC_CONSUMER_INVALID_ARGUMENT);
  EXPECT_NE(std::string(hasync_consumer_error(consumer)).find("already"), std::string::npos);
  hasync_consumer_free(consumer);
}

}  // namespace
}  // namespace hasync::consumer::testing
