#include "daemon/config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "core/config.h"
#include "daemon/daemon_test_certs.h"
#include "daemon/tls_mode.h"
#include "net/consumer_options.h"
#include "net/driver_options.h"
#include "replay/config.h"

namespace hasync::daemon {
namespace {

using namespace std::chrono_literals;

DaemonConfig Parse(std::string_view text) {
  Result<DaemonConfig> config = ParseConfig(text, "test.toml");
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? config.value() : DaemonConfig();
}

std::string ErrorOf(std::string_view text) {
  Result<DaemonConfig> config = ParseConfig(text, "test.toml");
  EXPECT_FALSE(config.ok());
  return config.status().message();
}

// The defaults plus a TLS mode: the smallest configuration Validate accepts.
DaemonConfig Insecure() {
  DaemonConfig c;
  c.node.tls.insecure = true;
  return c;
}

// The message Validate gives for the configuration in `text`.
std::string InvalidBecause(std::string_view text) {
  Status s = Validate(Parse(text));
  EXPECT_FALSE(s.ok()) << text;
  return s.message();
}

constexpr std::string_view kCertificateMode =
    "[tls]\ncertificate = \"/etc/hasync/tls/node1.crt\"\nprivate_key = "
    "\"/etc/hasync/tls/node1.key\"\nca = \"/etc/hasync/tls/ca.crt\"\npeer_name = \"node2\"\n";

using hasync::testing::DaemonTestCert;

TEST(ConfigTest, EmptyFileGivesDefaults) {
  DaemonConfig c = Parse("");
  EXPECT_EQ(c.node.node_id, 1);
  EXPECT_EQ(c.node.heartbeat_interval, 50ms);
  EXPECT_EQ(c.node.dead_after_missed, 3u);
  EXPECT_EQ(c.node.startup_wait, 500ms);
  EXPECT_EQ(c.control.socket, "/run/hasync/hasyncd.sock");
  EXPECT_EQ(c.control.mode, 0600u);
  EXPECT_EQ(c.control.owner, "");
  EXPECT_EQ(c.control.group, "");
  EXPECT_EQ(c.control.max_connections, 64u);
  EXPECT_EQ(c.control.tcp_listen, "");
  EXPECT_TRUE(c.control.allowed_clients.empty());
  EXPECT_EQ(c.node.max_connections_per_second, 20u);
  EXPECT_EQ(c.node.max_pending_handshakes, 8u);
  EXPECT_EQ(c.node.handshake_timeout, 2000ms);
  EXPECT_EQ(c.node.stall_timeout, 10000ms);
  EXPECT_FALSE(c.node.tls.insecure);
  // No default TLS mode: a node never runs unauthenticated because a section was forgotten.
  EXPECT_NE(Validate(c).message().find("[tls]: no mode chosen"), std::string::npos);
}

TEST(ConfigTest, EverySectionParses) {
  DaemonConfig c = Parse(R"(
[node]
id = 2
priority = 150
cluster = "edge-fw"
preempt = true
split_brain_rule = "longest-active"

[sync]
listen = "10.0.0.2:7400"
peer = "10.0.0.1:7400"
peer_id = 1
heartbeat_interval_ms = 100
dead_after_missed = 5
startup_wait_ms = 2000
replicate_timeout_ms = 300
bulk_rate = 50000
reconcile_rate = 20000
max_unacked_bytes = 33554432
bulk_after_reconcile = "always"
max_postponed_writes = 1000
postpone_timeout_ms = 750

[limits]
max_key_bytes = 256
max_value_bytes = 4096
max_tables = 8
max_connections_per_second = 5
max_pending_handshakes = 2
handshake_timeout_ms = 1500
stall_timeout_ms = 30000

[tls]
certificate = "/etc/hasync/tls/node2.crt"
private_key = "/etc/hasync/tls/node2.key"
ca = "/etc/hasync/tls/ca.crt"
peer_name = "node1"

[control]
socket = "/tmp/h.sock"
mode = 0o660
owner = "hasync"
group = 120
max_connections = 16
tcp_listen = "10.0.0.2:7410"
tls_certificate = "/etc/hasync/tls/control.crt"
tls_private_key = "/etc/hasync/tls/control.key"
tls_ca = "/etc/hasync/tls/admin-ca.crt"
allowed_clients = ["admin", "monitor"]

[notify]
notify_active = "/etc/hasync/up.sh"
notify_standby = ["/etc/hasync/down.sh", "--quiet"]
notify = ""
notify_split_brain = ["/etc/hasync/split.sh", "fw"]

[metrics]
listen = "127.0.0.1:9477"

[log]
level = "debug"
)");
  EXPECT_EQ(c.node.node_id, 2);
  EXPECT_EQ(c.node.priority, 150);
  EXPECT_EQ(c.node.cluster, "edge-fw");
  EXPECT_TRUE(c.node.preempt);
  EXPECT_EQ(c.node.listen, "10.0.0.2:7400");
  EXPECT_EQ(c.node.peer, "10.0.0.1:7400");
  EXPECT_EQ(c.node.peer_id, 1);
  EXPECT_EQ(c.node.heartbeat_interval, 100ms);
  EXPECT_EQ(c.node.dead_after_missed, 5u);
  EXPECT_EQ(c.node.startup_wait, 2000ms);
  EXPECT_EQ(c.node.replicate_timeout, 300ms);
  EXPECT_EQ(c.node.bulk_rate, 50000u);
  EXPECT_EQ(c.node.reconcile_rate, 20000u);
  EXPECT_EQ(c.node.max_unacked_bytes, 33554432u);
  EXPECT_EQ(c.node.split_brain_rule, SplitBrainRule::kLongestActiveFirst);
  EXPECT_TRUE(c.node.bulk_after_reconcile_always);
  EXPECT_EQ(c.node.max_postponed_writes, 1000u);
  EXPECT_EQ(c.node.postpone_timeout, 750ms);
  EXPECT_EQ(c.node.max_key_bytes, 256u);
  EXPECT_EQ(c.node.max_value_bytes, 4096u);
  EXPECT_EQ(c.node.max_tables, 8u);
  EXPECT_EQ(c.node.max_connections_per_second, 5u);
  EXPECT_EQ(c.node.max_pending_handshakes, 2u);
  EXPECT_EQ(c.node.handshake_timeout, 1500ms);
  EXPECT_EQ(c.node.stall_timeout, 30000ms);
  EXPECT_EQ(c.node.tls.certificate, "/etc/hasync/tls/node2.crt");
  EXPECT_EQ(c.node.tls.private_key, "/etc/hasync/tls/node2.key");
  EXPECT_EQ(c.node.tls.ca, "/etc/hasync/tls/ca.crt");
  EXPECT_EQ(c.node.tls.peer_name, "node1");
  EXPECT_EQ(c.control.socket, "/tmp/h.sock");
  EXPECT_EQ(c.control.mode, 0660u);
  EXPECT_EQ(c.control.owner, "hasync");
  EXPECT_EQ(c.control.group, "120");
  EXPECT_EQ(c.control.max_connections, 16u);
  EXPECT_EQ(c.control.tcp_listen, "10.0.0.2:7410");
  EXPECT_EQ(c.control.tls_certificate, "/etc/hasync/tls/control.crt");
  EXPECT_EQ(c.control.tls_private_key, "/etc/hasync/tls/control.key");
  EXPECT_EQ(c.control.tls_ca, "/etc/hasync/tls/admin-ca.crt");
  EXPECT_EQ(c.control.allowed_clients, (std::vector<std::string>{"admin", "monitor"}));
  EXPECT_EQ(c.notify.on_active, Command{"/etc/hasync/up.sh"});
  EXPECT_EQ(c.notify.on_standby, (Command{"/etc/hasync/down.sh", "--quiet"}));
  EXPECT_TRUE(c.notify.on_any.empty());
  EXPECT_EQ(c.notify.on_split_brain, (Command{"/etc/hasync/split.sh", "fw"}));
  EXPECT_EQ(c.metrics_listen, "127.0.0.1:9477");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).ToString();
}

TEST(ConfigTest, ReconciliationKeysDefaultToTheCoresDefaults) {
  DaemonConfig c = Parse("[tls]\ninsecure = true\n");
  Result<net::NodeDriver::Options> d = net::MakeDriverOptions(c.node);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  core::CoreConfig defaults;
  EXPECT_EQ(d->core.split_brain_rule, defaults.split_brain_rule);
  EXPECT_EQ(d->core.bulk_after_reconcile_always, defaults.bulk_after_reconcile_always);
  EXPECT_EQ(d->core.max_postponed_writes, defaults.max_postponed_writes);
  EXPECT_EQ(d->core.postpone_timeout, defaults.postpone_timeout);
  EXPECT_EQ(d->core.reconcile_rate, defaults.reconcile_rate);
  EXPECT_TRUE(c.notify.on_split_brain.empty());
}

TEST(ConfigTest, ReconciliationKeysReachTheCore) {
  DaemonConfig c = Parse(
      "[node]\nsplit_brain_rule = \"longest-active\"\n[sync]\nbulk_after_reconcile = "
      "\"always\"\nmax_postponed_writes = 7\npostpone_timeout_ms = 1500\n[tls]\ninsecure = "
      "true\n");
  Result<net::NodeDriver::Options> d = net::MakeDriverOptions(c.node);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->core.split_brain_rule, SplitBrainRule::kLongestActiveFirst);
  EXPECT_TRUE(d->core.bulk_after_reconcile_always);
  EXPECT_EQ(d->core.max_postponed_writes, 7u);
  EXPECT_EQ(d->core.postpone_timeout, 1500ms);
  c = Parse("[sync]\nreconcile_rate = 300\n[tls]\ninsecure = true\n");
  EXPECT_EQ(net::MakeDriverOptions(c.node)->core.reconcile_rate, 300u);
  c = Parse(
      "[node]\nsplit_brain_rule = \"priority\"\n[sync]\nbulk_after_reconcile = "
      "\"if-changed\"\n");
  EXPECT_EQ(c.node.split_brain_rule, SplitBrainRule::kPriorityFirst);
  EXPECT_FALSE(c.node.bulk_after_reconcile_always);
}

