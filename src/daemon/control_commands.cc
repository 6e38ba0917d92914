#include "daemon/control_commands.h"

#include <fmt/format.h>

#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <iterator>
#include <memory>

#include "daemon/consumer_commands.h"
#include "daemon/control_protocol.h"
#include "daemon/encoding.h"

namespace hasync::daemon {

namespace {

using nlohmann::json;
using Reply = ControlServer::Reply;

// One running `load` request: writes records [next, count) a chunk per io turn. Writes
// complete at once, except allocate/release ones made while the node reconciles, which are
// postponed: the job answers once every write it made has completed, and stops making new
// ones at the first failure.
class LoadJob : public std::enable_shared_from_this<LoadJob> {
 public:
  LoadJob(asio::io_context& io, net::NodeDriver& driver, Request request, json id, Reply reply)
      : driver_(driver),
        request_(std::move(request)),
        id_(std::move(id)),
        reply_(std::move(reply)),
        pause_(io),
        started_(std::chrono::steady_clock::now()) {}

  void Step() {
    if (!failed_.ok()) return DoneIssuing();  // a postponed write failed meanwhile
    const core::Node& node = driver_.node();
    if (node.status().unacked_bytes > node.config().max_unacked_bytes / 2) {
      pause_.expires_after(std::chrono::milliseconds(1));
      pause_.async_wait([self = shared_from_this()](asio::error_code) { self->Step(); });
      return;
    }
    uint64_t end = std::min(request_.count, next_ + ControlCommands::kLoadChunk);
    auto turn_ends = std::chrono::steady_clock::now() + ControlCommands::kLoadTurn;
    for (; next_ < end && failed_.ok(); ++next_) {
      // The clock is read every 256 records: cheap, and fine-grained enough for kLoadTurn.
      if (next_ % 256 == 0 && std::chrono::steady_clock::now() > turn_ends) break;
      key_.assign(request_.prefix);
      fmt::format_to(std::back_inserter(key_), "{}", next_);  // no temporary string per record
      LoadValue(next_, request_.value_size, &value_);
      ++issued_;
      // `this` (not a shared_ptr) keeps the callback small enough not to allocate; a postponed
      // write's completion finds the job alive through keep_alive_.
      driver_.Put(request_.table, key_, value_, Durability::kAsync, request_.intent,
                  [this](Status s) { Completed(std::move(s)); });
    }
    if (failed_.ok() && next_ < request_.count) {
      asio::post(pause_.get_executor(), [self = shared_from_this()] { self->Step(); });
      return;
    }
    DoneIssuing();
  }

 private:
  void Completed(Status s) {
    ++completed_;
    if (s.ok()) {
      ++written_;
    } else if (failed_.ok()) {
      failed_ = std::move(s);
    }
    if (issuing_done_ && completed_ == issued_) {
      std::shared_ptr<LoadJob> self = std::move(keep_alive_);
      Answer();
    }
  }

  void DoneIssuing() {
    if (issuing_done_) return;
    issuing_done_ = true;
    if (completed_ < issued_) {
      keep_alive_ = shared_from_this();  // until the last postponed write completes
      return;
    }
    Answer();
  }

  void Answer() {
    if (!failed_.ok()) {
      reply_(Serialize(ErrorResponse(
          id_, Status::Error(failed_.code(), fmt::format("stopped after {} records: {}", written_,
                                                         failed_.message())))));
      return;
    }
    json r = OkResponse(id_);
    r["count"] = request_.count;
    r["seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    reply_(Serialize(r));
  }

  net::NodeDriver& driver_;
  Request request_;
  json id_;
  Reply reply_;
  asio::steady_timer pause_;
  std::chrono::steady_clock::time_point started_;
  uint64_t next_ = 0;
  uint64_t issued_ = 0;
  uint64_t completed_ = 0;
  uint64_t written_ = 0;
  Status failed_;
  bool issuing_done_ = false;
  std::shared_ptr<LoadJob> keep_alive_;
  std::string key_;
  std::string value_;
};

json Digest(const store::Store& store, const std::string& table, const json& id) {
  json r = OkResponse(id);
  if (table.empty()) {
    r["digest"] = DigestHex(store.digest());
    r["records"] = store.records();
    return r;
  }
  const store::Table* t = store.Find(table);
  r["table"] = table;
  r["digest"] = DigestHex(t ? t->digest() : 0);
  r["records"] = t ? t->size() : 0;
  return r;
}

// One running `dump`: the records are copied out in one turn (packed in one buffer, so the copy
// is a few memcpys per record), then turned into JSON lines and written a part at a time, each
// part bounded in records and time, so neither a big table nor a slow reader blocks the loop
// for long.
class DumpJob : public std::enable_shared_from_this<DumpJob> {
 public:
  static constexpr size_t kPartRecords = 2048;
  static constexpr std::chrono::milliseconds kPartTime{5};

