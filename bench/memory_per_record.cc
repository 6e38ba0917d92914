// Measures what a stored record really costs: inserts N records (default 1,000,000) with 32-byte
// keys and 200-byte values into one table and prints, as one JSON line, the growth of the
// resident set per record and the part of it beyond the key and value bytes (record header,
// index slots, allocator overhead).
//   ./build/store-rel/bench/memory_per_record [N]
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "store/table.h"

namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kValueBytes = 200;

// Resident set size in bytes, from /proc/self/statm (second field, in pages).
size_t ResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int fields = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return fields == 2 ? resident * static_cast<size_t>(sysconf(_SC_PAGESIZE)) : 0;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  if (n == 0) {
    std::fprintf(stderr, "usage: %s [records > 0]\n", argv[0]);
    return 2;
  }
  const std::string value(kValueBytes, 'v');
  char key[kKeyBytes] = {};

  size_t before = ResidentBytes();
  hasync::store::Table table("memory", hasync::store::Limits{});
  for (uint64_t i = 0; i < n; ++i) {
    std::memcpy(key, &i, sizeof(i));  // the rest of the key stays zero: distinct, fixed size
    hasync::Status s = table.Upsert(std::string_view(key, kKeyBytes), value, i + 1, 0, 1);
    if (!s.ok()) {
      std::fprintf(stderr, "insert %llu failed: %s\n", static_cast<unsigned long long>(i),
                   s.ToString().c_str());
      return 1;
    }
  }
  size_t after = ResidentBytes();

  double per_record = static_cast<double>(after - before) / static_cast<double>(n);
  std::printf(
      "{\"records\":%zu,\"key_bytes\":%zu,\"value_bytes\":%zu,\"rss_growth_bytes\":%zu,"
      "\"rss_bytes_per_record\":%.1f,\"overhead_bytes_per_record\":%.1f}\n",
      n, kKeyBytes, kValueBytes, after - before, per_record,
      per_record - static_cast<double>(kKeyBytes + kValueBytes));
  return table.size() == n ? 0 : 1;
}
