#include "daemon/control_protocol.h"

#include <fmt/format.h>

#include <array>

#include "daemon/encoding.h"

namespace hasync::daemon {

namespace {

using nlohmann::json;

struct CommandInfo {
  std::string_view name;
  Command command;
};
constexpr std::array<CommandInfo, 16> kCommands = {{
    {"status", Command::kStatus},
    {"put", Command::kPut},
    {"get", Command::kGet},
    {"del", Command::kDel},
    {"load", Command::kLoad},
    {"digest", Command::kDigest},
    {"dump", Command::kDump},
    {"switchover", Command::kSwitchover},
    {"metrics", Command::kMetrics},
    {"pool.alloc", Command::kPoolAlloc},
    {"pool.renew", Command::kPoolRenew},
    {"pool.release", Command::kPoolRelease},
    {"pool.show", Command::kPoolShow},
    {"pool.list", Command::kPoolList},
    {"pool.partner_down", Command::kPoolPartnerDown},
    {"consumers", Command::kConsumers},
}};

Status Table(const json& j, bool required, std::string* out) {
  auto it = j.find("table");
  if (it == j.end()) return required ? InvalidArgument("missing \"table\"") : Status::Ok();
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    return InvalidArgument("\"table\" must be a non-empty string");
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

Status Bytes(const json& j, const std::string& field, std::string* out) {
  Result<std::string> bytes = GetBytes(j, field);
  if (!bytes.ok()) return InvalidArgument(bytes.status().message());
  *out = std::move(bytes).value();
  return Status::Ok();
}

// "intent": "update" | "allocate" | "release"; absent means update.
Status Intent(const json& j, WriteIntent* out) {
  auto it = j.find("intent");
  if (it == j.end()) return Status::Ok();
  if (it->is_string()) {
    for (WriteIntent intent :
         {WriteIntent::kUpdate, WriteIntent::kAllocate, WriteIntent::kRelease}) {
      if (it->get_ref<const std::string&>() == WriteIntentName(intent)) {
        *out = intent;
        return Status::Ok();
      }
    }
  }
  return InvalidArgument(R"("intent" must be "update", "allocate" or "release")");
}

Status Unsigned(const json& j, const char* field, uint64_t max, uint64_t* out) {
  auto it = j.find(field);
  if (it == j.end()) return InvalidArgument(fmt::format("missing \"{}\"", field));
  if (!it->is_number_unsigned() || it->get<uint64_t>() > max) {
    return InvalidArgument(fmt::format("\"{}\" must be an integer from 0 to {}", field, max));
  }
  *out = it->get<uint64_t>();
  return Status::Ok();
}

// A string field: `required`, or left as it is when absent. Client ids and addresses are text
// (the pool refuses ids outside printable ASCII), so there is no _base64 form.
Status Text(const json& j, const char* field, bool required, std::string* out) {
  auto it = j.find(field);
  if (it == j.end()) {
    return required ? InvalidArgument(fmt::format("missing \"{}\"", field)) : Status::Ok();
  }
  if (!it->is_string() || it->get_ref<const std::string&>().empty()) {
    return InvalidArgument(fmt::format("\"{}\" must be a non-empty string", field));
  }
  *out = it->get<std::string>();
  return Status::Ok();
}

Status FillPool(const json& j, Request* r) {
  Status s;
  if (r->command == Command::kPoolPartnerDown) return s;
  if (s = Text(j, "pool", true, &r->pool); !s.ok()) return s;
  switch (r->command) {
    case Command::kPoolRenew:
    case Command::kPoolRelease:
      if (s = Text(j, "address", true, &r->address); !s.ok()) return s;
      [[fallthrough]];
    case Command::kPoolAlloc:
      return Text(j, "client", true, &r->client);
    case Command::kPoolShow:
      if (s = Text(j, "client", false, &r->client); !s.ok()) return s;
      if (s = Text(j, "address", false, &r->address); !s.ok()) return s;
      if (!r->client.empty() && !r->address.empty()) {
        return InvalidArgument(R"(pool.show takes "client" or "address", not both)");
      }
      return s;
    case Command::kPoolList:
      if (s = Text(j, "from", false, &r->from); !s.ok()) return s;
      if (j.contains("limit")) {
        if (s = Unsigned(j, "limit", kMaxPoolListLimit, &r->limit); !s.ok()) return s;
        if (r->limit == 0) {
          return InvalidArgument(
              fmt::format("\"limit\" must be an integer from 1 to {}", kMaxPoolListLimit));
        }
      }
      return s;
    default:
      return s;
  }
}

Status Fill(const json& j, Request* r) {
  Status s;
  switch (r->command) {
    case Command::kStatus:
    case Command::kSwitchover:
    case Command::kMetrics:
    case Command::kConsumers:
      return s;
    case Command::kDigest:
    case Command::kDump:
      return Table(j, false, &r->table);
    case Command::kPut:
      if (s = Bytes(j, "value", &r->value); !s.ok()) return s;
      [[fallthrough]];
    case Command::kDel:
      if (s = Intent(j, &r->intent); !s.ok()) return s;
      if (auto it = j.find("replicated"); it != j.end()) {
        if (!it->is_boolean()) return InvalidArgument("\"replicated\" must be true or false");
        r->replicated = it->get<bool>();
      }
      [[fallthrough]];
    case Command::kGet:
      if (s = Table(j, true, &r->table); !s.ok()) return s;
      return Bytes(j, "key", &r->key);
    case Command::kLoad: {
      uint64_t size = 0;
      if (s = Table(j, true, &r->table); !s.ok()) return s;
      if (s = Intent(j, &r->intent); !s.ok()) return s;
      if (s = Unsigned(j, "count", kMaxLoadCount, &r->count); !s.ok()) return s;
      if (s = Unsigned(j, "value_size", 16u << 20, &size); !s.ok()) return s;
      r->value_size = static_cast<uint32_t>(size);
      r->prefix = "key-";
      if (auto it = j.find("prefix"); it != j.end()) {
        if (!it->is_string()) return InvalidArgument("\"prefix\" must be a string");
        r->prefix = it->get<std::string>();
      }
      return s;
    }
    case Command::kPoolAlloc:
    case Command::kPoolRenew:
    case Command::kPoolRelease:
    case Command::kPoolShow:
    case Command::kPoolList:
    case Command::kPoolPartnerDown:
      return FillPool(j, r);
  }
  return s;
}

}  // namespace

bool IsPoolCommand(Command command) {
  switch (command) {
    case Command::kPoolAlloc:
    case Command::kPoolRenew:
    case Command::kPoolRelease:
    case Command::kPoolShow:
    case Command::kPoolList:
    case Command::kPoolPartnerDown:
      return true;
    default:
      return false;
  }
}

ParsedRequest ParseRequest(std::string_view line) {
  ParsedRequest parsed;
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    parsed.error = InvalidArgument("malformed JSON");
    return parsed;
  }
  if (!j.is_object()) {
    parsed.error = InvalidArgument("a request is a JSON object");
    return parsed;
  }
  if (auto id = j.find("id"); id != j.end()) parsed.id = *id;
  auto cmd = j.find("cmd");
  if (cmd == j.end() || !cmd->is_string()) {
    parsed.error = InvalidArgument("missing \"cmd\"");
    return parsed;
  }
  const std::string& name = cmd->get_ref<const std::string&>();
  const CommandInfo* info = nullptr;
  for (const CommandInfo& candidate : kCommands) {
    if (candidate.name == name) info = &candidate;
  }
  if (info == nullptr) {
    std::string names;
    for (const CommandInfo& candidate : kCommands) {
      names += fmt::format("{}{}", names.empty() ? "" : ", ", candidate.name);
    }
    parsed.error = InvalidArgument(fmt::format("unknown command \"{}\" ({})", name, names));
    return parsed;
  }
  parsed.request.command = info->command;
  parsed.error = Fill(j, &parsed.request);
  return parsed;
}

json OkResponse(const json& id) {
  json r = {{"ok", true}};
  if (!id.is_null()) r["id"] = id;
  return r;
}

json ErrorResponse(const json& id, const Status& error) {
  json r = {{"ok", false}, {"code", CodeSlug(error.code())}, {"error", error.message()}};
  if (!id.is_null()) r["id"] = id;
  return r;
}

json StatusResponse(const json& id, const core::NodeStatus& s) {
  json r = OkResponse(id);
  r["node_id"] = s.node_id;
  r["role"] = RoleName(s.role);
  r["peer"] = {{"state", s.peer.connected ? "up" : "down"},
               {"role", RoleName(s.peer.role)},
               {"node_id", s.peer.node_id},
               {"in_sync", s.peer.in_sync},
               {"sync", SyncStateName(s.peer.sync)}};
  r["synced"] = s.synced;
  r["sync"] = SyncStateName(s.sync);
  r["gvn"] = s.gvn;
  r["records"] = s.records;
  r["digest"] = DigestHex(s.digest);
  r["sync_progress"] = {{"done", s.sync_done}, {"total", s.sync_total}};
  r["unacked_bytes"] = s.unacked_bytes;
  r["postponed"] = s.postponed;
  r["hlc"] = s.hlc;
  return r;
}

json RecordLine(std::string_view table, std::string_view key, std::string_view value,
                uint64_t rvn) {
  json r = json::object();
  SetBytes(r, "table", table);
  SetBytes(r, "key", key);
  SetBytes(r, "value", value);
  r["rvn"] = rvn;
  return r;
}

std::string_view CodeSlug(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kTooLarge:
      return "too_large";
    case Code::kNotFound:
      return "not_found";
    case Code::kNotActive:
      return "not_active";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kTimeout:
      return "timeout";
    case Code::kNotReplicated:
      return "not_replicated";
    case Code::kProtocol:
      return "protocol";
    case Code::kRejected:
      return "rejected";
    case Code::kIo:
      return "io";
    case Code::kExhausted:
      return "exhausted";
  }
  return "unknown";
}

std::string DigestHex(uint64_t digest) { return fmt::format("{:016x}", digest); }

std::string Serialize(const json& response) {
  std::string line = response.dump(-1, ' ', false, json::error_handler_t::replace);
  line += '\n';
  return line;
}

void LoadValue(uint64_t index, uint32_t size, std::string* value) {
  value->resize(size);
  uint64_t x = index * 0x9E3779B97F4A7C15ull + 1;  // a cheap, deterministic byte stream
  for (uint32_t i = 0; i < size; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    (*value)[i] = static_cast<char>('a' + x % 26);
  }
}

}  // namespace hasync::daemon
