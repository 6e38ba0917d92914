/* The C API of hasync consumers, for data planes written in C (docs/consumers.md).
 *
 * A thin wrapper of hasync::Consumer (hasync/consumer.h): the same behaviour and threading.
 * The callback runs on the consumer's thread; the key and value pointers are valid only during
 * the call. Functions return 0 on success and a negative hasync_consumer_code otherwise;
 * hasync_consumer_error() gives the text of the last error of that consumer. The consumer must
 * not be freed from its own callback (stopping it there is fine). */
#ifndef HASYNC_CONSUMER_C_H_
#define HASYNC_CONSUMER_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hasync_consumer hasync_consumer;

/* Error codes: the negated codes of hasync::Code (hasync/status.h). */
typedef enum hasync_consumer_code {
  HASYNC_CONSUMER_OK = 0,
  HASYNC_CONSUMER_INVALID_ARGUMENT = -1,
  HASYNC_CONSUMER_TOO_LARGE = -2,
  HASYNC_CONSUMER_NOT_FOUND = -3,
  HASYNC_CONSUMER_NOT_ACTIVE = -4,
  HASYNC_CONSUMER_UNAVAILABLE = -5,
  HASYNC_CONSUMER_TIMEOUT = -6,
  HASYNC_CONSUMER_NOT_REPLICATED = -7,
  HASYNC_CONSUMER_PROTOCOL = -8,
  HASYNC_CONSUMER_REJECTED = -9,
  HASYNC_CONSUMER_IO = -10,
  HASYNC_CONSUMER_EXHAUSTED = -11
} hasync_consumer_code;

typedef struct hasync_consumer_change {
  const char* key;
  size_t key_len;
  const char* value; /* NULL when deleted */
  size_t value_len;
  int deleted;
} hasync_consumer_change;

/* One op: `count` changes. Return nothing; the op is acknowledged once it returns. */
typedef void (*hasync_consumer_batch_fn)(void* user, uint64_t op, int replay,
                                         const hasync_consumer_change* changes, size_t count);

typedef struct hasync_consumer_options {
  const char* const* endpoints; /* host:port of each node's consumer port */
  size_t endpoint_count;
  const char* table;
  const char* prefix;          /* NULL or "" for the whole table */
  const char* name;            /* NULL for none */
  uint64_t channel;            /* 0: a new channel */
  uint32_t reconnect_delay_ms; /* 0: the default (100) */
  uint32_t dead_after_ms;      /* 0: the default (3000) */
} hasync_consumer_options;

typedef struct hasync_consumer_status {
  uint64_t channel;
  int connected;
  uint64_t last_op;
  uint64_t acked_op;
  uint64_t records;
  uint64_t replays;
  uint64_t replayed_records;
  uint64_t reconnects;
} hasync_consumer_status;

/* NULL on invalid options; `error` (if not NULL, `error_len` bytes) then says why. */
hasync_consumer* hasync_consumer_new(const hasync_consumer_options* options,
                                     hasync_consumer_batch_fn on_batch, void* user, char* error,
                                     size_t error_len);
int hasync_consumer_start(hasync_consumer* consumer);
void hasync_consumer_stop(hasync_consumer* consumer);
int hasync_consumer_status_get(hasync_consumer* consumer, hasync_consumer_status* out);
const char* hasync_consumer_error(const hasync_consumer* consumer);
void hasync_consumer_free(hasync_consumer* consumer); /* stops it first */

#ifdef __cplusplus
}
#endif

#endif /* HASYNC_CONSUMER_C_H_ */
