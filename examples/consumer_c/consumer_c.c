/* consumer_c: a data plane in C that mirrors one table of a hasync pair through the consumer C
 * API (hasync/consumer_c.h), and prints once a second how many records it holds and what the
 * consumer did (ops, replays after a failover, reconnections).
 *
 *   consumer_c [-n SECONDS] TABLE [HOST:PORT ...]    (default 127.0.0.1:7402)
 *
 * The mirror is a plain chained hash table of copies of the keys and values: the callback
 * applies each change (a put inserts or replaces, a delete removes), under a mutex because the
 * main thread reads the count. It runs until SIGINT or SIGTERM, or for SECONDS. */
#define _POSIX_C_SOURCE 200809L

#include <hasync/consumer_c.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct entry {
  struct entry* next;
  char* key;
  size_t key_len;
  char* value;
  size_t value_len;
} entry;

typedef struct mirror {
  pthread_mutex_t mutex;
  entry** buckets;
  size_t bucket_count; /* a power of two */
  size_t records;
  uint64_t ops;
  uint64_t changes;
} mirror;

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

static uint64_t hash_bytes(const char* p, size_t n) { /* FNV-1a */
  uint64_t h = 1469598103934665603ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
  return h;
}

static char* copy_bytes(const char* p, size_t n) {
  char* out = malloc(n > 0 ? n : 1);
  if (out != NULL && n > 0) memcpy(out, p, n);
  return out;
}

static entry** find_slot(mirror* m, const char* key, size_t key_len) {
  entry** slot = &m->buckets[hash_bytes(key, key_len) & (m->bucket_count - 1)];
  while (*slot != NULL &&
         ((*slot)->key_len != key_len || memcmp((*slot)->key, key, key_len) != 0)) {
    slot = &(*slot)->next;
  }
  return slot;
}

/* Doubles the buckets once there are more records than buckets. */
static void grow(mirror* m) {
  size_t count = m->bucket_count * 2;
  entry** buckets = calloc(count, sizeof *buckets);
  if (buckets == NULL) return; /* keep the longer chains */
  for (size_t i = 0; i < m->bucket_count; ++i) {
    for (entry* e = m->buckets[i]; e != NULL;) {
      entry* next = e->next;
      size_t b = hash_bytes(e->key, e->key_len) & (count - 1);
      e->next = buckets[b];
      buckets[b] = e;
      e = next;
    }
  }
  free(m->buckets);
  m->buckets = buckets;
  m->bucket_count = count;
}

static void put(mirror* m, const hasync_consumer_change* c) {
  entry** slot = find_slot(m, c->key, c->key_len);
  char* value = copy_bytes(c->value, c->value_len);
  if (value == NULL) return;
  if (*slot != NULL) {
    free((*slot)->value);
  } else {
    entry* e = calloc(1, sizeof *e);
    char* key = copy_bytes(c->key, c->key_len);
    if (e == NULL || key == NULL) {
      free(e);
      free(key);
      free(value);
      return;
    }
    e->key = key;
    e->key_len = c->key_len;
    *slot = e;
    if (++m->records > m->bucket_count) grow(m);
    slot = find_slot(m, c->key, c->key_len);
  }
  (*slot)->value = value;
  (*slot)->value_len = c->value_len;
}

static void erase(mirror* m, const hasync_consumer_change* c) {
  entry** slot = find_slot(m, c->key, c->key_len);
  entry* e = *slot;
  if (e == NULL) return;
  *slot = e->next;
  free(e->key);
  free(e->value);
  free(e);
  --m->records;
}

/* Runs on the consumer's thread, one op at a time; the op is acknowledged once it returns. */
static void on_batch(void* user, uint64_t op, int replay, const hasync_consumer_change* changes,
                     size_t count) {
  mirror* m = user;
  (void)op;
  (void)replay;
  pthread_mutex_lock(&m->mutex);
  for (size_t i = 0; i < count; ++i) {
    if (changes[i].deleted) {
      erase(m, &changes[i]);
    } else {
      put(m, &changes[i]);
    }
  }
  m->ops += 1;
  m->changes += count;
  pthread_mutex_unlock(&m->mutex);
}

static void print_counts(mirror* m, hasync_consumer* consumer) {
  hasync_consumer_status s;
  if (hasync_consumer_status_get(consumer, &s) != 0) return;
  pthread_mutex_lock(&m->mutex);
  printf(
      "records=%zu ops=%llu changes=%llu connected=%d last_op=%llu replays=%llu "
      "replayed_records=%llu reconnects=%llu\n",
      m->records, (unsigned long long)m->ops, (unsigned long long)m->changes, s.connected,
      (unsigned long long)s.last_op, (unsigned long long)s.replays,
      (unsigned long long)s.replayed_records, (unsigned long long)s.reconnects);
  pthread_mutex_unlock(&m->mutex);
  fflush(stdout);
}

int main(int argc, char** argv) {
  long seconds = -1; /* until a signal */
  int arg = 1;
  if (arg + 1 < argc && strcmp(argv[arg], "-n") == 0) {
    seconds = strtol(argv[arg + 1], NULL, 10);
    arg += 2;
  }
  if (arg >= argc) {
    fprintf(stderr, "usage: %s [-n SECONDS] TABLE [HOST:PORT ...]\n", argv[0]);
    return 2;
  }
  const char* table = argv[arg++];
  static const char* default_endpoint[] = {"127.0.0.1:7402"};
  hasync_consumer_options options;
  memset(&options, 0, sizeof options);
  options.endpoints = arg < argc ? (const char* const*)&argv[arg] : default_endpoint;
  options.endpoint_count = arg < argc ? (size_t)(argc - arg) : 1;
  options.table = table;
  options.name = "consumer_c";

  mirror m;
  memset(&m, 0, sizeof m);
  pthread_mutex_init(&m.mutex, NULL);
  m.bucket_count = 1024;
  m.buckets = calloc(m.bucket_count, sizeof *m.buckets);
  if (m.buckets == NULL) return 1;

  char error[256];
  hasync_consumer* consumer = hasync_consumer_new(&options, on_batch, &m, error, sizeof error);
  if (consumer == NULL) {
    fprintf(stderr, "consumer_c: %s\n", error);
    return 2;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  if (hasync_consumer_start(consumer) != 0) {
    fprintf(stderr, "consumer_c: %s\n", hasync_consumer_error(consumer));
    hasync_consumer_free(consumer);
    return 1;
  }
  for (long elapsed = 0; !stop_requested && (seconds < 0 || elapsed < seconds); ++elapsed) {
    struct timespec one_second = {1, 0};
    nanosleep(&one_second, NULL); /* a signal cuts it short */
    print_counts(&m, consumer);
  }
  hasync_consumer_free(consumer); /* stops it: no callback after this */
  printf("mirrored %zu records of table %s\n", m.records, table);
  return 0;
}
