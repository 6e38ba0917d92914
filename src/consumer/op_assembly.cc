#include "consumer/op_assembly.h"

#include <fmt/format.h>

namespace hasync::consumer {

Status OpAssembly::Continues(const wire::ConsumerUpdate& f) const {
  const wire::ConsumerUpdate& h = header_;
  if (f.op != h.op) {
    return ProtocolError(
        fmt::format("an update of op {} came while op {} misses fragments", f.op, h.op));
  }
  if (f.channel != h.channel || f.term != h.term || f.mask != h.mask || f.replay != h.replay ||
      f.reset != h.reset) {
    return ProtocolError(fmt::format("a fragment of op {} changes the op's header", f.op));
  }
  return Status::Ok();
}

Status OpAssembly::Add(const wire::ConsumerUpdate& fragment) {
  if (open_) {
    if (Status s = Continues(fragment); !s.ok()) return s;
  }
  size_t records = entries_.size() + fragment.records.size();
  size_t cost = cost_;
  for (const wire::UpdateRecord& r : fragment.records) {
    cost += r.key.size() + r.value.size() + kRecordOverheadBytes;
  }
  if (records > limits_.max_records || cost > limits_.max_bytes) {
    return ProtocolError(
        fmt::format("op {} grows past the assembly bound ({} records, {} bytes; at most {} and {})",
                    fragment.op, records, cost, limits_.max_records, limits_.max_bytes));
  }
  if (!open_) {
    header_ = fragment;
    header_.records.clear();
    open_ = true;
  }
  for (const wire::UpdateRecord& r : fragment.records) {
    entries_.push_back({.at = bytes_.size(),
                        .key_bytes = static_cast<uint16_t>(r.key.size()),
                        .value_bytes = static_cast<uint32_t>(r.value.size()),
                        .section = r.section,
                        .kind = r.kind});
    bytes_.append(r.key);
    bytes_.append(r.value);
  }
  cost_ = cost;
  return Status::Ok();
}

std::vector<wire::UpdateRecord> OpAssembly::Records() const {
  std::vector<wire::UpdateRecord> records;
  records.reserve(entries_.size());
  std::string_view bytes = bytes_;
  for (const Entry& e : entries_) {
    records.push_back({.section = e.section,
                       .kind = e.kind,
                       .key = bytes.substr(e.at, e.key_bytes),
                       .value = bytes.substr(e.at + e.key_bytes, e.value_bytes)});
  }
  return records;
}

void OpAssembly::Clear() {
  open_ = false;
  header_ = {};
  // Released rather than kept: a large replay should not pin its memory after it is applied.
  std::string().swap(bytes_);
  std::vector<Entry>().swap(entries_);
  cost_ = 0;
}

}  // namespace hasync::consumer
