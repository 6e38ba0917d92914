// hasync::Consumer over loopback TCP against FakeNodeServer.
#include "hasync/consumer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "fake_node_server.h"

namespace hasync::consumer::testing {
namespace {

constexpr uint64_t kChannel = 0x40004;

// What the callback saw, as "op:put key=value" / "op:del key" lines.
class Seen {
 public:
  Consumer::BatchCallback Callback() {
    return [this](const ConsumerBatch& batch) {
      std::lock_guard lock(mutex_);
      for (const ConsumerChange& c : batch.changes) {
        lines_.push_back(std::to_string(batch.op) + (batch.replay ? ":replay " : ":") +
                         (c.deleted ? "del " + std::string(c.key)
                                    : "put " + std::string(c.key) + "=" + std::string(c.value)));
      }
      ++batches_;
    };
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  int batches() {
    std::lock_guard lock(mutex_);
    return batches_;
  }
  bool WaitForBatches(int n) {
    for (int i = 0; i < 1000 && batches() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return batches() >= n;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
  int batches_ = 0;
};

ConsumerOptions Options(std::vector<std::string> endpoints) {
  ConsumerOptions o;
  o.endpoints = std::move(endpoints);
  o.table = "nat";
  o.prefix = "10.";
  o.name = "dataplane-1";
  o.reconnect_delay = std::chrono::milliseconds(20);
  return o;
}

TEST(Consumer, CreateRefusesBadOptions) {
  auto nothing = [](const ConsumerBatch&) {};
  auto refused = [&](ConsumerOptions o) {
    return Consumer::Create(std::move(o), nothing).status().code();
  };
  EXPECT_EQ(refused(Options({})), Code::kInvalidArgument);
  EXPECT_EQ(refused(Options({"localhost:7402"})), Code::kInvalidArgument);
  EXPECT_EQ(refused(Options({"127.0.0.1:0"})), Code::kInvalidArgument);
  EXPECT_EQ(refused(Options({"::1:7402"})), Code::kInvalidArgument);
  ConsumerOptions o = Options({"127.0.0.1:7402", "[::1]:7402"});
  EXPECT_TRUE(Consumer::Create(o, nothing).ok());
  o.table.clear();
  EXPECT_EQ(refused(o), Code::kInvalidArgument);
  o = Options({"127.0.0.1:7402"});
  o.name = "bad\nname";
  EXPECT_EQ(refused(o), Code::kInvalidArgument);
  o = Options({"127.0.0.1:7402"});
  o.dead_after = std::chrono::milliseconds(0);
  EXPECT_EQ(refused(o), Code::kInvalidArgument);
  EXPECT_EQ(Consumer::Create(Options({"127.0.0.1:7402"}), nullptr).status().code(),
            Code::kInvalidArgument);
}

TEST(Consumer, MirrorsUpdatesAndAcknowledgesThem) {
  FakeNodeServer node(1, wire::WelcomeStatus::kOk, kChannel);
  Seen seen;
  auto consumer = Consumer::Create(Options({node.endpoint()}), seen.Callback());
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  ASSERT_TRUE(consumer.value()->Start().ok());
  ASSERT_TRUE(node.WaitFor([&] { return node.hellos.size() == 1; }));
  {
    auto lock = node.lock();
    EXPECT_EQ(node.hellos[0].table, "nat");
    EXPECT_EQ(node.hellos[0].prefix, "10.");
    EXPECT_EQ(node.hellos[0].name, "dataplane-1");
    EXPECT_EQ(node.hellos[0].last_op, 0u);
  }
  node.SendUpdate({.channel = kChannel, .op = 1, .term = 3, .mask = 3},
                  {Put("10.0.0.1", "a", 0), Put("10.0.0.2", "b", 1)});
  node.SendUpdate({.channel = kChannel, .op = 2, .term = 3, .mask = 1}, {Del("10.0.0.1", 0)});
  ASSERT_TRUE(seen.WaitForBatches(2));
  EXPECT_EQ(seen.lines(),
            (std::vector<std::string>{"1:put 10.0.0.1=a", "1:put 10.0.0.2=b", "2:del 10.0.0.1"}));
  ASSERT_TRUE(node.WaitFor([&] { return !node.acks.empty() && node.acks.back().op == 2; }));
  {
    auto lock = node.lock();
    EXPECT_EQ(node.acks.back().channel, kChannel);
    EXPECT_EQ(node.acks.back().term, 3u);
  }
  ConsumerStatus s = consumer.value()->GetStatus();
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(s.node, node.endpoint());
  EXPECT_EQ(s.channel, kChannel);
  EXPECT_EQ(s.last_op, 2u);
  EXPECT_EQ(s.records, 1u);
  EXPECT_EQ(s.ops, 2u);
  EXPECT_EQ(s.resumes, 1u);
  consumer.value()->Stop();
  consumer.value()->Stop();  // idempotent
  EXPECT_FALSE(consumer.value()->GetStatus().connected);
  EXPECT_EQ(consumer.value()->Start().code(), Code::kInvalidArgument);
}

TEST(Consumer, FollowsTheActiveAcrossEndpointsAndResumes) {
  FakeNodeServer standby(1, wire::WelcomeStatus::kNotActive, kChannel);
  FakeNodeServer active(2, wire::WelcomeStatus::kOk, kChannel);
  Seen seen;
  auto consumer =
      Consumer::Create(Options({standby.endpoint(), active.endpoint()}), seen.Callback());
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE(consumer.value()->Start().ok());
  ASSERT_TRUE(active.WaitFor([&] { return active.hellos.size() == 1; }));
  active.SendUpdate({.channel = kChannel, .op = 7, .term = 5, .mask = 1}, {Put("10.1", "x")});
  ASSERT_TRUE(seen.WaitForBatches(1));
  // Failover: the active goes away, the standby takes over.
  active.SetStatus(wire::WelcomeStatus::kNotActive);
  standby.SetStatus(wire::WelcomeStatus::kOk);
  active.CloseConnections();
  ASSERT_TRUE(standby.WaitFor(
      [&] { return !standby.hellos.empty() && standby.hellos.back().channel == kChannel; }));
  {
    auto lock = standby.lock();
    EXPECT_EQ(standby.hellos.back().last_op, 7u);
    EXPECT_EQ(standby.hellos.back().last_term, 5u);
    ASSERT_EQ(standby.hellos.back().ring.size(), 1u);
  }
  for (int i = 0; i < 500 && !consumer.value()->GetStatus().connected; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ConsumerStatus s = consumer.value()->GetStatus();
  EXPECT_TRUE(s.connected);
  EXPECT_EQ(s.node, standby.endpoint());
  EXPECT_EQ(s.resumes, 2u);
  EXPECT_GE(s.reconnects, 2u);
  standby.SendUpdate({.channel = kChannel, .op = 9, .term = 8, .replay = true, .reset = 1},
                     {Put("10.2", "y")});
  ASSERT_TRUE(seen.WaitForBatches(2));
  EXPECT_EQ(seen.lines(),
            (std::vector<std::string>{"7:put 10.1=x", "9:replay put 10.2=y", "9:replay del 10.1"}));
}

TEST(Consumer, NoCallbackAfterStopReturns) {
  FakeNodeServer node(1, wire::WelcomeStatus::kOk, kChannel);
  std::atomic<bool> stopped{false};
  std::atomic<int> late{0};
  std::atomic<int> calls{0};
  auto consumer = Consumer::Create(Options({node.endpoint()}), [&](const ConsumerBatch&) {
    if (stopped) ++late;
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  });
  ASSERT_TRUE(consumer.ok());
  ASSERT_TRUE(consumer.value()->Start().ok());
  ASSERT_TRUE(node.WaitFor([&] { return node.hellos.size() == 1; }));
  for (uint64_t op = 1; op <= 50; ++op) {
    node.SendUpdate({.channel = kChannel, .op = op}, {Put("10.k", std::to_string(op))});
  }
  while (calls < 5) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  consumer.value()->Stop();
  stopped = true;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(late, 0);
}

TEST(Consumer, StopFromTheCallback) {
  FakeNodeServer node(1, wire::WelcomeStatus::kOk, kChannel);
  std::atomic<int> calls{0};
  std::unique_ptr<Consumer> consumer;
  auto created = Consumer::Create(Options({node.endpoint()}), [&](const ConsumerBatch&) {
    ++calls;
    consumer->Stop();
  });
  ASSERT_TRUE(created.ok());
  consumer = std::move(created).value();
  ASSERT_TRUE(consumer->Start().ok());
  ASSERT_TRUE(node.WaitFor([&] { return node.hellos.size() == 1; }));
  node.SendUpdate({.channel = kChannel, .op = 1}, {Put("10.a", "1")});
  node.SendUpdate({.channel = kChannel, .op = 2}, {Put("10.b", "2")});
  for (int i = 0; i < 500 && calls == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls, 1);
  consumer.reset();  // joins the stopped loop
}

TEST(Consumer, StopBeforeStart) {
  auto consumer = Consumer::Create(Options({"127.0.0.1:9"}), [](const ConsumerBatch&) {});
  ASSERT_TRUE(consumer.ok());
  consumer.value()->Stop();
  EXPECT_EQ(consumer.value()->Start().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace hasync::consumer::testing