TEST(ConfigTest, BadReconciliationValuesNameKeyAndLine) {
  std::string error = ErrorOf("[node]\nid = 1\nsplit_brain_rule = \"oldest\"\n");
  EXPECT_EQ(error.rfind("test.toml:3:", 0), 0u) << error;
  EXPECT_NE(error.find("node.split_brain_rule: must be \"priority\" or \"longest-active\""),
            std::string::npos)
      << error;
  EXPECT_NE(ErrorOf("[node]\nsplit_brain_rule = 1\n").find("node.split_brain_rule: must be"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[node]\nsplit_brain_rule = \"Priority\"\n").find("must be"), std::string::npos)
      << "names are exact";
  error = ErrorOf("[sync]\n\nbulk_after_reconcile = \"sometimes\"\n");
  EXPECT_EQ(error.rfind("test.toml:3:", 0), 0u) << error;
  EXPECT_NE(error.find("sync.bulk_after_reconcile: must be \"if-changed\" or \"always\""),
            std::string::npos)
      << error;
  EXPECT_NE(ErrorOf("[sync]\nbulk_after_reconcile = true\n").find("must be"), std::string::npos);
  EXPECT_NE(ErrorOf("[sync]\nmax_postponed_writes = 0\n").find("must be 1..16777216"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[sync]\nmax_postponed_writes = 16777217\n").find("must be 1..16777216"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[sync]\npostpone_timeout_ms = 0\n").find("sync.postpone_timeout_ms: must be"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[sync]\npostpone_timeout_ms = \"5s\"\n").find("expected an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[node]\nmax_postponed_writes = 5\n").find("unknown key"), std::string::npos)
      << "postponed writes are a [sync] setting";
  EXPECT_NE(ErrorOf("[notify]\nnotify_split_brain = 3\n").find("notify.notify_split_brain"),
            std::string::npos);
}

