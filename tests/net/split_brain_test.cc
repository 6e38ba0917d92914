// A real split-brain between two NodeDrivers on loopback: each starts alone, becomes active and
// takes writes; when they connect, the driver reports the split-brain and the reconciliation
// to its subscribers, postpones allocate writes meanwhile, and both end with the merged set.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "net/node_driver.h"

namespace hasync::net {
namespace {

using namespace std::chrono_literals;

// A port that was free a moment ago: node 1 dials it before node 2 listens there.
uint16_t FreePort(asio::io_context& io) {
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class SplitBrainTest : public ::testing::Test {
 protected:
  void SetUp() override { spdlog::set_level(spdlog::level::warn); }

  bool RunUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_for(2ms);
    }
    return true;
  }

  void Write(NodeDriver& node, const std::string& key, const std::string& value) {
    std::optional<Status> result;
    node.Put("nat", key, value, Durability::kAsync, WriteIntent::kUpdate,
             [&](Status s) { result = std::move(s); });
    ASSERT_TRUE(result.has_value() && result->ok()) << key;
  }

  static std::optional<std::string> Value(const NodeDriver& node, std::string_view key) {
    const store::Table* t = node.node().store().Find("nat");
    auto r = t ? t->Get(key) : std::nullopt;
    return r ? std::optional<std::string>(std::string(r->value)) : std::nullopt;
  }

  asio::io_context io_;
};

TEST_F(SplitBrainTest, ReportedMergedAndAllocationsWaitForTheReconciliation) {
  const asio::ip::tcp::endpoint node2_address(asio::ip::make_address("127.0.0.1"), FreePort(io_));
  // Node 1 (priority 200: the rule keeps it active) dials node 2's address, which nobody
  // listens on yet, once a second; it becomes active alone.
  NodeDriver::Options o1;
  o1.core.node_id = 1;
  o1.core.priority = 200;
  o1.core.startup_wait = 50ms;
  o1.link.listen = {asio::ip::make_address("127.0.0.1"), 0};
  o1.link.peer = node2_address;
  o1.link.dial = true;
  o1.link.retry_interval = 1000ms;
  o1.link.tls.insecure = true;  // not about TLS
  NodeDriver node1(io_, o1);
  std::vector<core::SplitBrainDetected> detected1, detected2;
  std::vector<core::ReconcileCompleted> done1, done2;
  node1.OnSplitBrain([&](const core::SplitBrainDetected& e) { detected1.push_back(e); });
  node1.OnReconcileCompleted([&](const core::ReconcileCompleted& e) {
    EXPECT_EQ(e.peer, 2);
    done1.push_back(e);
  });
  ASSERT_TRUE(node1.Start().ok());
  ASSERT_TRUE(RunUntil([&] { return node1.node().status().role == Role::kActive; }, 2s));
  for (int i = 0; i < 200; ++i) Write(node1, "a-" + std::to_string(i), "1");
  Write(node1, "shared", "from-1");

  // Node 2 starts on that address and becomes active at once, before node 1 dials again; it
  // sends its records slowly, so the reconciliation lasts a while.
  NodeDriver::Options o2;
  o2.core.node_id = 2;
  o2.core.priority = 100;
  o2.core.startup_wait = 0ms;
  o2.core.reconcile_rate = 400;  // 201 records: about half a second
  o2.link.listen = node2_address;
  o2.link.tls.insecure = true;
  NodeDriver node2(io_, o2);
  node2.OnSplitBrain([&](const core::SplitBrainDetected& e) { detected2.push_back(e); });
  node2.OnReconcileCompleted([&](const core::ReconcileCompleted& e) {
    EXPECT_EQ(e.peer, 1);
    done2.push_back(e);
  });
  ASSERT_TRUE(node2.Start().ok());
  ASSERT_TRUE(RunUntil([&] { return node2.node().status().role == Role::kActive; }, 500ms));
  ASSERT_FALSE(node1.node().status().peer.connected) << "connected before node 2 was active";
  for (int i = 0; i < 200; ++i) Write(node2, "b-" + std::to_string(i), "2");
  Write(node2, "shared", "from-2");  // the later write: it wins the merge

  ASSERT_TRUE(RunUntil([&] { return node1.node().status().sync == SyncState::kReconciling; }, 3s))
      << "no reconciliation started";
  ASSERT_EQ(detected1.size(), 1u);
  EXPECT_EQ(detected1[0].peer, 2);
  EXPECT_TRUE(detected1[0].keeps_active);
  ASSERT_EQ(detected2.size(), 1u);
  EXPECT_EQ(detected2[0].peer, 1);
  EXPECT_FALSE(detected2[0].keeps_active);

  // While the active reconciles an update proceeds; an allocation waits until it ends.
  Write(node1, "update-during", "u");
  std::optional<Status> allocated;
  node1.Put("nat", "allocated", "x", Durability::kAsync, WriteIntent::kAllocate,
            [&](Status s) { allocated = std::move(s); });
  EXPECT_FALSE(allocated.has_value()) << "an allocation ran during the reconciliation";
  EXPECT_EQ(node1.node().status().postponed, 1u);
  ASSERT_TRUE(RunUntil([&] { return allocated.has_value(); }, 5s));
  EXPECT_TRUE(allocated->ok()) << allocated->ToString();
  EXPECT_NE(node1.node().status().sync, SyncState::kReconciling);

  ASSERT_TRUE(RunUntil(
      [&] {
        return node1.node().status().peer.in_sync &&
               node1.node().store().digest() == node2.node().store().digest();
      },
      5s))
      << "the pair did not converge";
  EXPECT_EQ(node1.node().store().records(), 403u);  // a-*, b-*, shared, update-during, allocated
  EXPECT_EQ(Value(node2, "shared"), "from-2");
  EXPECT_EQ(Value(node2, "allocated"), "x");
  ASSERT_EQ(done1.size(), 1u);
  EXPECT_TRUE(done1[0].split_brain);
  EXPECT_FALSE(done1[0].sender);
  EXPECT_EQ(done1[0].merged.received, 201u);
  EXPECT_EQ(done1[0].merged.inserted, 200u);
  EXPECT_EQ(done1[0].merged.replaced, 1u);
  ASSERT_EQ(done2.size(), 1u);
  EXPECT_TRUE(done2[0].split_brain);
  EXPECT_TRUE(done2[0].sender);
  EXPECT_EQ(done2[0].sent, 201u);
  EXPECT_EQ(node1.node().counters().split_brains, 1u);
}

}  // namespace
}  // namespace hasync::net
