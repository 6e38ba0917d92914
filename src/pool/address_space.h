// AddressSpace: the addresses of one pool, numbered 0..size()-1 ("ordinals"), and the text forms
// of IPv4 and IPv6 addresses.
//
// A pool is configured as ranges minus exclusions. Ordinals run through the ranges in
// configuration order, each range ascending, skipping excluded addresses; the shares of the two
// nodes are defined on ordinals, so both nodes must derive the same numbering from the same
// configuration, and Canonical() lets them check that they do.
//
// Guarantees: Create() validates everything and reports bad configuration as a kInvalidArgument
// Status naming the offending entry, never by crashing; an AddressSpace never holds more than
// kMaxPoolAddresses addresses, so every ordinal fits in a uint64_t. Lookups in either direction
// are O(log segments), where a segment is a run of consecutive addresses left by the exclusions.
// Immutable after Create(), so it is safe to share between threads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hasync/status.h"

namespace hasync::pool {

__extension__ using Uint128 = unsigned __int128;  // __extension__ keeps -Wpedantic quiet

enum class Family : uint8_t { kV4 = 4, kV6 = 6 };

// An IPv4 address lives in the low 32 bits of `value`; an IPv6 address uses all 128.
struct Address {
  Family family = Family::kV4;
  Uint128 value = 0;
};
bool operator==(const Address& a, const Address& b);

// An IPv4 dotted quad or IPv6 text (inet_pton's syntax; an IPv4-mapped IPv6 address stays IPv6).
// kInvalidArgument naming the text otherwise.
Result<Address> ParseAddress(std::string_view text);
// Canonical text: a dotted quad, or RFC 5952 (lower case, longest run of zeros as "::").
// ParseAddress(FormatAddress(a)) == a for every valid address.
std::string FormatAddress(const Address& address);

// Large enough for any real pool; small enough that ordinals and their sums never overflow.
inline constexpr uint64_t kMaxPoolAddresses = uint64_t{1} << 62;

class AddressSpace {
 public:
  // `ranges` and `exclude` entries: a CIDR prefix "10.0.0.0/24" / "2001:db8::/120" (every address
  // of the prefix, network and broadcast included: exclude them if unwanted; host bits set is an
  // error), a range "10.0.1.10-10.0.1.50" (inclusive, spaces around '-' allowed), or one address.
  // Errors (kInvalidArgument, the message names the offending entry): unparsable; families mixed
  // (ranges and excludes must all be one family); first > last; prefix length beyond the family;
  // two ranges overlapping; no ranges; no address left after exclusion; more than
  // kMaxPoolAddresses addresses after exclusion. Excludes may overlap each other, and an exclude
  // outside every range is allowed (it has no effect).
  static Result<AddressSpace> Create(std::span<const std::string> ranges,
                                     std::span<const std::string> exclude);

  Family family() const { return family_; }
  uint64_t size() const { return size_; }

  // nullopt when the address is outside every range, excluded, or of the other family.
  std::optional<uint64_t> OrdinalOf(const Address& address) const;
  // Parses, then looks up; nullopt when `text` is not an address.
  std::optional<uint64_t> OrdinalOf(std::string_view text) const;
  // Precondition: ordinal < size(). Past the end it returns the zero address of the family
  // rather than reading out of bounds.
  Address AddressAt(uint64_t ordinal) const;
  std::string TextAt(uint64_t ordinal) const { return FormatAddress(AddressAt(ordinal)); }

  // The numbered segments in ordinal order, "first-last" joined by ',' (e.g.
  // "10.0.0.0-10.0.0.9,10.0.0.11-10.0.0.255"), for the digest both nodes compare. Segments that
  // continue each other in both ordinal and address order are joined, so two spaces that number
  // the same addresses the same way give the same text, however they were written.
  std::string Canonical() const;

 private:
  // A run of consecutive addresses with consecutive ordinals, starting at ordinal `start`.
  struct Segment {
    Uint128 first = 0;
    Uint128 last = 0;
    uint64_t start = 0;
  };

  AddressSpace() = default;
  // Numbers [first, last] after the segments so far, joining it to the last one when they are
  // contiguous; refuses when the pool would pass kMaxPoolAddresses (`range` names the culprit).
  Status Append(Uint128 first, Uint128 last, std::string_view range);
  // Fills by_address_ once segments_ is complete.
  void Index();

  Family family_ = Family::kV4;
  uint64_t size_ = 0;
  std::vector<Segment> segments_;   // in ordinal order: `start` ascends
  std::vector<size_t> by_address_;  // indexes of segments_, by ascending `first`
};

}  // namespace hasync::pool