TEST(ConfigTest, ValidateRejectsBadReconciliationOptions) {
  DaemonConfig c = Insecure();
  c.node.max_postponed_writes = 0;
  EXPECT_NE(Validate(c).message().find("max_postponed_writes"), std::string::npos);
  c = Insecure();
  c.node.postpone_timeout = 0ms;
  EXPECT_NE(Validate(c).message().find("postpone_timeout"), std::string::npos);
  c = Insecure();
  c.node.split_brain_rule = static_cast<SplitBrainRule>(7);
  EXPECT_NE(Validate(c).message().find("split_brain_rule"), std::string::npos);
}

TEST(ConfigTest, NoConsumersSectionNoConsumerPort) {
  DaemonConfig c = Parse("[tls]\ninsecure = true\n");
  EXPECT_EQ(c.node.consumers.listen, "");
  EXPECT_TRUE(Validate(c).ok());
}

TEST(ConfigTest, ConsumersSectionTurnsThePortOnAtLoopback) {
  DaemonConfig c = Parse("[tls]\ninsecure = true\n[consumers]\n");
  EXPECT_EQ(c.node.consumers.listen, "127.0.0.1:7402");
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).ToString();
  // The publisher's own defaults, untouched by the section.
  Result<net::ConsumerServer::Options> o = net::MakeConsumerOptions(c.node);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  replay::PublisherConfig defaults;
  EXPECT_EQ(o->listen.port(), 7402);
  EXPECT_EQ(o->publisher.ack_mode, wire::AckMode::kForwarded);
  EXPECT_EQ(o->publisher.ack_interval, defaults.ack_interval);
  EXPECT_EQ(o->publisher.consumer_timeout, defaults.consumer_timeout);
  EXPECT_EQ(o->publisher.max_pending_ops, defaults.max_pending_ops);
  EXPECT_EQ(o->publisher.policy.keys_max, defaults.policy.keys_max);
  EXPECT_EQ(o->publisher.policy.full_after_ops, defaults.policy.full_after_ops);
  EXPECT_EQ(o->publisher.policy.full_after_sections, defaults.policy.full_after_sections);
  EXPECT_EQ(o->publisher.window_bytes, defaults.window_bytes);
  EXPECT_EQ(o->publisher.max_concurrent_replays, defaults.max_concurrent_replays);
  EXPECT_EQ(o->publisher.replay_slice_records, defaults.replay_slice_records);
  // An empty listen keeps the port off, section or not.
  EXPECT_EQ(Parse("[consumers]\nlisten = \"\"\n").node.consumers.listen, "");
}

TEST(ConfigTest, ConsumerKeysReachThePublisher) {
  DaemonConfig c = Parse(
      "[tls]\ninsecure = true\n[consumers]\nlisten = "
      "\"10.0.0.1:7500\"\nack_mode = \"direct\"\nack_interval_ms = 25\ntimeout_s = 90\n"
      "max_channels = 12\nmax_connections = 13\nmax_connections_per_second = 14\n"
      "max_pending_ops = 100000\nreplay_keys_max = 0\nfull_replay_ops = 500\n"
      "full_replay_sections = 64\nwindow_bytes = 65536\nmax_concurrent_replays = 3\n"
      "replay_slice_records = 100\n");
  ASSERT_TRUE(Validate(c).ok()) << Validate(c).ToString();
  Result<net::ConsumerServer::Options> o = net::MakeConsumerOptions(c.node);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ(FormatEndpoint(o->listen), "10.0.0.1:7500");
  EXPECT_EQ(o->max_connections_per_second, 14u);
  const replay::PublisherConfig& p = o->publisher;
  EXPECT_EQ(p.ack_mode, wire::AckMode::kDirect);
  EXPECT_EQ(p.ack_interval, 25ms);
  EXPECT_EQ(p.consumer_timeout, 90s);
  EXPECT_EQ(p.max_channels, 12u);
  EXPECT_EQ(p.max_connections, 13u);
  EXPECT_EQ(p.max_pending_ops, 100000u);
  EXPECT_EQ(p.policy.keys_max, 0u);
  EXPECT_EQ(p.policy.full_after_ops, 500u);
  EXPECT_EQ(p.policy.full_after_sections, 64u);
  EXPECT_EQ(p.window_bytes, 65536u);
  EXPECT_EQ(p.max_concurrent_replays, 3u);
  EXPECT_EQ(p.replay_slice_records, 100u);
}

