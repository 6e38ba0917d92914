// OpAssembly: the fragments of one op (ConsumerUpdate frames flagged kUpdateMore, then the last
// one), copied out of their frames until the op is complete and can be applied as a whole.
//
// Bounded: a node may cut a large replay into many fragments, but a hostile or broken one must
// not make a consumer buffer without limit, so an op over max_records records or max_bytes bytes
// (keys and values plus kRecordOverheadBytes a record) is refused with a kProtocol status. Every
// fragment must repeat the first one's header (channel, op, term, mask, flags, reset).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "hasync/status.h"
#include "wire/consumer_messages.h"

namespace hasync::consumer {

struct AssemblyLimits {
  size_t max_records = size_t{64} << 20;
  size_t max_bytes = size_t{1} << 30;
};

class OpAssembly {
 public:
  // What one buffered record costs besides its key and value (its entry below), counted against
  // max_bytes so that many empty records cannot get around the bound.
  static constexpr size_t kRecordOverheadBytes = 24;

  explicit OpAssembly(AssemblyLimits limits) : limits_(limits) {}

  bool open() const { return open_; }
  // Adds a fragment: opens the op if none is open, else checks it continues the open one. On an
  // error the assembly is left as it was; the caller drops the connection and Clear()s.
  Status Add(const wire::ConsumerUpdate& fragment);
  // The op's header (records empty) and its records, as views into this assembly, valid until
  // the next Add or Clear.
  const wire::ConsumerUpdate& header() const { return header_; }
  std::vector<wire::UpdateRecord> Records() const;
  void Clear();

 private:
  struct Entry {
    size_t at;  // key then value in bytes_
    uint16_t key_bytes;
    uint32_t value_bytes;
    uint8_t section;
    wire::UpdateKind kind;
  };
  Status Continues(const wire::ConsumerUpdate& fragment) const;

  AssemblyLimits limits_;
  bool open_ = false;
  wire::ConsumerUpdate header_;
  std::string bytes_;
  std::vector<Entry> entries_;
  size_t cost_ = 0;  // against limits_.max_bytes
};

}  // namespace hasync::consumer
