#include "daemon/config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/endpoint.h"
#include "daemon/socket_owner.h"
#include "net/consumer_options.h"
#include "net/driver_options.h"
#include "net/link_security.h"
#include "pool/lease.h"
#include "pool/pool.h"
#include "tls/context.h"

namespace hasync::daemon {

namespace {

template <typename T>
Status Int(const toml::node& n, int64_t min, int64_t max, T* out) {
  std::optional<int64_t> v = n.value_exact<int64_t>();
  if (!v) return InvalidArgument("expected an integer");
  if (*v < min || *v > max) return InvalidArgument(fmt::format("must be {}..{}", min, max));
  *out = static_cast<T>(*v);
  return Status::Ok();
}

Status Millis(const toml::node& n, int64_t min, std::chrono::milliseconds* out) {
  int64_t ms = 0;
  Status s = Int(n, min, int64_t{24} * 3600 * 1000, &ms);
  if (s.ok()) *out = std::chrono::milliseconds(ms);
  return s;
}

// Whole seconds, 1..a day, kept as milliseconds.
Status SecondsAsMillis(const toml::node& n, std::chrono::milliseconds* out) {
  int64_t s = 0;
  Status set = Int(n, 1, 86400, &s);
  if (set.ok()) *out = std::chrono::seconds(s);
  return set;
}

Status Str(const toml::node& n, std::string* out) {
  std::optional<std::string> v = n.value_exact<std::string>();
  if (!v) return InvalidArgument("expected a string");
  *out = std::move(*v);
  return Status::Ok();
}

Status Bool(const toml::node& n, bool* out) {
  std::optional<bool> v = n.value_exact<bool>();
  if (!v) return InvalidArgument("expected true or false");
  *out = *v;
  return Status::Ok();
}

// One of a fixed set of names; `names` lists them for the error ("a" or "b").
template <typename T, size_t N>
Status Choice(const toml::node& n, const std::array<std::pair<std::string_view, T>, N>& choices,
              T* out) {
  std::optional<std::string> v = n.value_exact<std::string>();
  std::string names;
  for (size_t i = 0; i < N; ++i) {
    names += fmt::format("{}\"{}\"", i == 0 ? "" : (i + 1 == N ? " or " : ", "), choices[i].first);
  }
  if (v) {
    for (const auto& [name, value] : choices) {
      if (*v == name) {
        *out = value;
        return Status::Ok();
      }
    }
  }
  return InvalidArgument(fmt::format("must be {}", names));
}

constexpr std::array<std::pair<std::string_view, SplitBrainRule>, 2> kSplitBrainRules = {{
    {"priority", SplitBrainRule::kPriorityFirst},
    {"longest-active", SplitBrainRule::kLongestActiveFirst},
}};
constexpr std::array<std::pair<std::string_view, ConsumerAckMode>, 2> kAckModes = {{
    {"forwarded", ConsumerAckMode::kForwarded},
    {"direct", ConsumerAckMode::kDirect},
}};
constexpr std::array<std::pair<std::string_view, bool>, 2> kBulkAfterReconcile = {{
    {"if-changed", false},
    {"always", true},
}};

// "/path/script" or ["/path/script", "first-arg", ...]; "" disables.
Status Cmd(const toml::node& n, Command* out) {
  out->clear();
  if (std::optional<std::string> path = n.value_exact<std::string>()) {
    if (!path->empty()) out->push_back(std::move(*path));
    return Status::Ok();
  }
  const toml::array* array = n.as_array();
  if (array == nullptr) return InvalidArgument("expected a path or an array of strings");
  for (const toml::node& element : *array) {
    std::optional<std::string> arg = element.value_exact<std::string>();
    if (!arg) return InvalidArgument("every element must be a string");
    out->push_back(std::move(*arg));
  }
  if (!out->empty() && (*out)[0].empty()) return InvalidArgument("the program path is empty");
  return Status::Ok();
}

// A user or group: a name, or a numeric id (written as an integer or a string of digits).
Status Account(const toml::node& n, std::string* out) {
  if (std::optional<int64_t> id = n.value_exact<int64_t>()) {
    if (*id < 0 || *id > UINT32_MAX - 1) return InvalidArgument("must be a name or an id >= 0");
    *out = std::to_string(*id);
    return Status::Ok();
  }
  Status s = Str(n, out);
  if (!s.ok()) return InvalidArgument("expected a name or a numeric id");
  if (out->empty()) return InvalidArgument("must not be empty (leave the key out instead)");
  return Status::Ok();
}

Status Names(const toml::node& n, std::vector<std::string>* out) {
  const toml::array* array = n.as_array();
  if (array == nullptr) return InvalidArgument("expected an array of names");
  out->clear();
  for (const toml::node& element : *array) {
    std::optional<std::string> name = element.value_exact<std::string>();
    if (!name || name->empty()) return InvalidArgument("every element must be a non-empty string");
    out->push_back(std::move(*name));
  }
  return Status::Ok();
}

using N = const toml::node&;  // short names keep the table below readable
using C = DaemonConfig*;
using Setter = Status (*)(N, C);
struct Key {
  std::string_view section;
  std::string_view name;
  Setter set;
};

// Every key hasyncd understands; etc/hasyncd.toml explains each one.
constexpr std::array kKeys = {
    Key{"node", "id", [](N n, C c) { return Int(n, 1, 65535, &c->node.node_id); }},
    Key{"node", "priority", [](N n, C c) { return Int(n, 0, 255, &c->node.priority); }},
    Key{"node", "cluster", [](N n, C c) { return Str(n, &c->node.cluster); }},
    Key{"node", "preempt", [](N n, C c) { return Bool(n, &c->node.preempt); }},
    Key{"node", "split_brain_rule",
        [](N n, C c) { return Choice(n, kSplitBrainRules, &c->node.split_brain_rule); }},
    Key{"sync", "listen", [](N n, C c) { return Str(n, &c->node.listen); }},
    Key{"sync", "peer", [](N n, C c) { return Str(n, &c->node.peer); }},
    Key{"sync", "peer_id", [](N n, C c) { return Int(n, 1, 65535, &c->node.peer_id); }},
    Key{"sync", "heartbeat_interval_ms",
        [](N n, C c) { return Millis(n, 1, &c->node.heartbeat_interval); }},
    Key{"sync", "dead_after_missed",
        [](N n, C c) { return Int(n, 1, 1000, &c->node.dead_after_missed); }},
    Key{"sync", "startup_wait_ms", [](N n, C c) { return Millis(n, 0, &c->node.startup_wait); }},
    Key{"sync", "replicate_timeout_ms",
        [](N n, C c) { return Millis(n, 1, &c->node.replicate_timeout); }},
    Key{"sync", "bulk_rate", [](N n, C c) { return Int(n, 0, INT64_MAX, &c->node.bulk_rate); }},
    Key{"sync", "reconcile_rate",
        [](N n, C c) { return Int(n, 0, INT64_MAX, &c->node.reconcile_rate); }},
    Key{"sync", "max_unacked_bytes",
        [](N n, C c) { return Int(n, 1 << 20, INT64_MAX, &c->node.max_unacked_bytes); }},
    Key{"sync", "bulk_after_reconcile",
        [](N n, C c) {
          return Choice(n, kBulkAfterReconcile, &c->node.bulk_after_reconcile_always);
        }},
    Key{"sync", "max_postponed_writes",
        [](N n, C c) { return Int(n, 1, 1 << 24, &c->node.max_postponed_writes); }},
    Key{"sync", "postpone_timeout_ms",
        [](N n, C c) { return Millis(n, 1, &c->node.postpone_timeout); }},
    Key{"limits", "max_key_bytes",
        [](N n, C c) { return Int(n, 1, 65535, &c->node.max_key_bytes); }},
    Key{"limits", "max_value_bytes",
        [](N n, C c) { return Int(n, 1, 16 << 20, &c->node.max_value_bytes); }},
    Key{"limits", "max_tables", [](N n, C c) { return Int(n, 1, 1 << 20, &c->node.max_tables); }},
    Key{"limits", "max_connections_per_second",
        [](N n, C c) { return Int(n, 1, 100000, &c->node.max_connections_per_second); }},
    Key{"limits", "max_pending_handshakes",
        [](N n, C c) { return Int(n, 1, 1024, &c->node.max_pending_handshakes); }},
    Key{"limits", "handshake_timeout_ms",
        [](N n, C c) { return Millis(n, 1, &c->node.handshake_timeout); }},
    Key{"limits", "stall_timeout_ms",
        [](N n, C c) { return Millis(n, 1, &c->node.stall_timeout); }},
    Key{"tls", "certificate", [](N n, C c) { return Str(n, &c->node.tls.certificate); }},
    Key{"tls", "private_key", [](N n, C c) { return Str(n, &c->node.tls.private_key); }},
    Key{"tls", "ca", [](N n, C c) { return Str(n, &c->node.tls.ca); }},
    Key{"tls", "peer_name", [](N n, C c) { return Str(n, &c->node.tls.peer_name); }},
    Key{"tls", "psk_file", [](N n, C c) { return Str(n, &c->node.tls.psk_file); }},
    Key{"tls", "insecure", [](N n, C c) { return Bool(n, &c->node.tls.insecure); }},
    Key{"control", "socket", [](N n, C c) { return Str(n, &c->control.socket); }},
    Key{"control", "mode", [](N n, C c) { return Int(n, 0, 0777, &c->control.mode); }},
    Key{"control", "owner", [](N n, C c) { return Account(n, &c->control.owner); }},
    Key{"control", "group", [](N n, C c) { return Account(n, &c->control.group); }},
    Key{"control", "max_connections",
        [](N n, C c) { return Int(n, 1, 65536, &c->control.max_connections); }},
    Key{"control", "tcp_listen", [](N n, C c) { return Str(n, &c->control.tcp_listen); }},
    Key{"control", "tls_certificate", [](N n, C c) { return Str(n, &c->control.tls_certificate); }},
    Key{"control", "tls_private_key", [](N n, C c) { return Str(n, &c->control.tls_private_key); }},
    Key{"control", "tls_ca", [](N n, C c) { return Str(n, &c->control.tls_ca); }},
    Key{"control", "allowed_clients",
        [](N n, C c) { return Names(n, &c->control.allowed_clients); }},
    Key{"notify", "notify_active", [](N n, C c) { return Cmd(n, &c->notify.on_active); }},
    Key{"notify", "notify_standby", [](N n, C c) { return Cmd(n, &c->notify.on_standby); }},
    Key{"notify", "notify", [](N n, C c) { return Cmd(n, &c->notify.on_any); }},
    Key{"notify", "notify_split_brain", [](N n, C c) { return Cmd(n, &c->notify.on_split_brain); }},
    Key{"consumers", "listen", [](N n, C c) { return Str(n, &c->node.consumers.listen); }},
    Key{"consumers", "ack_mode",
        [](N n, C c) { return Choice(n, kAckModes, &c->node.consumers.ack_mode); }},
    Key{"consumers", "ack_interval_ms",
        [](N n, C c) { return Millis(n, 1, &c->node.consumers.ack_interval); }},
    Key{"consumers", "timeout_s",
        [](N n, C c) { return SecondsAsMillis(n, &c->node.consumers.timeout); }},
    Key{"consumers", "max_channels",
        [](N n, C c) { return Int(n, 1, 1 << 20, &c->node.consumers.max_channels); }},
    Key{"consumers", "max_connections",
        [](N n, C c) { return Int(n, 1, 65536, &c->node.consumers.max_connections); }},
    Key{"consumers", "max_connections_per_second",
        [](N n, C c) { return Int(n, 1, 100000, &c->node.consumers.max_connections_per_second); }},
    Key{"consumers", "max_pending_ops",
        [](N n, C c) {
          return Int(n, 1, net::kMaxConsumerPendingOps, &c->node.consumers.max_pending_ops);
        }},
    Key{"consumers", "replay_keys_max",
        [](N n, C c) { return Int(n, 0, 1 << 20, &c->node.consumers.replay_keys_max); }},
    Key{"consumers", "full_replay_ops",
        [](N n, C c) { return Int(n, 1, UINT32_MAX, &c->node.consumers.full_replay_ops); }},
    Key{"consumers", "full_replay_sections",
        [](N n, C c) { return Int(n, 1, 64, &c->node.consumers.full_replay_sections); }},
    Key{"consumers", "window_bytes",
        [](N n, C c) { return Int(n, 64 << 10, 1 << 30, &c->node.consumers.window_bytes); }},
    Key{"consumers", "max_concurrent_replays",
        [](N n, C c) { return Int(n, 1, 4096, &c->node.consumers.max_concurrent_replays); }},
    Key{"consumers", "replay_slice_records",
        [](N n, C c) { return Int(n, 1, 1 << 24, &c->node.consumers.replay_slice_records); }},
    Key{"metrics", "listen", [](N n, C c) { return Str(n, &c->metrics_listen); }},
    Key{"log", "level", [](N n, C c) { return Str(n, &c->log_level); }},
};

std::string Where(std::string_view source, const toml::source_region& region) {
  return fmt::format("{}:{}:{}", source, region.begin.line, region.begin.column);
}

bool IsSection(std::string_view name) {
  for (const Key& key : kKeys) {
    if (key.section == name) return true;
  }
  return false;
}

Status Strings(const toml::node& n, std::vector<std::string>* out) {
  const toml::array* array = n.as_array();
  if (array == nullptr) return InvalidArgument("expected an array of strings");
  out->clear();
  for (const toml::node& element : *array) {
    std::optional<std::string> text = element.value_exact<std::string>();
    if (!text) return InvalidArgument("every element must be a string");
    out->push_back(std::move(*text));
  }
  return Status::Ok();
}

// Up to a year: a longer lease is a static assignment, which a pool is not for.
constexpr int64_t kMaxPoolSeconds = int64_t{366} * 24 * 3600;

Status Seconds(const toml::node& n, std::chrono::seconds* out) {
  int64_t s = 0;
  Status set = Int(n, 1, kMaxPoolSeconds, &s);
  if (set.ok()) *out = std::chrono::seconds(s);
  return set;
}

constexpr std::array<std::pair<std::string_view, ShareRule>, 2> kShareRules = {{
    {"odd-even", ShareRule::kOddEven},
    {"halves", ShareRule::kHalves},
}};
constexpr std::array<std::pair<std::string_view, Durability>, 2> kDurabilities = {{
    {"replicated", Durability::kReplicated},
    {"async", Durability::kAsync},
}};

using P = PoolOptions*;
struct PoolKey {
  std::string_view name;
  Status (*set)(N, P);
};

// The keys of one [[pool]] table; etc/hasyncd.toml explains each one.
constexpr std::array kPoolKeys = {
    PoolKey{"name", [](N n, P p) { return Str(n, &p->name); }},
    PoolKey{"ranges", [](N n, P p) { return Strings(n, &p->ranges); }},
    PoolKey{"exclude", [](N n, P p) { return Strings(n, &p->exclude); }},
    PoolKey{"lease_time_s", [](N n, P p) { return Seconds(n, &p->lease_time); }},
    PoolKey{"grace_s", [](N n, P p) { return Seconds(n, &p->grace); }},
    PoolKey{"share", [](N n, P p) { return Choice(n, kShareRules, &p->share); }},
    PoolKey{"durability", [](N n, P p) { return Choice(n, kDurabilities, &p->durability); }},
};

// One [[pool]] table, checked as the daemon will build it (pool::AddressPool::Create), so a bad
// range is reported here with the pool's position rather than when the daemon starts. The node
// ids do not matter to that check; Validate repeats it with the real ones.
Result<PoolOptions> ParsePool(const toml::table& table, std::string_view source) {
  PoolOptions pool;
  for (auto&& [key, value] : table) {
    const PoolKey* known = nullptr;
    for (const PoolKey& candidate : kPoolKeys) {
      if (candidate.name == key.str()) known = &candidate;
    }
    if (known == nullptr) {
      return InvalidArgument(
          fmt::format("{}: unknown key '{}' in [[pool]]", Where(source, key.source()), key.str()));
    }
    Status set = known->set(value, &pool);
    if (!set.ok()) {
      return InvalidArgument(
          fmt::format("{}: pool.{}: {}", Where(source, value.source()), key.str(), set.message()));
    }
  }
  std::string where = Where(source, table.source());
  if (!table.contains("name")) return InvalidArgument(where + ": [[pool]] without a name");
  if (!table.contains("ranges")) {
    return InvalidArgument(fmt::format("{}: pool {}: no ranges", where, pool.name));
  }
  Result<std::unique_ptr<pool::AddressPool>> made = pool::AddressPool::Create(pool, 1, 0);
  if (!made.ok()) return InvalidArgument(fmt::format("{}: {}", where, made.status().message()));
  return pool;
}

Status ParsePools(const toml::node& section, std::string_view source, DaemonConfig* config) {
  const toml::array* pools = section.as_array();
  if (pools == nullptr || !pools->is_array_of_tables()) {
    return InvalidArgument(
        fmt::format("{}: pool: write each pool as a [[pool]] table (an array of tables)",
                    Where(source, section.source())));
  }
  for (const toml::node& element : *pools) {
    Result<PoolOptions> pool = ParsePool(*element.as_table(), source);
    if (!pool.ok()) return pool.status();
    for (const PoolOptions& earlier : config->pools) {
      if (earlier.name == pool->name) {
        return InvalidArgument(fmt::format("{}: two pools are called {}",
                                           Where(source, element.source()), pool->name));
      }
    }
    config->pools.push_back(std::move(pool).value());
  }
  return Status::Ok();
}

}  // namespace

Result<DaemonConfig> ParseConfig(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(fmt::format("{}: {}", Where(source, e.source()), e.description()));
  }
  DaemonConfig config;
  for (auto&& [section_key, section] : root) {
    std::string_view section_name = section_key.str();
    if (section_name == "pool") {
      Status pools = ParsePools(section, source, &config);
      if (!pools.ok()) return pools;
      continue;
    }
    const toml::table* table = section.as_table();
    if (table == nullptr || !IsSection(section_name)) {
      return InvalidArgument(fmt::format(
          "{}: unknown section [{}] (sections: node, sync, limits, tls, control, consumers, "
          "notify, metrics, log, and [[pool]])",
          Where(source, section_key.source()), section_name));
    }
    // Writing the section turns the consumer port on, at its default address unless listen
    // says otherwise ("" keeps it off).
    if (section_name == "consumers") config.node.consumers.listen = kDefaultConsumerListen;
    for (auto&& [key, value] : *table) {
      const Key* known = nullptr;
      for (const Key& candidate : kKeys) {
        if (candidate.section == section_name && candidate.name == key.str()) known = &candidate;
      }
      if (known == nullptr) {
        return InvalidArgument(fmt::format("{}: unknown key '{}' in [{}]",
                                           Where(source, key.source()), key.str(), section_name));
      }
      Status set = known->set(value, &config);
      if (!set.ok()) {
        return InvalidArgument(fmt::format("{}: {}.{}: {}", Where(source, value.source()),
                                           section_name, key.str(), set.message()));
      }
    }
  }
  return config;
}