TEST(ConfigTest, BadConsumerValuesNameKeyAndLine) {
  std::string error = ErrorOf("[consumers]\n\nack_mode = \"both\"\n");
  EXPECT_EQ(error.rfind("test.toml:3:", 0), 0u) << error;
  EXPECT_NE(error.find("consumers.ack_mode: must be \"forwarded\" or \"direct\""),
            std::string::npos)
      << error;
  EXPECT_NE(ErrorOf("[consumers]\nmax_pending_ops = 100001\n").find("must be 1..100000"),
            std::string::npos)
      << "a channel's state must fit one frame";
  EXPECT_NE(ErrorOf("[consumers]\nfull_replay_sections = 0\n").find("must be 1..64"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[consumers]\nfull_replay_sections = 65\n").find("must be 1..64"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[consumers]\ntimeout_s = 0\n").find("consumers.timeout_s: must be"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[consumers]\nwindow_bytes = 1024\n").find("consumers.window_bytes"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[consumers]\nlisten = 7402\n").find("expected a string"), std::string::npos);
  EXPECT_NE(ErrorOf("[consumers]\ntimeout = 5\n").find("unknown key 'timeout' in [consumers]"),
            std::string::npos);
}

TEST(ConfigTest, ValidateNamesABadConsumerAddressInTheFilesTerms) {
  std::string error =
      InvalidBecause("[tls]\ninsecure = true\n[consumers]\nlisten = \"localhost\"\n");
  EXPECT_EQ(error.rfind("[consumers] listen: ", 0), 0u) << error;
  // The embedding API checks the same ranges, in its own names.
  ReplicaOptions o;
  o.tls.insecure = true;
  o.consumers.full_replay_sections = 65;
  EXPECT_EQ(net::MakeDriverOptions(o).status().message(),
            "consumers.full_replay_sections: must be 1..64");
  o.consumers.full_replay_sections = 64;
  o.consumers.ack_interval = -1ms;
  EXPECT_NE(net::MakeDriverOptions(o).status().message().find("consumers.ack_interval"),
            std::string::npos);
}

TEST(ConfigTest, FlagsOverrideTheFile) {
  DaemonConfig c = Parse("[node]\nid = 1\npriority = 10\n[sync]\npeer = \"10.0.0.2:7400\"\n");
  Overrides o;
  o.node_id = 3;
  o.priority = 250;
  o.peer = "127.0.0.1:7402";
  o.listen = "127.0.0.1:7401";
  o.control = "/tmp/x.sock";
  o.bulk_rate = 1000;
  o.reconcile_rate = 500;
  o.preempt = true;
  ApplyOverrides(o, &c);
  EXPECT_EQ(c.node.node_id, 3);
  EXPECT_EQ(c.node.priority, 250);
  EXPECT_EQ(c.node.peer, "127.0.0.1:7402");
  EXPECT_EQ(c.node.listen, "127.0.0.1:7401");
  EXPECT_EQ(c.control.socket, "/tmp/x.sock");
  EXPECT_EQ(c.node.bulk_rate, 1000u);
  EXPECT_EQ(c.node.reconcile_rate, 500u);
  EXPECT_TRUE(c.node.preempt);
  EXPECT_EQ(c.node.cluster, "hasync") << "keys without a flag keep the file's value";
}

TEST(ConfigTest, SyntaxErrorNamesFileAndLine) {
  std::string error = ErrorOf("[node]\nid = 1\npriority = = 3\n");
  EXPECT_EQ(error.rfind("test.toml:3:", 0), 0u) << error;
}

TEST(ConfigTest, UnknownKeyNamesItsLine) {
  std::string error = ErrorOf("[node]\nid = 1\n\nprempt = true\n");
  EXPECT_EQ(error.rfind("test.toml:4:", 0), 0u) << error;
  EXPECT_NE(error.find("unknown key 'prempt' in [node]"), std::string::npos) << error;
}

TEST(ConfigTest, UnknownSectionIsAnError) {
  std::string error = ErrorOf("[nodes]\nid = 1\n");
  EXPECT_EQ(error.rfind("test.toml:1:", 0), 0u) << error;
  EXPECT_NE(error.find("unknown section [nodes]"), std::string::npos) << error;
}

TEST(ConfigTest, TopLevelKeyIsAnError) {
  EXPECT_NE(ErrorOf("id = 1\n").find("unknown section"), std::string::npos);
}

TEST(ConfigTest, WrongTypeNamesKeyAndLine) {
  std::string error = ErrorOf("[sync]\n\nheartbeat_interval_ms = \"50\"\n");
  EXPECT_EQ(error.rfind("test.toml:3:", 0), 0u) << error;
  EXPECT_NE(error.find("sync.heartbeat_interval_ms: expected an integer"), std::string::npos)
      << error;
}

