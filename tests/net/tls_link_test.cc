// The sync channel over TLS 1.3, end to end on loopback: pairs that authenticate each other
// replicate and fail over as plain ones do; every peer that cannot prove who it is is refused
// with a log line naming its address and the reason, counted, and changes nothing.
#include <gtest/gtest.h>

#include <asio/read.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "common/endpoint.h"
#include "hasync/node.h"
#include "net/driver_options.h"
#include "net/link_test_util.h"

namespace hasync::net {
namespace {

using namespace std::chrono_literals;
using testing::LogCapture;
using testing::NodeOptions;
using testing::TestCert;
using testing::UseCertificates;
using testing::UsePsk;

class TlsLinkTest : public ::testing::Test {
 protected:
  // Node 2 (it accepts) must have been started; node 1 dials it and the pair forms.
  void StartNode1(NodeDriver::Options o1) {
    o1.link.peer = node2_->listen_endpoint();
    o1.link.dial = true;
    node1_ = std::make_unique<NodeDriver>(io_, std::move(o1));
    ASSERT_TRUE(node1_->Start().ok());
  }
  void StartNode2(NodeDriver::Options o2) {
    node2_ = std::make_unique<NodeDriver>(io_, std::move(o2));
    ASSERT_TRUE(node2_->Start().ok());
  }
  void StartPair(NodeDriver::Options o1, NodeDriver::Options o2) {
    StartNode2(std::move(o2));
    StartNode1(std::move(o1));
    ASSERT_TRUE(Run([&] { return node1_->node().status().peer.in_sync; }, 10s))
        << "the pair did not form";
  }
  bool Run(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    return testing::RunUntil(io_, done, limit);
  }
  void Write(NodeDriver& node, const std::string& key, Durability durability) {
    std::optional<Status> result;
    node.Put("t", key, "value of " + key, durability, WriteIntent::kUpdate,
             [&](Status s) { result = std::move(s); });
    ASSERT_TRUE(Run([&] { return result.has_value(); }, 5s));
    ASSERT_TRUE(result->ok()) << result->ToString();
  }
  bool SameStores() const {
    return node1_->node().store().digest() == node2_->node().store().digest();
  }
  static bool NoRefusals(const LinkCounters& c) {
    return c.handshakes_failed == 0 && c.peers_wrong_identity == 0 && c.handshake_timeouts == 0 &&
           c.connections_busy == 0 && c.connections_rate_limited == 0 && c.peers_stalled == 0;
  }
  // A node 1 that should be refused dials node 2, which runs alone; returns once node 2 counted
  // `counter` (of its LinkCounters) at least once.
  void IntruderDials(NodeDriver::Options intruder, uint64_t LinkCounters::*counter) {
    StartNode1(std::move(intruder));
    ASSERT_TRUE(Run([&] { return node2_->link_counters().*counter >= 1; }, 5s));
    EXPECT_EQ(node2_->node().counters().channels_up, 0u) << "a refused peer reached the core";
  }

