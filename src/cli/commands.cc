#include "cli/commands.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/client.h"
#include "cli/consumer_format.h"
#include "cli/format.h"
#include "cli/json_fields.h"
#include "cli/pool_format.h"
#include "daemon/encoding.h"

namespace hasync::cli {

using nlohmann::json;

json Request(const Invocation& in) {
  json r = {{"cmd", in.command}};
  if (in.command == "put" || in.command == "get" || in.command == "del") {
    r["table"] = in.table;
    daemon::SetBytes(r, "key", in.key);
  }
  if (in.command == "put") daemon::SetBytes(r, "value", in.value);
  if (in.command == "put" || in.command == "del") r["replicated"] = in.replicated;
  // Sent only when it matters, so an update still works with a daemon that predates intents.
  if ((in.command == "put" || in.command == "del" || in.command == "load") &&
      in.intent != "update") {
    r["intent"] = in.intent;
  }
  if ((in.command == "digest" || in.command == "dump") && !in.table.empty()) r["table"] = in.table;
  if (in.command == "load") {
    r["table"] = in.table;
    r["count"] = in.count;
    r["value_size"] = in.value_size;
    r["prefix"] = in.prefix;
  }
  if (in.command.starts_with("pool.")) {
    if (in.command != "pool.partner_down") r["pool"] = in.pool;
    bool lease =
        in.command == "pool.alloc" || in.command == "pool.renew" || in.command == "pool.release";
    bool address = in.command == "pool.renew" || in.command == "pool.release";
    if (lease || !in.client.empty()) r["client"] = in.client;
    if (address || !in.address.empty()) r["address"] = in.address;
    if (in.command == "pool.list") {
      if (!in.from.empty()) r["from"] = in.from;
      r["limit"] = in.limit;
    }
  }
  return r;
}

namespace {

void PrintJson(const json& response) {
  fmt::print("{}\n", response.dump(-1, ' ', false, json::error_handler_t::replace));
}

int PrintError(const json& response) {
  fmt::print(stderr, "hasyncctl: {} ({})\n", Text(response, "error", "unknown error"),
             Text(response, "code", "?"));
  return kExitError;
}

void PrintHuman(const Invocation& in, const json& response) {
  if (in.command == "status") {
    fmt::print("{}\n", FormatStatus(response));
  } else if (in.command == "get") {
    std::string value = RawValue(response);
    std::fwrite(value.data(), 1, value.size(), stdout);
    std::fputc('\n', stdout);
  } else if (in.command == "load") {
    fmt::print("{}\n", FormatLoad(response));
  } else if (in.command == "digest") {
    fmt::print("{}\n", FormatDigest(response));
  } else if (in.command == "metrics") {
    fmt::print("{}", Text(response, "text"));
  } else if (in.command == "consumers") {
    fmt::print("{}\n", FormatConsumers(response));
  } else if (in.command == "switchover") {
    fmt::print("switchover complete\n");
  } else if (in.command == "pool.list") {
    fmt::print("{}\n", FormatLeaseList(response));
  } else if (in.command == "pool.show" && in.client.empty() && in.address.empty()) {
    fmt::print("{}\n", FormatPoolUsage(response));
  } else if (in.command == "pool.partner_down") {
    fmt::print("partner down: allocating from the whole of every pool until the peer is back\n");
    const json* pools = FieldOf(response, "pools");
    if (std::string lines = pools ? FormatPoolSummary(*pools) : ""; !lines.empty()) {
      fmt::print("{}\n", lines);
    }
  } else if (in.command.starts_with("pool.")) {
    fmt::print("{}\n", FormatLeaseAnswer(response));
  }
}

int Dump(const Invocation& in, ControlClient& client) {
  Status sent = client.Send(Request(in));
  if (!sent.ok()) {
    fmt::print(stderr, "hasyncctl: {}\n", sent.message());
    return kExitUsage;
  }
  while (true) {
    Result<json> line = client.Read();
    if (!line.ok()) {
      fmt::print(stderr, "hasyncctl: {}\n", line.status().message());
      return kExitUsage;
    }
    if (line->contains("ok") && !Flag(*line, "ok")) return PrintError(*line);
    if (in.json) PrintJson(*line);
    if (Flag(*line, "end")) return kExitOk;
    if (!in.json) fmt::print("{}\n", FormatRecord(*line));
  }
}

// Does `status` satisfy the wait? Fills `why` with what is still missing.
bool WaitSatisfied(const Invocation& in, const json& status, std::string* why) {
  std::string role = Text(status, "role");
  if (!in.wait_role.empty() && role != in.wait_role) {
    *why = fmt::format("node {} is {}", Count(status, "node_id"), role);
    return false;
  }
  if (in.wait_in_sync) {
    // The active reports its standby in sync; a standby reports itself synced.
    json peer = Object(status, "peer");
    bool in_sync = role == "active" ? Flag(peer, "in_sync") : Flag(status, "synced");
    if (Text(peer, "state") != "up" || !in_sync || Text(status, "sync") != "idle") {
      *why = fmt::format("node {} does not report its peer in sync (peer {}, sync {})",
                         Count(status, "node_id"), Text(peer, "state", "?"),
                         Text(status, "sync", "?"));
      return false;
    }
  }
  return true;
}

int Wait(const Invocation& in, const Dialer& dialer) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(in.timeout_ms);
  std::string why = "no answer yet";
  while (true) {
    // Reconnect each round: the daemon may be starting or restarting while we wait.
    Result<ControlClient> client = dialer.Connect();
    Result<json> status =
        client.ok() ? client.value().Call(json{{"cmd", "status"}}) : Result<json>(client.status());
    if (!status.ok()) {
      why = status.status().message();
    } else if (WaitSatisfied(in, *status, &why)) {
      if (in.json) PrintJson(*status);
      if (!in.json) fmt::print("{}\n", FormatStatus(*status));
      return kExitOk;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  fmt::print(stderr, "hasyncctl: timed out after {} ms: {}\n", in.timeout_ms, why);
  return kExitError;
}

}  // namespace

int RunCommand(const Invocation& in) {
  Result<Dialer> dialer = Dialer::Make(in.target);
  if (!dialer.ok()) {
    fmt::print(stderr, "hasyncctl: {}\n", dialer.status().message());
    return kExitUsage;
  }
  if (in.command == "wait") return Wait(in, *dialer);
  Result<ControlClient> client = dialer->Connect();
  if (!client.ok()) {
    fmt::print(stderr, "hasyncctl: {}\n", client.status().message());
    return kExitUsage;
  }
  if (in.command == "dump") return Dump(in, client.value());
  Result<json> response = client.value().Call(Request(in));
  if (!response.ok()) {
    fmt::print(stderr, "hasyncctl: {}\n", response.status().message());
    return kExitUsage;
  }
  if (in.json) PrintJson(*response);
  if (!Flag(*response, "ok")) return in.json ? kExitError : PrintError(*response);
  if (!in.json) PrintHuman(in, *response);
  return kExitOk;
}

}  // namespace hasync::cli
