// Two NodeDrivers in one process, on one io_context, talking over 127.0.0.1 with ephemeral
// ports: the real sockets, timers and effects plumbing, end to end.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <asio/connect.hpp>
#include <asio/io_context.hpp>
#include <asio/read.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "net/node_driver.h"

namespace hasync::net {
namespace {

using namespace std::chrono_literals;

const asio::ip::tcp::endpoint kAnyLocalPort(asio::ip::make_address("127.0.0.1"), 0);

NodeDriver::Options MakeOptions(NodeId id, uint8_t priority, std::chrono::milliseconds heartbeat) {
  NodeDriver::Options o;
  o.core.node_id = id;
  o.core.priority = priority;
  o.core.heartbeat_interval = heartbeat;
  o.core.startup_wait = 200ms;
  o.link.listen = kAnyLocalPort;
  o.link.tls.insecure = true;  // not about TLS (tls_link_test.cc is)
  return o;
}

class LoopbackTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::warn); }

  // Node 2 (higher id: accepts) first, so node 1 (lower id: dials) can be pointed at its port.
  void StartPair(std::chrono::milliseconds heartbeat = 50ms) {
    standby_ = std::make_unique<NodeDriver>(io_, MakeOptions(2, 100, heartbeat));
    ASSERT_TRUE(standby_->Start().ok());
    NodeDriver::Options o = MakeOptions(1, 200, heartbeat);
    o.link.peer = standby_->listen_endpoint();
    o.link.dial = true;
    active_ = std::make_unique<NodeDriver>(io_, o);
    ASSERT_TRUE(active_->Start().ok());
    ASSERT_TRUE(RunUntil([&] { return RoleOf(*active_) == Role::kActive && InSync(); }, 5s))
        << "pair did not form";
  }

  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_for(5ms);
    }
    return true;
  }

  static hasync::Role RoleOf(const NodeDriver& d) { return d.node().status().role; }
  bool InSync() const { return active_->node().status().peer.in_sync; }

  asio::io_context io_;
  std::unique_ptr<NodeDriver> standby_;
  std::unique_ptr<NodeDriver> active_;
};

TEST_F(LoopbackTest, ElectsByPriorityAndSyncs) {
  StartPair();
  EXPECT_EQ(RoleOf(*active_), Role::kActive);
  EXPECT_EQ(RoleOf(*standby_), Role::kStandby);
}

TEST_F(LoopbackTest, ReplicatedWriteReachesStandby) {
  StartPair();
  std::optional<Status> result;
  active_->Put("nat", "10.0.0.1:1234", "198.51.100.7:40000", Durability::kReplicated,
               WriteIntent::kUpdate, [&](Status s) { result = std::move(s); });
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }, 5s));
  ASSERT_TRUE(result->ok()) << result->ToString();
  // Acknowledged means applied on the standby: no more waiting needed.
  const store::Table* table = standby_->node().store().Find("nat");
  ASSERT_NE(table, nullptr);
  auto record = table->Get("10.0.0.1:1234");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->value, "198.51.100.7:40000");
}

TEST_F(LoopbackTest, ManyWritesInOneTurnShareFramesAndArrive) {
  StartPair();
  for (int i = 0; i < 20000; ++i) {
    active_->Put("t", "key-" + std::to_string(i), std::string(64, 'v'), Durability::kAsync,
                 WriteIntent::kUpdate, [](Status s) { ASSERT_TRUE(s.ok()) << s.ToString(); });
  }
  ASSERT_TRUE(RunUntil(
      [&] { return standby_->node().store().digest() == active_->node().store().digest(); }, 10s));
  EXPECT_EQ(standby_->node().store().records(), 20000u);
  EXPECT_LT(active_->node().counters().frames_sent, 1000u) << "writes were not batched";
}

TEST_F(LoopbackTest, WriteOnStandbyIsRefused) {
  StartPair();
  std::optional<Status> result;
  standby_->Put("t", "k", "v", Durability::kAsync, WriteIntent::kUpdate,
                [&](Status s) { result = std::move(s); });
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->code(), Code::kNotActive);
}

TEST_F(LoopbackTest, KilledActiveFailsOverOnConnectionLossNotHeartbeat) {
  StartPair(/*heartbeat=*/1s);  // a silent peer would take 3 s to be declared dead
  auto killed = std::chrono::steady_clock::now();
  active_.reset();  // its sockets close, as the kernel does for a process killed with -9
  ASSERT_TRUE(RunUntil([&] { return RoleOf(*standby_) == Role::kActive; }, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 1s);
}

TEST_F(LoopbackTest, SwitchoverHandsOverTheActiveRole) {
  StartPair();
  std::optional<Status> result;
  active_->Switchover([&](Status s) { result = std::move(s); });
  ASSERT_TRUE(RunUntil([&] { return result.has_value(); }, 5s));
  ASSERT_TRUE(result->ok()) << result->ToString();
  EXPECT_EQ(RoleOf(*active_), Role::kStandby);
  EXPECT_TRUE(RunUntil([&] { return RoleOf(*standby_) == Role::kActive; }, 1s));
}

TEST_F(LoopbackTest, SecondPeerConnectionIsClosed) {
  StartPair();
  asio::ip::tcp::socket intruder(io_);
  intruder.connect(standby_->listen_endpoint());
  std::optional<asio::error_code> read_result;
  std::array<char, 16> buffer;
  intruder.async_read_some(asio::buffer(buffer),
                           [&](asio::error_code ec, size_t) { read_result = ec; });
  ASSERT_TRUE(RunUntil([&] { return read_result.has_value(); }, 2s));
  EXPECT_EQ(*read_result, asio::error::eof);
  RunUntil([] { return false; }, 200ms);  // let the pair run a while
  EXPECT_TRUE(standby_->node().status().peer.connected) << "the real peer must stay connected";
}

TEST_F(LoopbackTest, GracefulShutdownHandsOverAtOnce) {
  StartPair(/*heartbeat=*/1s);
  bool stopped = false;
  active_->Shutdown(500ms, [&] { stopped = true; });
  ASSERT_TRUE(RunUntil([&] { return stopped && RoleOf(*standby_) == Role::kActive; }, 1s));
}

}  // namespace
}  // namespace hasync::net
