// The C API (hasync/consumer_c.h) over hasync::Consumer.
#include "hasync/consumer_c.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "hasync/consumer.h"

static_assert(HASYNC_CONSUMER_INVALID_ARGUMENT ==
              -static_cast<int>(hasync::Code::kInvalidArgument));
static_assert(HASYNC_CONSUMER_EXHAUSTED == -static_cast<int>(hasync::Code::kExhausted));

struct hasync_consumer {
  hasync_consumer_batch_fn on_batch = nullptr;
  void* user = nullptr;
  std::string error;                            // of the last call that failed
  std::vector<hasync_consumer_change> changes;  // reused by every callback
  // Last: destroyed (stopped) first, while what its callback uses is still there.
  std::unique_ptr<hasync::Consumer> consumer;
};

namespace {

int Fail(hasync_consumer* c, const hasync::Status& status) {
  c->error = status.message();
  return -static_cast<int>(status.code());
}

void CopyError(const std::string& text, char* error, size_t error_len) {
  if (error == nullptr || error_len == 0) return;
  size_t n = std::min(text.size(), error_len - 1);
  std::memcpy(error, text.data(), n);
  error[n] = '\0';
}

hasync::Result<hasync::ConsumerOptions> ToOptions(const hasync_consumer_options* o) {
  if (o == nullptr) return hasync::InvalidArgument("options: NULL");
  if (o->table == nullptr) return hasync::InvalidArgument("table: NULL");
  if (o->endpoints == nullptr && o->endpoint_count > 0) {
    return hasync::InvalidArgument("endpoints: NULL");
  }
  hasync::ConsumerOptions options;
  for (size_t i = 0; i < o->endpoint_count; ++i) {
    if (o->endpoints[i] == nullptr) return hasync::InvalidArgument("endpoints: a NULL entry");
    options.endpoints.emplace_back(o->endpoints[i]);
  }
  options.table = o->table;
  if (o->prefix != nullptr) options.prefix = o->prefix;
  if (o->name != nullptr) options.name = o->name;
  options.channel = o->channel;
  if (o->reconnect_delay_ms != 0) {
    options.reconnect_delay = std::chrono::milliseconds(o->reconnect_delay_ms);
  }
  if (o->dead_after_ms != 0) options.dead_after = std::chrono::milliseconds(o->dead_after_ms);
  return options;
}

void Deliver(hasync_consumer* c, const hasync::ConsumerBatch& batch) {
  c->changes.clear();
  for (const hasync::ConsumerChange& change : batch.changes) {
    c->changes.push_back({.key = change.key.data(),
                          .key_len = change.key.size(),
                          .value = change.deleted ? nullptr : change.value.data(),
                          .value_len = change.value.size(),
                          .deleted = change.deleted ? 1 : 0});
  }
  c->on_batch(c->user, batch.op, batch.replay ? 1 : 0, c->changes.data(), c->changes.size());
}

}  // namespace

extern "C" {

hasync_consumer* hasync_consumer_new(const hasync_consumer_options* options,
                                     hasync_consumer_batch_fn on_batch, void* user, char* error,
                                     size_t error_len) {
  hasync::Result<hasync::ConsumerOptions> converted = ToOptions(options);
  if (!converted.ok()) {
    CopyError(converted.status().message(), error, error_len);
    return nullptr;
  }
  if (on_batch == nullptr) {
    CopyError("on_batch: a callback is required", error, error_len);
    return nullptr;
  }
  auto c = std::make_unique<hasync_consumer>();
  c->on_batch = on_batch;
  c->user = user;
  hasync_consumer* raw = c.get();
  auto created =
      hasync::Consumer::Create(std::move(converted).value(),
                               [raw](const hasync::ConsumerBatch& batch) { Deliver(raw, batch); });
  if (!created.ok()) {
    CopyError(created.status().message(), error, error_len);
    return nullptr;
  }
  c->consumer = std::move(created).value();
  return c.release();
}

int hasync_consumer_start(hasync_consumer* consumer) {
  if (consumer == nullptr) return HASYNC_CONSUMER_INVALID_ARGUMENT;
  hasync::Status started = consumer->consumer->Start();
  return started.ok() ? HASYNC_CONSUMER_OK : Fail(consumer, started);
}

void hasync_consumer_stop(hasync_consumer* consumer) {
  if (consumer != nullptr) consumer->consumer->Stop();
}

int hasync_consumer_status_get(hasync_consumer* consumer, hasync_consumer_status* out) {
  if (consumer == nullptr) return HASYNC_CONSUMER_INVALID_ARGUMENT;
  if (out == nullptr) return Fail(consumer, hasync::InvalidArgument("status: NULL"));
  hasync::ConsumerStatus s = consumer->consumer->GetStatus();
  *out = {.channel = s.channel,
          .connected = s.connected ? 1 : 0,
          .last_op = s.last_op,
          .acked_op = s.acked_op,
          .records = s.records,
          .replays = s.replays,
          .replayed_records = s.replayed_records,
          .reconnects = s.reconnects};
  return HASYNC_CONSUMER_OK;
}

const char* hasync_consumer_error(const hasync_consumer* consumer) {
  return consumer == nullptr ? "no consumer (NULL)" : consumer->error.c_str();
}

void hasync_consumer_free(hasync_consumer* consumer) {
  // The destructor stops it: no callback runs on the freed object.
  delete consumer;
}

}  // extern "C"