Result<DaemonConfig> LoadConfigFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return IoError(fmt::format("cannot read {}: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << file.rdbuf();
  return ParseConfig(text.str(), path);
}

void ApplyOverrides(const Overrides& o, DaemonConfig* c) {
  if (o.node_id) c->node.node_id = *o.node_id;
  if (o.peer_id) c->node.peer_id = *o.peer_id;
  if (o.priority) c->node.priority = *o.priority;
  if (o.cluster) c->node.cluster = *o.cluster;
  if (o.preempt) c->node.preempt = *o.preempt;
  if (o.listen) c->node.listen = *o.listen;
  if (o.peer) c->node.peer = *o.peer;
  if (o.control) c->control.socket = *o.control;
  if (o.bulk_rate) c->node.bulk_rate = *o.bulk_rate;
  if (o.reconcile_rate) c->node.reconcile_rate = *o.reconcile_rate;
  if (o.metrics_listen) c->metrics_listen = *o.metrics_listen;
  if (o.log_level) c->log_level = *o.log_level;
}

namespace {

// The sync channel's mode, in the terms of the file and with what to do about it. The same rules
// as net::CheckTlsOptions (which MakeDriverOptions applies after this, for embedders too).
// The net layer's check of the TLS mode, its message in the file's terms ("[tls]: ...").
Status ValidateTls(const TlsOptions& tls) {
  Status checked = net::CheckTlsOptions(tls);
  if (checked.ok()) return checked;
  std::string_view why = checked.message();
  if (why.starts_with("tls: ")) why.remove_prefix(5);
  return InvalidArgument(fmt::format("[tls]: {}", why));
}

// The embedding API's name of a consumer option ("consumers.listen: ...") as the file writes
// it ("[consumers] listen: ..."); other messages as they are.
Status InTheFilesTerms(const Status& error) {
  std::string_view message = error.message();
  if (!message.starts_with("consumers.")) return error;
  message.remove_prefix(10);
  return InvalidArgument(fmt::format("[consumers] {}", message));
}

// The pools as the daemon builds them (with this node's ids, after the overrides), and limits
// that leave room for their lease records: a limit that refused them would make every
// allocation fail with too_large, long after the daemon started.
Status ValidatePools(const DaemonConfig& c) {
  if (c.pools.empty()) return Status::Ok();
  NodeId peer = net::PoolPeerId(c.node);
  for (const PoolOptions& options : c.pools) {
    Result<std::unique_ptr<pool::AddressPool>> made =
        pool::AddressPool::Create(options, c.node.node_id, peer);
    if (!made.ok()) return made.status();
  }
  constexpr uint32_t kLeaseKeyBytes = 39;  // the longest canonical IPv6 text
  constexpr uint32_t kLeaseValueBytes = pool::kLeaseHeaderBytes + pool::kMaxClientBytes;
  if (c.node.max_key_bytes < kLeaseKeyBytes) {
    return InvalidArgument(fmt::format(
        "[limits] max_key_bytes: at least {} with [[pool]] (a lease's key is its address)",
        kLeaseKeyBytes));
  }
  if (c.node.max_value_bytes < kLeaseValueBytes) {
    return InvalidArgument(fmt::format(
        "[limits] max_value_bytes: at least {} with [[pool]] (a lease record with the longest "
        "client id)",
        kLeaseValueBytes));
  }
  if (c.node.max_tables < c.pools.size()) {
    return InvalidArgument(fmt::format("[limits] max_tables: {} is fewer than the {} pools",
                                       c.node.max_tables, c.pools.size()));
  }
  return Status::Ok();
}

}  // namespace

Result<ControlOptions> MakeControlOptions(const DaemonConfig& c) {
  ControlOptions o = c.control;
  if (o.socket.empty()) return InvalidArgument("[control] socket: must be a path");
  if (o.tcp_listen.empty()) return o;
  Result<asio::ip::tcp::endpoint> listen = ParseEndpoint(o.tcp_listen);
  if (!listen.ok()) {
    return InvalidArgument("[control] tcp_listen: " + listen.status().message());
  }
  // The TCP endpoint reuses the node's certificate unless it has its own.
  if (o.tls_certificate.empty()) o.tls_certificate = c.node.tls.certificate;
  if (o.tls_private_key.empty()) o.tls_private_key = c.node.tls.private_key;
  if (o.tls_ca.empty()) o.tls_ca = c.node.tls.ca;
  if (o.tls_certificate.empty() || o.tls_private_key.empty() || o.tls_ca.empty()) {
    return InvalidArgument(
        "[control] tcp_listen: the TCP control endpoint exists only with TLS and client "
        "certificates: set tls_certificate, tls_private_key and tls_ca in [control], or use "
        "certificate mode in [tls] (its files are the default), or remove tcp_listen and use "
        "the unix socket");
  }
  return o;
}

Status Validate(const DaemonConfig& c) {
  Status tls = ValidateTls(c.node.tls);
  if (!tls.ok()) return tls;
  Result<net::NodeDriver::Options> driver = net::MakeDriverOptions(c.node);
  if (!driver.ok()) return InTheFilesTerms(driver.status());
  Status pools = ValidatePools(c);
  if (!pools.ok()) return pools;
  Result<ControlOptions> control = MakeControlOptions(c);
  if (!control.ok()) return control.status();
  if (!c.metrics_listen.empty()) {
    Result<asio::ip::tcp::endpoint> metrics = ParseEndpoint(c.metrics_listen);
    if (!metrics.ok()) return InvalidArgument("metrics listen: " + metrics.status().message());
  }
  static constexpr std::array<std::string_view, 7> kLevels = {"trace", "debug",    "info", "warn",
                                                              "error", "critical", "off"};
  for (std::string_view level : kLevels) {
    if (c.log_level == level) return Status::Ok();
  }
  return InvalidArgument(fmt::format(
      "log level: '{}' is not one of trace, debug, info, warn, error, critical, off", c.log_level));
}

namespace {

// A loader's message ("tls: certificate '/x.crt': No such file or directory") under the config
// section it comes from ("[tls]: certificate '/x.crt': ...").
Status Under(std::string_view section, const Status& error) {
  std::string_view message = error.message();
  if (message.starts_with("tls: ")) message.remove_prefix(5);
  return InvalidArgument(fmt::format("{}: {}", section, message));
}

}  // namespace

Status CheckFiles(const DaemonConfig& c) {
  Result<net::NodeDriver::Options> driver = net::MakeDriverOptions(c.node);
  if (!driver.ok()) return driver.status();
  Result<net::LinkSecurity> sync =
      net::LoadLinkSecurity(driver->link.tls, driver->link.psk_identity);
  if (!sync.ok()) return Under("[tls]", sync.status());
  Result<ControlOptions> control = MakeControlOptions(c);
  if (!control.ok()) return control.status();
  Result<SocketOwner> owner = ResolveSocketOwner(control->owner, control->group);
  if (!owner.ok()) return Under("[control]", owner.status());
  if (control->tcp_listen.empty()) return Status::Ok();
  Result<std::shared_ptr<asio::ssl::context>> context = tls::MakeCertificateContext(
      {control->tls_certificate, control->tls_private_key, control->tls_ca});
  return context.ok() ? Status::Ok() : Under("[control] tcp_listen", context.status());
}

}  // namespace hasync::daemon