  DumpJob(const store::Store& store, const std::string& table, json id, Reply reply)
      : id_(std::move(id)), reply_(std::move(reply)) {
    if (table.empty()) {
      for (size_t i = 0; i < store.table_count(); ++i) Copy(store.table_at(i));
    } else if (const store::Table* t = store.Find(table)) {
      Copy(*t);
    }
  }

  void Step() {
    auto part_ends = std::chrono::steady_clock::now() + kPartTime;
    std::string part;
    size_t end = std::min(entries_.size(), next_ + kPartRecords);
    for (; next_ < end; ++next_) {
      if (next_ % 128 == 0 && std::chrono::steady_clock::now() > part_ends) break;
      const Entry& e = entries_[next_];
      std::string_view bytes(arena_);
      part += Serialize(RecordLine(tables_[e.table], bytes.substr(e.key, e.key_size),
                                   bytes.substr(e.key + e.key_size, e.value_size), e.rvn));
    }
    if (next_ < entries_.size()) {
      reply_.Part(std::move(part), [self = shared_from_this()] { self->Step(); });
      return;
    }
    json last = OkResponse(id_);
    last["end"] = true;
    last["count"] = entries_.size();
    part += Serialize(last);
    reply_(std::move(part));
  }

 private:
  struct Entry {
    size_t table;  // index into tables_
    size_t key;    // offset of the key in arena_; the value follows it
    uint32_t key_size;
    uint32_t value_size;
    uint64_t rvn;
  };

  void Copy(const store::Table& t) {
    tables_.push_back(t.name());
    entries_.reserve(entries_.size() + t.size());
    t.ForEach([&](const store::RecordView& r) {
      entries_.push_back({tables_.size() - 1, arena_.size(), static_cast<uint32_t>(r.key.size()),
                          static_cast<uint32_t>(r.value.size()), r.rvn});
      arena_.append(r.key);
      arena_.append(r.value);
    });
  }

  json id_;
  Reply reply_;
  std::vector<std::string> tables_;
  std::vector<Entry> entries_;
  std::string arena_;
  size_t next_ = 0;
};

}  // namespace

ControlCommands::ControlCommands(asio::io_context& io, net::NodeDriver& driver,
                                 net::PoolService& pools, MetricsText metrics_text,
                                 const net::ConsumerServer* consumers)
    : io_(io),
      driver_(driver),
      pools_(pools),
      metrics_text_(std::move(metrics_text)),
      consumers_(consumers) {}

void ControlCommands::Handle(std::string_view line, Reply reply) {
  ParsedRequest parsed = ParseRequest(line);
  const json& id = parsed.id;
  Request& r = parsed.request;
  if (!parsed.error.ok()) return reply(Serialize(ErrorResponse(id, parsed.error)));
  const store::Store& store = driver_.node().store();
  Durability durability = r.replicated ? Durability::kReplicated : Durability::kAsync;
  auto answer = [id, reply](Status s) {
    reply(Serialize(s.ok() ? OkResponse(id) : ErrorResponse(id, s)));
  };
  switch (r.command) {
    case Command::kStatus: {
      json response = StatusResponse(id, driver_.node().status());
      response["pools"] = pools_.Summary();
      if (consumers_ != nullptr) response["consumers"] = ConsumerSummary(*consumers_);
      return reply(Serialize(response));
    }
    case Command::kPut:
      return driver_.Put(r.table, r.key, r.value, durability, r.intent, answer);
    case Command::kDel:
      return driver_.Erase(r.table, r.key, durability, r.intent, answer);
    case Command::kGet: {
      const store::Table* t = store.Find(r.table);
      std::optional<store::RecordView> record = t ? t->Get(r.key) : std::nullopt;
      if (!record) {
        return reply(Serialize(ErrorResponse(
            id, NotFound(fmt::format("no record with that key in table '{}'", r.table)))));
      }
      json response = OkResponse(id);
      SetBytes(response, "value", record->value);
      response["rvn"] = record->rvn;
      return reply(Serialize(response));
    }
    case Command::kLoad:
      return std::make_shared<LoadJob>(io_, driver_, std::move(r), id, std::move(reply))->Step();
    case Command::kDigest:
      return reply(Serialize(Digest(store, r.table, id)));
    case Command::kDump:
      return std::make_shared<DumpJob>(store, r.table, id, std::move(reply))->Step();
    case Command::kSwitchover:
      return driver_.Switchover(answer);
    case Command::kMetrics: {
      json response = OkResponse(id);
      response["text"] = metrics_text_();
      return reply(Serialize(response));
    }
    case Command::kPoolAlloc:
    case Command::kPoolRenew:
    case Command::kPoolRelease:
    case Command::kPoolShow:
    case Command::kPoolList:
    case Command::kPoolPartnerDown:
      return pools_.Handle(r, id, [reply](const json& response) { reply(Serialize(response)); });
    case Command::kConsumers:
      return reply(Serialize(ConsumersResponse(id, consumers_, driver_.Now())));
  }
}

}  // namespace hasync::daemon