  asio::io_context io_;
  std::unique_ptr<NodeDriver> node2_;
  std::unique_ptr<NodeDriver> node1_;
};

NodeDriver::Options Certified(NodeId id, uint8_t priority, const std::string& cert,
                              const std::string& peer) {
  NodeDriver::Options o = NodeOptions(id, priority);
  UseCertificates(o, cert, peer);
  return o;
}

NodeDriver::Options WithPsk(NodeId id, uint8_t priority, const std::string& file) {
  NodeDriver::Options o = NodeOptions(id, priority);
  UsePsk(o, file);
  return o;
}

TEST_F(TlsLinkTest, CertificatePairReplicatesAndFailsOver) {
  LogCapture log;
  StartPair(Certified(1, 200, "node1", "node2"), Certified(2, 100, "node2", "node1"));
  EXPECT_TRUE(log.Has({"sync: connected to peer 127.0.0.1:", "(TLSv1.3, CN=node2)"})) << log.Text();
  EXPECT_TRUE(log.Has({"sync: accepted peer 127.0.0.1:", "(TLSv1.3, CN=node1)"})) << log.Text();
  Write(*node1_, "replicated", Durability::kReplicated);
  ASSERT_TRUE(node2_->node().store().Find("t")->Get("replicated").has_value());
  for (int i = 0; i < 20000; ++i) {
    node1_->Put("t", "key-" + std::to_string(i), std::string(200, 'v'), Durability::kAsync,
                WriteIntent::kUpdate, [](Status s) { ASSERT_TRUE(s.ok()) << s.ToString(); });
  }
  ASSERT_TRUE(Run([&] { return SameStores(); }, 20s));
  EXPECT_EQ(node2_->node().store().records(), 20001u);
  EXPECT_TRUE(NoRefusals(node1_->link_counters()));
  EXPECT_TRUE(NoRefusals(node2_->link_counters()));

  node1_.reset();  // killed: its connection closes
  ASSERT_TRUE(Run([&] { return node2_->node().status().role == Role::kActive; }, 5s));
  EXPECT_EQ(node2_->node().store().records(), 20001u);
}

TEST_F(TlsLinkTest, PreSharedKeyPairReplicatesOverTls13) {
  LogCapture log;
  StartPair(WithPsk(1, 200, TestCert("psk.key")), WithPsk(2, 100, TestCert("psk.key")));
  EXPECT_TRUE(log.Has({"sync: connected to peer", "(TLSv1.3, pre-shared key)"})) << log.Text();
  Write(*node1_, "k", Durability::kReplicated);
  ASSERT_TRUE(Run([&] { return SameStores(); }, 5s));
}

TEST_F(TlsLinkTest, GracefulShutdownDeliversTheGoodbyeThroughTls) {
  NodeDriver::Options o1 = Certified(1, 200, "node1", "node2");
  NodeDriver::Options o2 = Certified(2, 100, "node2", "node1");
  o1.core.heartbeat_interval = o2.core.heartbeat_interval = 1s;
  StartPair(o1, o2);
  std::string reason;
  node2_->OnRoleChange([&](const core::RoleChanged& e) { reason = e.reason; });
  bool stopped = false;
  node1_->Shutdown(500ms, [&] { stopped = true; });
  ASSERT_TRUE(Run([&] { return stopped && node2_->node().status().role == Role::kActive; }, 5s));
  EXPECT_NE(reason.find("peer said goodbye"), std::string::npos) << reason;
}

TEST_F(TlsLinkTest, CertificateFromAnotherCaIsRefused) {
  LogCapture log;
  StartNode2(Certified(2, 100, "node2", "node1"));
  IntruderDials(Certified(1, 200, "other-ca/node1", "node2"), &LinkCounters::handshakes_failed);
  EXPECT_TRUE(log.Has({"warning sync: rejected peer 127.0.0.1:",
                       ": TLS handshake failed: certificate verify failed: unable to get local "
                       "issuer certificate; peer presented CN=node1"}))
      << log.Text();
  ASSERT_TRUE(Run([&] { return node1_->link_counters().handshakes_failed >= 1; }, 5s));
  EXPECT_TRUE(log.Has(
      {"rejected peer " + FormatEndpoint(node2_->listen_endpoint()), "the peer refused it"}))
      << "the dialer says why it was refused: " << log.Text();
  // The refused dialer retries after retry_after_close (1 s), not every retry_interval.
  Run([] { return false; }, 1500ms);
  EXPECT_LE(node2_->link_counters().handshakes_failed, 3u);
  EXPECT_EQ(node2_->link_counters().peers_wrong_identity, 0u);
}

TEST_F(TlsLinkTest, ValidCertificateWithTheWrongNameIsRefused) {
  LogCapture log;
  StartNode2(Certified(2, 100, "node2", "node1"));
  IntruderDials(Certified(1, 200, "node3", "node2"), &LinkCounters::peers_wrong_identity);
  EXPECT_EQ(node2_->link_counters().handshakes_failed, 0u);
  EXPECT_TRUE(log.Has({"warning sync: rejected peer 127.0.0.1:",
                       ": TLS handshake failed: certificate verify failed: hostname mismatch; "
                       "peer presented CN=node3"}))
      << log.Text();
}

TEST_F(TlsLinkTest, WrongPreSharedKeyIsRefused) {
  std::string other = ::testing::TempDir() + "hasync-wrong-psk.key";
  std::FILE* f = std::fopen(other.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n", f);
  std::fclose(f);
  StartNode2(WithPsk(2, 100, TestCert("psk.key")));
  IntruderDials(WithPsk(1, 200, other), &LinkCounters::handshakes_failed);
  std::remove(other.c_str());
}

TEST_F(TlsLinkTest, InsecureNodeCannotJoinATlsNode) {
  StartNode2(Certified(2, 100, "node2", "node1"));
  NodeDriver::Options plain = NodeOptions(1, 200);
  plain.link.tls.insecure = true;
  IntruderDials(plain, &LinkCounters::handshakes_failed);
}

TEST_F(TlsLinkTest, PlainClientSendingGarbageIsRefusedAndThePairIsUnaffected) {
  LogCapture log;
  StartNode2(Certified(2, 100, "node2", "node1"));
  // Alone, node 2 runs the handshake with it, which fails.
  auto garbage = [&] {
    auto client = std::make_shared<asio::ip::tcp::socket>(io_);
    client->connect(node2_->listen_endpoint());
    std::string bytes(4096, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7919 % 251);
    asio::write(*client, asio::buffer(bytes));
    return client;
  };
  auto first = garbage();
  std::string address = FormatEndpoint(first->local_endpoint());
  ASSERT_TRUE(Run([&] { return node2_->link_counters().handshakes_failed == 1; }, 5s));
  EXPECT_TRUE(log.Has({"warning sync: rejected peer " + address + ": TLS handshake failed: "}))
      << log.Text();

  StartNode1(Certified(1, 200, "node1", "node2"));
  ASSERT_TRUE(Run([&] { return node1_->node().status().peer.in_sync; }, 10s));
  for (int i = 0; i < 100; ++i) Write(*node1_, "k" + std::to_string(i), Durability::kReplicated);
  uint64_t digest = node2_->node().store().digest();
  uint64_t channels = node2_->node().counters().channels_up;
  // Paired, node 2 closes any other connection at once, before its handshake.
  auto second = garbage();
  ASSERT_TRUE(Run([&] { return testing::ClosedByPeer(*second); }, 5s));
  Run([] { return false; }, 300ms);
  EXPECT_EQ(node2_->link_counters().connections_busy, 1u);
  EXPECT_TRUE(node2_->node().status().peer.connected);
  EXPECT_EQ(node2_->node().counters().channels_up, channels);
  EXPECT_EQ(node2_->node().store().digest(), digest);
  Write(*node1_, "after", Durability::kReplicated);
}

TEST_F(TlsLinkTest, MissingFileOrMismatchedKeyFailsStartNamingTheFile) {
  NodeDriver::Options o = Certified(1, 200, "node1", "node2");
  o.link.tls.certificate = TestCert("missing.crt");
  NodeDriver missing(io_, o);
  Status status = missing.Start();
  EXPECT_EQ(status.code(), Code::kIo);
  EXPECT_NE(status.message().find(TestCert("missing.crt")), std::string::npos) << status.message();

  o = Certified(1, 200, "node1", "node2");
  o.link.tls.private_key = TestCert("node2.key");
  NodeDriver mismatched(io_, o);
  status = mismatched.Start();
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_NE(status.message().find("does not match certificate"), std::string::npos)
      << status.message();

  ReplicaOptions r;
  r.listen = "127.0.0.1:0";
  r.tls = {TestCert("node1.crt"), TestCert("missing.key"), TestCert("ca.crt"), "node2", "", false};
  Result<std::unique_ptr<Replica>> replica = Replica::Create(r);
  EXPECT_EQ(replica.status().code(), Code::kIo);
  EXPECT_NE(replica.status().message().find("missing.key"), std::string::npos)
      << replica.status().message();
}

TEST_F(TlsLinkTest, InsecureModeWarnsAtEveryStart) {
  LogCapture log;
  NodeDriver::Options o = NodeOptions(2, 100);
  o.link.tls.insecure = true;
  StartNode2(o);
  EXPECT_TRUE(log.Has(
      {"warning sync: insecure = true: the sync channel is neither authenticated "
       "nor encrypted; anyone who can reach " +
       FormatEndpoint(node2_->listen_endpoint()) + " can read and change the replicated state"}))
      << log.Text();
}

TEST_F(TlsLinkTest, NoSecurityModeIsRefusedAtStart) {
  NodeDriver node(io_, NodeOptions(1, 100));
  Status status = node.Start();
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "tls: no mode chosen: set certificate, private_key, ca and peer_name "
            "(scripts/hasync-certs makes a lab CA), or psk_file, or insecure = true for a "
            "dedicated link");
}

TEST_F(TlsLinkTest, RejectionByTheCoreNamesThePeersAddress) {
  LogCapture log;
  NodeDriver::Options o1 = NodeOptions(1, 200);
  NodeDriver::Options o2 = NodeOptions(2, 100);
  UseCertificates(o1, "node1", "node2");
  UseCertificates(o2, "node2", "node1");
  o1.core.cluster = "east";
  o2.core.cluster = "west";
  StartNode2(o2);
  StartNode1(o1);
  ASSERT_TRUE(Run(
      [&] {
        return node2_->node().counters().rejected_cluster >= 1 &&
               node1_->node().counters().rejected_cluster >= 1;
      },
      5s));
  EXPECT_TRUE(log.Has({"warning sync: rejected peer 127.0.0.1:", "cluster"})) << log.Text();
  EXPECT_TRUE(
      log.Has({"warning sync: rejected peer " + FormatEndpoint(node2_->listen_endpoint()) + ": ",
               "cluster"}))
      << log.Text();
}

TEST(TlsOptionsTest, ExactlyOneModeIsChosen) {
  auto check = [](TlsOptions tls) {
    ReplicaOptions o;
    o.tls = std::move(tls);
    return MakeDriverOptions(o).status();
  };
  Status none = check({});
  EXPECT_EQ(none.code(), Code::kInvalidArgument);
  EXPECT_EQ(none.message(),
            "tls: no mode chosen: set certificate, private_key, ca and peer_name "
            "(scripts/hasync-certs makes a lab CA), or psk_file, or insecure = true for a "
            "dedicated link");
  EXPECT_EQ(check({"n.crt", "n.key", "ca.crt", "", "", false}).message(),
            "tls: certificate mode needs peer_name as well (peer_name is the name the peer's "
            "certificate carries, e.g. \"node2\")");
  EXPECT_EQ(check({"n.crt", "", "", "", "", false}).message(),
            "tls: certificate mode needs private_key, ca, peer_name as well (peer_name is the "
            "name the peer's certificate carries, e.g. \"node2\")");
  EXPECT_EQ(check({"n.crt", "n.key", "ca.crt", "node2", "psk.key", false}).message(),
            "tls: both certificate keys and psk_file are set: choose one mode (certificates "
            "authenticate each node; a pre-shared key only the pair)");
  EXPECT_EQ(check({"", "", "", "", "psk.key", true}).code(), Code::kInvalidArgument);
  // Files are read at start, not here: validating a config does not need them.
  EXPECT_TRUE(check({"n.crt", "n.key", "ca.crt", "node2", "", false}).ok());
  EXPECT_TRUE(check({"", "", "", "", "psk.key", false}).ok());
  EXPECT_TRUE(check({"", "", "", "", "", true}).ok());
}

TEST(TlsOptionsTest, LimitsMustBePositive) {
  ReplicaOptions o;
  o.tls.insecure = true;
  ASSERT_TRUE(MakeDriverOptions(o).ok());
  EXPECT_EQ(MakeDriverOptions(o)->link.max_queue_bytes, 2 * o.max_unacked_bytes + (8u << 20));
  EXPECT_EQ(MakeDriverOptions(o)->link.psk_identity, "hasync:" + o.cluster);
  ReplicaOptions bad = o;
  bad.max_connections_per_second = 0;
  EXPECT_EQ(MakeDriverOptions(bad).status().code(), Code::kInvalidArgument);
  bad = o;
  bad.max_pending_handshakes = 0;
  EXPECT_EQ(MakeDriverOptions(bad).status().code(), Code::kInvalidArgument);
  bad = o;
  bad.handshake_timeout = 0ms;
  EXPECT_EQ(MakeDriverOptions(bad).status().code(), Code::kInvalidArgument);
  bad = o;
  bad.stall_timeout = 0ms;
  EXPECT_EQ(MakeDriverOptions(bad).status().message(), "stall_timeout: must be > 0");
}

}  // namespace
}  // namespace hasync::net