TEST(ConfigTest, OutOfRangeIsAnError) {
  EXPECT_NE(ErrorOf("[node]\npriority = 256\n").find("must be 0..255"), std::string::npos);
  EXPECT_NE(ErrorOf("[node]\nid = 0\n").find("must be 1..65535"), std::string::npos);
  EXPECT_NE(ErrorOf("[sync]\ndead_after_missed = 0\n").find("must be 1..1000"), std::string::npos);
}

TEST(ConfigTest, NotifyArrayMustHoldStrings) {
  EXPECT_NE(ErrorOf("[notify]\nnotify = [\"/bin/x\", 3]\n").find("every element must be a string"),
            std::string::npos);
}

TEST(ConfigTest, ValidateRejectsBadAddresses) {
  DaemonConfig c = Insecure();
  c.node.peer = "peer.example:7400";
  EXPECT_NE(Validate(c).message().find("peer:"), std::string::npos) << Validate(c).message();
  c = Insecure();
  c.node.listen = "10.0.0.1";
  EXPECT_NE(Validate(c).message().find("listen:"), std::string::npos);
  c = Insecure();
  c.metrics_listen = "nope";
  EXPECT_FALSE(Validate(c).ok());
  c = Insecure();
  c.node.peer = "[fd00::2]:7400";
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).ToString();
}

TEST(ConfigTest, ValidateRejectsSamePeerIdAndBadLogLevel) {
  DaemonConfig c = Insecure();
  c.node.node_id = 2;
  c.node.peer_id = 2;
  EXPECT_NE(Validate(c).message().find("peer_id"), std::string::npos);
  c = Insecure();
  c.log_level = "verbose";
  EXPECT_FALSE(Validate(c).ok());
}

TEST(ConfigTest, MissingFileIsAnIoError) {
  Result<DaemonConfig> c = LoadConfigFile("/nonexistent/hasyncd.toml");
  EXPECT_EQ(c.status().code(), Code::kIo);
  EXPECT_NE(c.status().message().find("/nonexistent/hasyncd.toml"), std::string::npos);
}

TEST(ConfigTest, PoolsParseWithTheirDefaults) {
  DaemonConfig c = Parse(R"(
[node]
id = 1

[[pool]]
name = "lan"
ranges = ["10.0.0.0/24", "10.0.1.10-10.0.1.50", "10.0.2.1"]
exclude = ["10.0.0.0", "10.0.0.255"]
lease_time_s = 7200
grace_s = 300
share = "halves"
durability = "async"

[[pool]]
name = "v6"
ranges = ["2001:db8::/120"]
)");
  ASSERT_EQ(c.pools.size(), 2u);
  const PoolOptions& lan = c.pools[0];
  EXPECT_EQ(lan.name, "lan");
  EXPECT_EQ(lan.ranges,
            (std::vector<std::string>{"10.0.0.0/24", "10.0.1.10-10.0.1.50", "10.0.2.1"}));
  EXPECT_EQ(lan.exclude, (std::vector<std::string>{"10.0.0.0", "10.0.0.255"}));
  EXPECT_EQ(lan.lease_time, 7200s);
  EXPECT_EQ(lan.grace, 300s);
  EXPECT_EQ(lan.share, ShareRule::kHalves);
  EXPECT_EQ(lan.durability, Durability::kAsync);
  const PoolOptions& v6 = c.pools[1];
  EXPECT_EQ(v6.name, "v6");
  EXPECT_TRUE(v6.exclude.empty());
  EXPECT_EQ(v6.lease_time, 3600s);
  EXPECT_EQ(v6.grace, 600s);
  EXPECT_EQ(v6.share, ShareRule::kOddEven);
  EXPECT_EQ(v6.durability, Durability::kReplicated);
  c.node.tls.insecure = true;
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).ToString();
  EXPECT_TRUE(Parse("").pools.empty());
}

TEST(ConfigTest, BadPoolEntryNamesThePoolAndTheEntry) {
  std::string error = ErrorOf(
      "[[pool]]\nname = \"lan\"\nranges = [\"10.0.0.0/24\"]\n\n[[pool]]\nname = \"dmz\"\n"
      "ranges = [\"10.0.1.0/24\", \"10.0.2.1/24\"]\n");
  EXPECT_NE(error.find("test.toml:5:"), std::string::npos) << error;
  EXPECT_NE(error.find("pool dmz"), std::string::npos) << error;
  EXPECT_NE(error.find("'10.0.2.1/24'"), std::string::npos) << error;
  error = ErrorOf("[[pool]]\nname = \"lan\"\nranges = [\"10.0.0.0/24\", \"10.0.0.128/25\"]\n");
  EXPECT_NE(error.find("overlap"), std::string::npos) << error;
  error = ErrorOf("[[pool]]\nname = \"lan\"\nranges = [\"10.0.0.1\"]\nexclude = [\"10.0.0.1\"]\n");
  EXPECT_NE(error.find("pool lan"), std::string::npos) << error;
  error = ErrorOf("[[pool]]\nname = \"lan\"\nranges = [\"10.0.0.0/24\"]\nexclude = [\"::1\"]\n");
  EXPECT_NE(error.find("one family"), std::string::npos) << error;
  error = ErrorOf("[[pool]]\nname = \"lan\"\nranges = []\n");
  EXPECT_NE(error.find("pool lan"), std::string::npos) << error;
  error = ErrorOf("[[pool]]\nname = \"a b\"\nranges = [\"10.0.0.1\"]\n");
  EXPECT_NE(error.find("pool name \"a b\""), std::string::npos) << error;
}

