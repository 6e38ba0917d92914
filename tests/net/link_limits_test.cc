// The sync port's limits against hostile or broken clients: a connection flood, clients that
// never complete a handshake, and a peer that stops reading. Each ends with the node serving,
// the cause counted and logged with the address.
#include <gtest/gtest.h>

#include <asio/read.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "core/node.h"
#include "net/link_test_util.h"

namespace hasync::net {
namespace {

using namespace std::chrono_literals;
using testing::ClosedByPeer;
using testing::LogCapture;
using testing::NodeOptions;
using testing::UseCertificates;

class LinkLimitsTest : public ::testing::Test {
 protected:
  bool Run(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    return testing::RunUntil(io_, done, limit);
  }
  std::unique_ptr<NodeDriver> Start(NodeDriver::Options o) {
    auto node = std::make_unique<NodeDriver>(io_, std::move(o));
    EXPECT_TRUE(node->Start().ok());
    return node;
  }
  // A TCP client that connects and sends nothing.
  std::unique_ptr<asio::ip::tcp::socket> Connect(const NodeDriver& node) {
    auto socket = std::make_unique<asio::ip::tcp::socket>(io_);
    socket->connect(node.listen_endpoint());
    return socket;
  }
  void Write(NodeDriver& node, const std::string& key) {
    std::optional<Status> result;
    node.Put("t", key, "v", Durability::kReplicated, WriteIntent::kUpdate,
             [&](Status s) { result = std::move(s); });
    ASSERT_TRUE(Run([&] { return result.has_value(); }, 5s));
    ASSERT_TRUE(result->ok()) << result->ToString();
  }

  asio::io_context io_;
};

TEST_F(LinkLimitsTest, ConnectionFloodIsRateLimitedAndThePairStaysUp) {
  LogCapture log;
  NodeDriver::Options o1 = NodeOptions(1, 200);
  NodeDriver::Options o2 = NodeOptions(2, 100);
  UseCertificates(o1, "node1", "node2");
  UseCertificates(o2, "node2", "node1");
  auto node2 = Start(o2);
  o1.link.peer = node2->listen_endpoint();
  o1.link.dial = true;
  auto node1 = Start(o1);
  ASSERT_TRUE(Run([&] { return node1->node().status().peer.in_sync; }, 10s));
  Write(*node1, "before");
  uint64_t channels = node2->node().counters().channels_up;

  for (int i = 0; i < 200; ++i) Connect(*node2);  // connect and close, in a tight loop
  ASSERT_TRUE(Run([&] { return node2->link_counters().connections_accepted >= 201; }, 10s));
  const LinkCounters& c = node2->link_counters();
  EXPECT_GE(c.connections_rate_limited, 100u) << "the flood was mostly refused";
  EXPECT_EQ(c.connections_rate_limited + c.connections_busy, 200u)
      << "the admitted ones were closed too: the node is paired";
  EXPECT_EQ(c.handshakes_failed, 0u) << "no handshake was spent on the flood";

  Write(*node1, "after");
  EXPECT_TRUE(node2->node().status().peer.connected);
  EXPECT_EQ(node2->node().counters().channels_up, channels) << "the peer connection stayed up";
  // One summary line for the second of the flood, not one per connection.
  ASSERT_TRUE(Run([&] { return log.Has({"sync: refused"}); }, 3s));
  Run([] { return false; }, 200ms);
  EXPECT_EQ(log.Count({"warning sync: refused ",
                       " connections from 127.0.0.1 in the last second: "
                       "over max_connections_per_second (20)"}),
            1u)
      << log.Text();
}

TEST_F(LinkLimitsTest, ClientThatCompletesNoHandshakeIsCutAfterTheTimeout) {
  LogCapture log;
  NodeDriver::Options o = NodeOptions(2, 100);
  UseCertificates(o, "node2", "node1");
  o.link.handshake_timeout = 200ms;
  auto node = Start(o);
  auto silent = Connect(*node);
  std::string address = FormatEndpoint(silent->local_endpoint());
  ASSERT_TRUE(Run([&] { return node->link_counters().handshake_timeouts == 1; }, 5s));
  EXPECT_TRUE(ClosedByPeer(*silent));
  EXPECT_EQ(node->link_counters().handshakes_failed, 0u);
  EXPECT_TRUE(log.Has(
      {"warning sync: cut the connection from " + address + ": no TLS handshake within 200 ms"}))
      << log.Text();
}

TEST_F(LinkLimitsTest, PendingHandshakesAreBounded) {
  NodeDriver::Options o = NodeOptions(2, 100);
  UseCertificates(o, "node2", "node1");
  o.link.max_pending_handshakes = 2;
  o.link.handshake_timeout = 30s;
  auto node = Start(o);
  std::vector<std::unique_ptr<asio::ip::tcp::socket>> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(Connect(*node));
  ASSERT_TRUE(Run([&] { return node->link_counters().connections_accepted == 4; }, 5s));
  Run([] { return false; }, 100ms);
  EXPECT_EQ(node->link_counters().connections_busy, 2u);
  int closed = 0;
  for (auto& client : clients) closed += ClosedByPeer(*client) ? 1 : 0;
  EXPECT_EQ(closed, 2);
}

// A standby that completes the hello (from a real core, over a raw socket) and then never reads
// again, while the active bulk-syncs far more than the kernel's socket buffers hold.
class StalledPeerTest : public LinkLimitsTest {
 protected:
  void SetUp() override {
    NodeDriver::Options o = NodeOptions(1, 200);
    o.link.tls.insecure = true;       // a raw socket can speak the protocol
    o.core.heartbeat_interval = 10s;  // the silent peer is not declared dead meanwhile
    o.core.bulk_window_bytes = 96u << 20;
    o.core.max_unacked_bytes = 192u << 20;
    options_ = o;
  }