TEST(ConfigTest, PoolKeysAreCheckedLikeEveryOther) {
  const std::string head = "[[pool]]\nname = \"lan\"\nranges = [\"10.0.0.0/24\"]\n";
  struct Case {
    std::string line;
    std::string error;
  };
  for (const Case& c : {
           Case{"leases = 3\n", "test.toml:4:1: unknown key 'leases' in [[pool]]"},
           Case{"lease_time_s = 0\n", "test.toml:4:16: pool.lease_time_s: must be 1.."},
           Case{"grace_s = \"10m\"\n", "pool.grace_s: expected an integer"},
           Case{"grace_s = 31622401\n", "pool.grace_s: must be 1..31622400"},
           Case{"share = \"thirds\"\n", R"(pool.share: must be "odd-even" or "halves")"},
           Case{"durability = \"sync\"\n", R"(pool.durability: must be "replicated" or "async")"},
           Case{"exclude = \"10.0.0.1\"\n", "pool.exclude: expected an array of strings"},
           Case{"exclude = [1]\n", "pool.exclude: every element must be a string"},
       }) {
    EXPECT_NE(ErrorOf(head + c.line).find(c.error), std::string::npos)
        << c.line << ": " << ErrorOf(head + c.line);
  }
  EXPECT_NE(ErrorOf("[[pool]]\nranges = [\"10.0.0.0/24\"]\n")
                .find("test.toml:1:1: [[pool]] without a name"),
            std::string::npos)
      << ErrorOf("[[pool]]\nranges = [\"10.0.0.0/24\"]\n");
  EXPECT_NE(ErrorOf("[[pool]]\nname = \"lan\"\n").find("pool lan: no ranges"), std::string::npos);
  EXPECT_NE(ErrorOf("[[pool]]\nname = \"lan\"\nranges = \"10.0.0.0/24\"\n")
                .find("pool.ranges: expected an array of strings"),
            std::string::npos);
  // A single [pool] table is not the array of tables a pool list is.
  EXPECT_NE(ErrorOf("[pool]\nname = \"lan\"\n").find("write each pool as a [[pool]] table"),
            std::string::npos);
  EXPECT_NE(ErrorOf("pool = 3\n").find("[[pool]]"), std::string::npos);
  EXPECT_NE(ErrorOf(head + head).find("two pools are called lan"), std::string::npos);
}

TEST(ConfigTest, ValidateLeavesRoomForLeaseRecords) {
  const std::string pool =
      "[tls]\ninsecure = true\n[[pool]]\nname = \"lan\"\nranges = [\"10.0.0.0/24\"]\n";
  EXPECT_NE(InvalidBecause(pool + "[limits]\nmax_value_bytes = 100\n")
                .find("max_value_bytes: at least 273"),
            std::string::npos);
  EXPECT_NE(
      InvalidBecause(pool + "[limits]\nmax_key_bytes = 16\n").find("max_key_bytes: at least 39"),
      std::string::npos);
  EXPECT_NE(InvalidBecause(pool + "[[pool]]\nname = \"wan\"\nranges = [\"10.0.1.0/24\"]\n"
                                  "[limits]\nmax_tables = 1\n")
                .find("max_tables: 1 is fewer than the 2 pools"),
            std::string::npos);
  // Without pools the same limits are fine.
  EXPECT_TRUE(Validate(Parse("[tls]\ninsecure = true\n[limits]\nmax_value_bytes = 100\n")).ok());
}

TEST(ConfigTest, ShippedExampleConfigIsValid) {
  // CMake compiles tests by absolute path, so this file's path leads to the source tree.
  std::string here = __FILE__;
  std::string root = here.substr(0, here.rfind("tests/daemon/"));
  Result<DaemonConfig> c = LoadConfigFile(root + "etc/hasyncd.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(Validate(c.value()).ok()) << Validate(c.value()).ToString();
  // TLS is on in the shipped file: certificates, the peer named.
  EXPECT_EQ(ModeOf(c->node.tls), TlsMode::kCertificate);
  EXPECT_EQ(c->node.tls.peer_name, "node2");
}

TEST(ConfigTest, ShippedPoolExampleIsValid) {
  // The commented [[pool]] at the end of etc/hasyncd.toml, uncommented ("# # why" stays a
  // comment), must parse and validate as it stands.
  std::string here = __FILE__;
  std::ifstream file(here.substr(0, here.rfind("tests/daemon/")) + "etc/hasyncd.toml");
  std::stringstream text;
  text << file.rdbuf();
  size_t at = text.str().find("\n# [[pool]]\n");
  ASSERT_NE(at, std::string::npos);
  std::string example = "[tls]\ninsecure = true\n";
  std::istringstream lines(text.str().substr(at + 1));
  for (std::string line; std::getline(lines, line);) {
    example += (line.starts_with("# ") ? line.substr(2) : line) + "\n";
  }
  DaemonConfig c = Parse(example);
  ASSERT_EQ(c.pools.size(), 1u) << example;
  EXPECT_EQ(c.pools[0].name, "lan");
  EXPECT_EQ(c.pools[0].exclude.size(), 3u);
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).ToString();
}

TEST(ConfigTest, ShippedConsumersExampleIsValid) {
  // The commented [consumers] of etc/hasyncd.toml, uncommented up to the blank line after it,
  // must parse and validate as it stands, and say the defaults.
  std::string here = __FILE__;
  std::ifstream file(here.substr(0, here.rfind("tests/daemon/")) + "etc/hasyncd.toml");
  std::stringstream text;
  text << file.rdbuf();
  size_t at = text.str().find("\n# [consumers]\n");
  ASSERT_NE(at, std::string::npos);
  std::string example = "[tls]\ninsecure = true\n";
  std::istringstream lines(text.str().substr(at + 1));
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    example += line.substr(2) + "\n";
  }
  DaemonConfig c = Parse(example);
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).ToString();
  ConsumerPortOptions defaults;
  defaults.listen = kDefaultConsumerListen;
  EXPECT_EQ(c.node.consumers.listen, defaults.listen);
  EXPECT_EQ(c.node.consumers.ack_interval, defaults.ack_interval);
  EXPECT_EQ(c.node.consumers.timeout, defaults.timeout);
  EXPECT_EQ(c.node.consumers.max_connections_per_second, defaults.max_connections_per_second);
  EXPECT_EQ(c.node.consumers.max_pending_ops, defaults.max_pending_ops);
  EXPECT_EQ(c.node.consumers.full_replay_sections, defaults.full_replay_sections);
  EXPECT_EQ(c.node.consumers.window_bytes, defaults.window_bytes);
  EXPECT_EQ(c.node.consumers.max_concurrent_replays, defaults.max_concurrent_replays);
}

TEST(ConfigTest, EachTlsModeParsesAndValidates) {
  DaemonConfig c = Parse(kCertificateMode);
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).ToString();
  EXPECT_EQ(DescribeSyncChannel(c.node.tls), "TLS 1.3 (certificate, peer 'node2')");
  c = Parse("[tls]\npsk_file = \"/etc/hasync/tls/psk.key\"\n");
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).ToString();
  EXPECT_EQ(ModeOf(c.node.tls), TlsMode::kPsk);
  c = Parse("[tls]\ninsecure = true\n");
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).ToString();
  EXPECT_EQ(ModeOf(c.node.tls), TlsMode::kInsecure);
  EXPECT_EQ(net::MakeDriverOptions(c.node)->link.tls.insecure, true);
}

TEST(ConfigTest, NoTlsModeSaysWhatToSet) {
  std::string error = InvalidBecause("[node]\nid = 1\n");
  EXPECT_EQ(error,
            "[tls]: no mode chosen: set certificate, private_key, ca and peer_name "
            "(scripts/hasync-certs makes a lab CA), or psk_file, or insecure = true for a "
            "dedicated link");
  EXPECT_NE(InvalidBecause("[tls]\ninsecure = false\n").find("no mode chosen"), std::string::npos);
}

TEST(ConfigTest, IncompleteOrMixedTlsModesAreErrors) {
  std::string error = InvalidBecause("[tls]\ncertificate = \"a.crt\"\nca = \"ca.crt\"\n");
  EXPECT_NE(error.find("[tls]: certificate mode needs private_key, peer_name as well"),
            std::string::npos)
      << error;
  error = InvalidBecause(std::string(kCertificateMode) + "psk_file = \"psk.key\"\n");
  EXPECT_NE(error.find("choose one mode"), std::string::npos) << error;
  error = InvalidBecause("[tls]\npsk_file = \"psk.key\"\ninsecure = true\n");
  EXPECT_NE(error.find("insecure = true turns TLS off"), std::string::npos) << error;
  EXPECT_NE(ErrorOf("[tls]\ninsecure = 1\n").find("tls.insecure: expected true or false"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[tls]\nverify = false\n").find("unknown key 'verify' in [tls]"),
            std::string::npos);
}

TEST(ConfigTest, LimitsReachTheSyncLink) {
  DaemonConfig c = Parse(
      "[tls]\ninsecure = true\n[limits]\nmax_connections_per_second = 3\n"
      "max_pending_handshakes = 4\nhandshake_timeout_ms = 500\nstall_timeout_ms = 2500\n");
  Result<net::NodeDriver::Options> d = net::MakeDriverOptions(c.node);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->link.max_connections_per_second, 3u);
  EXPECT_EQ(d->link.max_pending_handshakes, 4u);
  EXPECT_EQ(d->link.handshake_timeout, 500ms);
  EXPECT_EQ(d->link.stall_timeout, 2500ms);
  EXPECT_NE(ErrorOf("[limits]\nmax_connections_per_second = 0\n").find("must be 1..100000"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[limits]\nmax_pending_handshakes = 0\n").find("must be 1..1024"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[limits]\nhandshake_timeout_ms = 0\n").find("limits.handshake_timeout_ms"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[limits]\nstall_timeout_ms = \"10s\"\n").find("expected an integer"),
            std::string::npos);
}