  void StartAndStall() {
    active_ = Start(options_);
    ASSERT_TRUE(Run([&] { return active_->node().status().role == Role::kActive; }, 5s));
    for (int i = 0; i < 60000; ++i) {
      active_->Put("t", "key-" + std::to_string(i), std::string(1000, 'v'), Durability::kAsync,
                   WriteIntent::kUpdate, [](Status s) { ASSERT_TRUE(s.ok()) << s.ToString(); });
    }
    Run([] { return false; }, 50ms);  // the writes' flush

    peer_ = Connect(*active_);
    address_ = FormatEndpoint(peer_->local_endpoint());
    core::CoreConfig config;
    config.node_id = 2;
    config.priority = 100;
    fake_ = std::make_unique<core::Node>(config);
    fake_->Start(core::TimePoint{}, 0);
    fake_->OnChannelUp(core::TimePoint{});
    // Answer until the active starts the bulk sync, then stop reading.
    std::vector<uint8_t> buffer(1 << 16);
    ASSERT_TRUE(Run(
        [&] {
          asio::write(*peer_, asio::buffer(fake_->effects().send));
          fake_->effects().clear();
          asio::error_code ec;
          if (peer_->available(ec) > 0) {
            size_t n = peer_->read_some(asio::buffer(buffer), ec);
            fake_->OnBytes(core::TimePoint{}, {buffer.data(), n});
          }
          return active_->node().counters().bulk_syncs_started >= 1;
        },
        5s));
  }

  NodeDriver::Options options_;
  std::unique_ptr<NodeDriver> active_;
  std::unique_ptr<asio::ip::tcp::socket> peer_;
  std::string address_;
  std::unique_ptr<core::Node> fake_;
};

TEST_F(StalledPeerTest, PeerThatStopsReadingIsCutAfterTheStallTimeout) {
  LogCapture log;
  options_.link.stall_timeout = 300ms;
  StartAndStall();
  ASSERT_TRUE(Run([&] { return active_->link_counters().peers_stalled == 1; }, 10s));
  EXPECT_TRUE(log.Has({"warning sync: lost peer " + address_ + ": peer stopped reading: ",
                       " bytes queued, none written for "}))
      << log.Text();
  EXPECT_FALSE(log.Has({"over the bound"}));
  EXPECT_FALSE(active_->node().status().peer.connected);
  EXPECT_EQ(active_->node().status().role, Role::kActive) << "the active keeps serving";
}

TEST_F(StalledPeerTest, QueuePastItsBoundIsCutAtOnce) {
  LogCapture log;
  options_.link.stall_timeout = 60s;
  options_.link.max_queue_bytes = 4u << 20;
  StartAndStall();
  ASSERT_TRUE(Run([&] { return active_->link_counters().peers_stalled == 1; }, 10s));
  EXPECT_TRUE(log.Has({"warning sync: lost peer " + address_ + ": peer stopped reading: ",
                       "bytes queued (over the bound of 4194304), none written for "}))
      << log.Text();
}

}  // namespace
}  // namespace hasync::net