TEST(ConfigTest, ControlOwnerIsANameOrAnId) {
  DaemonConfig c = Parse("[control]\nowner = 0\ngroup = \"adm\"\n");
  EXPECT_EQ(c.control.owner, "0");
  EXPECT_EQ(c.control.group, "adm");
  EXPECT_NE(ErrorOf("[control]\nowner = -1\n").find("control.owner"), std::string::npos);
  EXPECT_NE(ErrorOf("[control]\ngroup = \"\"\n").find("must not be empty"), std::string::npos);
  EXPECT_NE(ErrorOf("[control]\nowner = true\n").find("a name or a numeric id"), std::string::npos);
  EXPECT_NE(ErrorOf("[control]\nmax_connections = 0\n").find("must be 1..65536"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[control]\nallowed_clients = \"admin\"\n").find("an array of names"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[control]\nallowed_clients = [\"admin\", \"\"]\n").find("non-empty"),
            std::string::npos);
}

TEST(ConfigTest, TcpControlEndpointExistsOnlyWithCertificates) {
  std::string error =
      InvalidBecause("[tls]\ninsecure = true\n[control]\ntcp_listen = \"127.0.0.1:7410\"\n");
  EXPECT_NE(error.find("[control] tcp_listen: the TCP control endpoint exists only with TLS and "
                       "client certificates"),
            std::string::npos)
      << error;
  error = InvalidBecause(
      "[tls]\npsk_file = \"psk.key\"\n[control]\ntcp_listen = \"127.0.0.1:7410\"\n"
      "tls_certificate = \"c.crt\"\ntls_ca = \"ca.crt\"\n");
  EXPECT_NE(error.find("set tls_certificate, tls_private_key and tls_ca"), std::string::npos);
  EXPECT_NE(
      InvalidBecause(std::string(kCertificateMode) + "[control]\ntcp_listen = \"localhost:7410\"\n")
          .find("[control] tcp_listen:"),
      std::string::npos)
      << "numeric addresses only";
}

TEST(ConfigTest, TcpControlEndpointDefaultsToTheNodesCertificate) {
  DaemonConfig c =
      Parse(std::string(kCertificateMode) + "[control]\ntcp_listen = \"127.0.0.1:7410\"\n");
  ASSERT_TRUE(Validate(c).ok()) << Validate(c).ToString();
  Result<ControlOptions> o = MakeControlOptions(c);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->tls_certificate, "/etc/hasync/tls/node1.crt");
  EXPECT_EQ(o->tls_private_key, "/etc/hasync/tls/node1.key");
  EXPECT_EQ(o->tls_ca, "/etc/hasync/tls/ca.crt");
  // Its own files win, each one separately; with psk or insecure sync they are required.
  c = Parse(std::string(kCertificateMode) +
            "[control]\ntcp_listen = \"127.0.0.1:7410\"\ntls_ca = \"/etc/hasync/admins.crt\"\n");
  EXPECT_EQ(MakeControlOptions(c)->tls_ca, "/etc/hasync/admins.crt");
  EXPECT_EQ(MakeControlOptions(c)->tls_certificate, "/etc/hasync/tls/node1.crt");
  c = Parse(
      "[tls]\ninsecure = true\n[control]\ntcp_listen = \"127.0.0.1:7410\"\n"
      "tls_certificate = \"c.crt\"\ntls_private_key = \"c.key\"\ntls_ca = \"ca.crt\"\n");
  EXPECT_TRUE(Validate(c).ok()) << Validate(c).ToString();
  // Without tcp_listen nothing is filled in: the unix socket needs no certificate.
  c = Parse(kCertificateMode);
  EXPECT_EQ(MakeControlOptions(c)->tls_certificate, "");
}

TEST(ConfigTest, CheckFilesLoadsWhatTheConfigurationNames) {
  auto config = [](std::string_view certificate, std::string_view key) {
    return fmt::format(
        "[tls]\ncertificate = \"{}\"\nprivate_key = \"{}\"\nca = \"{}\"\npeer_name = "
        "\"node2\"\n[control]\ntcp_listen = \"127.0.0.1:0\"\n",
        certificate, key, DaemonTestCert("ca.crt"));
  };
  DaemonConfig c = Parse(config(DaemonTestCert("node1.crt"), DaemonTestCert("node1.key")));
  EXPECT_TRUE(CheckFiles(c).ok()) << CheckFiles(c).ToString();
  c = Parse(config(DaemonTestCert("node9.crt"), DaemonTestCert("node1.key")));
  std::string error = CheckFiles(c).message();
  EXPECT_NE(error.find("[tls]: "), std::string::npos) << error;
  EXPECT_NE(error.find("node9.crt"), std::string::npos) << error;
  c = Parse(config(DaemonTestCert("node1.crt"), DaemonTestCert("node2.key")));
  error = CheckFiles(c).message();
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;
  // The TCP endpoint's own files are loaded too.
  c = Parse(config(DaemonTestCert("node1.crt"), DaemonTestCert("node1.key")) +
            "tls_private_key = \"" + DaemonTestCert("admin.key") + "\"\n");
  error = CheckFiles(c).message();
  EXPECT_NE(error.find("[control] tcp_listen: "), std::string::npos) << error;
  c = Parse("[tls]\ninsecure = true\n[control]\nowner = \"no-such-user-hasync\"\n");
  error = CheckFiles(c).message();
  EXPECT_NE(error.find("no user named 'no-such-user-hasync'"), std::string::npos) << error;
  c = Parse("[tls]\npsk_file = \"/nonexistent/psk.key\"\n");
  EXPECT_NE(CheckFiles(c).message().find("/nonexistent/psk.key"), std::string::npos);
}

}  // namespace
}  // namespace hasync::daemon
