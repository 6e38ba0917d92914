#include "pool/address_space.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <numeric>

namespace hasync::pool {
namespace {

constexpr Uint128 kAllOnes = ~Uint128{0};
// The longest text inet_pton accepts ("ffff:...:ffff:255.255.255.255"); longer is never an address.
constexpr size_t kMaxAddressText = 45;
// Error messages quote configuration text; a hostile or broken entry must not make them huge.
constexpr size_t kMaxQuoted = 80;

int Bits(Family family) { return family == Family::kV4 ? 32 : 128; }
const char* FamilyName(Family family) { return family == Family::kV4 ? "IPv4" : "IPv6"; }

// The host part of a prefix of `length` bits; written so that a /0 of IPv6 never shifts by 128.
Uint128 HostMask(Family family, unsigned length) {
  const unsigned host_bits = static_cast<unsigned>(Bits(family)) - length;
  return host_bits == 128 ? kAllOnes : (Uint128{1} << host_bits) - 1;
}

std::string_view Trim(std::string_view text) {
  constexpr std::string_view kBlank = " \t";
  const size_t begin = text.find_first_not_of(kBlank);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kBlank) - begin + 1);
}

// 'text', shortened and with control bytes replaced, for an error message.
std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, kMaxQuoted)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte >= 0x7f ? '?' : c;
  }
  if (text.size() > kMaxQuoted) out += "...";
  return out + "'";
}

// One parsed configuration entry: the inclusive interval [first, last].
struct Interval {
  Family family = Family::kV4;
  Uint128 first = 0;
  Uint128 last = 0;
};

Result<Interval> ParsePrefix(std::string_view address_text, std::string_view length_text) {
  Result<Address> address = ParseAddress(Trim(address_text));
  if (!address.ok()) return address.status();
  const Family family = address->family;
  length_text = Trim(length_text);
  unsigned length = 0;
  const char* end = length_text.data() + length_text.size();
  auto [ptr, ec] = std::from_chars(length_text.data(), end, length);
  if (length_text.empty() || ec != std::errc() || ptr != end) {
    return InvalidArgument("prefix length " + Quote(length_text) + " is not a number of bits");
  }
  if (length > static_cast<unsigned>(Bits(family))) {
    return InvalidArgument("prefix length " + std::to_string(length) + " is beyond the " +
                           std::to_string(Bits(family)) + " bits of " + FamilyName(family));
  }
  const Uint128 host = HostMask(family, length);
  if ((address->value & host) != 0) {
    const Address network{family, address->value & ~host};
    return InvalidArgument("host bits are set; the prefix is " + FormatAddress(network) + "/" +
                           std::to_string(length));
  }
  return Interval{family, address->value, address->value | host};
}

Result<Interval> ParseRange(std::string_view first_text, std::string_view last_text) {
  Result<Address> first = ParseAddress(Trim(first_text));
  if (!first.ok()) return first.status();
  Result<Address> last = ParseAddress(Trim(last_text));
  if (!last.ok()) return last.status();
  if (first->family != last->family) return InvalidArgument("the range mixes IPv4 and IPv6");
  if (first->value > last->value) {
    return InvalidArgument("first address " + FormatAddress(*first) + " is after last " +
                           FormatAddress(*last));
  }
  return Interval{first->family, first->value, last->value};
}

// "a/n", "a-b" or "a"; the error says what is wrong but not which entry (the caller adds it).
Result<Interval> ParseEntry(std::string_view entry) {
  entry = Trim(entry);
  if (entry.empty()) return InvalidArgument("empty entry");
  if (size_t slash = entry.find('/'); slash != std::string_view::npos) {
    return ParsePrefix(entry.substr(0, slash), entry.substr(slash + 1));
  }
  // IPv6 text has no '-', so the first one separates the two ends.
  if (size_t dash = entry.find('-'); dash != std::string_view::npos) {
    return ParseRange(entry.substr(0, dash), entry.substr(dash + 1));
  }
  Result<Address> address = ParseAddress(entry);
  if (!address.ok()) return address.status();
  return Interval{address->family, address->value, address->value};
}

// Parses every entry of one list; all must be of `*family`, which the first one sets if unset.
Status ParseEntries(std::span<const std::string> entries, std::string_view kind,
                    std::optional<Family>* family, std::vector<Interval>* out) {
  for (const std::string& entry : entries) {
    Result<Interval> interval = ParseEntry(entry);
    if (!interval.ok()) {
      return InvalidArgument(std::string(kind) + " " + Quote(entry) + ": " +
                             interval.status().message());
    }
    if (!family->has_value()) *family = interval->family;
    if (interval->family != **family) {
      return InvalidArgument(std::string(kind) + " " + Quote(entry) + " is " +
                             FamilyName(interval->family) + " but the pool's ranges are " +
                             FamilyName(**family) + "; a pool holds one family");
    }
    out->push_back(*interval);
  }
  return Status::Ok();
}

Status CheckNoOverlap(const std::vector<Interval>& ranges, std::span<const std::string> texts) {
  std::vector<size_t> order(ranges.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return ranges[a].first < ranges[b].first; });
  // Sorted by first address, a range overlaps another only if it overlaps its predecessor.
  for (size_t k = 1; k < order.size(); ++k) {
    const size_t a = std::min(order[k - 1], order[k]);
    const size_t b = std::max(order[k - 1], order[k]);
    if (ranges[order[k]].first <= ranges[order[k - 1]].last) {
      return InvalidArgument("pool ranges " + Quote(texts[a]) + " and " + Quote(texts[b]) +
                             " overlap");
    }
  }
  return Status::Ok();
}

// Sorted by first address with overlapping excludes joined: then both ends ascend, which the
// subtraction below relies on to find a range's first exclude by binary search.
std::vector<Interval> Normalize(std::vector<Interval> excludes) {
  std::sort(excludes.begin(), excludes.end(),
            [](const Interval& a, const Interval& b) { return a.first < b.first; });
  std::vector<Interval> out;
  for (const Interval& e : excludes) {
    if (!out.empty() && e.first <= out.back().last) {
      out.back().last = std::max(out.back().last, e.last);
    } else {
      out.push_back(e);
    }
  }
  return out;
}

}  // namespace

bool operator==(const Address& a, const Address& b) {
  return a.family == b.family && a.value == b.value;
}

Result<Address> ParseAddress(std::string_view text) {
  // inet_pton wants a NUL-terminated string: a NUL inside `text` would cut it short.
  if (text.empty() || text.size() > kMaxAddressText || text.find('\0') != std::string_view::npos) {
    return InvalidArgument("not an IPv4 or IPv6 address: " + Quote(text));
  }
  std::array<char, kMaxAddressText + 1> buffer{};
  std::copy(text.begin(), text.end(), buffer.begin());
  const bool v6 = text.find(':') != std::string_view::npos;
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(v6 ? AF_INET6 : AF_INET, buffer.data(), bytes.data()) != 1) {
    return InvalidArgument("not an IPv4 or IPv6 address: " + Quote(text));
  }
  Uint128 value = 0;
  for (size_t i = 0; i < (v6 ? 16u : 4u); ++i) value = (value << 8) | bytes[i];
  return Address{v6 ? Family::kV6 : Family::kV4, value};
}

std::string FormatAddress(const Address& address) {
  const bool v4 = address.family == Family::kV4;
  const size_t size = v4 ? 4 : 16;
  std::array<unsigned char, 16> bytes{};
  Uint128 value = address.value;
  for (size_t i = size; i-- > 0; value >>= 8) bytes[i] = static_cast<unsigned char>(value);
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (inet_ntop(v4 ? AF_INET : AF_INET6, bytes.data(), text.data(), text.size()) == nullptr) {
    return {};  // only on a buffer too small, which INET6_ADDRSTRLEN rules out
  }
  return text.data();
}

Result<AddressSpace> AddressSpace::Create(std::span<const std::string> ranges,
                                          std::span<const std::string> exclude) {
  if (ranges.empty()) return InvalidArgument("pool has no ranges: at least one is needed");
  std::optional<Family> family;
  std::vector<Interval> wanted;
  std::vector<Interval> unwanted;
  Status status = ParseEntries(ranges, "pool range", &family, &wanted);
  if (status.ok()) status = ParseEntries(exclude, "pool exclude", &family, &unwanted);
  if (status.ok()) status = CheckNoOverlap(wanted, ranges);
  if (!status.ok()) return status;
  unwanted = Normalize(std::move(unwanted));

  AddressSpace space;
  space.family_ = *family;
  for (size_t i = 0; i < wanted.size() && status.ok(); ++i) {
    const Interval& range = wanted[i];
    auto e = std::partition_point(unwanted.begin(), unwanted.end(),
                                  [&](const Interval& x) { return x.last < range.first; });
    Uint128 next = range.first;  // the first address of the range not yet handled
    bool covered = false;        // the rest of the range is excluded
    for (; e != unwanted.end() && e->first <= range.last && status.ok(); ++e) {
      if (e->first > next) status = space.Append(next, e->first - 1, ranges[i]);
      if (e->last >= range.last) {
        covered = true;
        break;
      }
      next = e->last + 1;  // cannot wrap: e->last < range.last
    }
    if (!covered && status.ok()) status = space.Append(next, range.last, ranges[i]);
  }
  if (!status.ok()) return status;
  if (space.segments_.empty()) {
    return InvalidArgument("pool has no address left: the excludes cover every range");
  }
  space.Index();
  return space;
}

Status AddressSpace::Append(Uint128 first, Uint128 last, std::string_view range) {
  // Checked before adding, in terms that cannot overflow: last - first is at most 2^128 - 1, and
  // size_ stays at most kMaxPoolAddresses.
  const Uint128 span = last - first;
  if (span >= kMaxPoolAddresses || static_cast<uint64_t>(span) + 1 > kMaxPoolAddresses - size_) {
    return InvalidArgument("pool range " + Quote(range) +
                           " makes the pool too large: at most 2^62 addresses per pool");
  }
  const uint64_t count = static_cast<uint64_t>(span) + 1;
  if (!segments_.empty() && segments_.back().last != kAllOnes &&
      segments_.back().last + 1 == first) {
    segments_.back().last = last;  // one run in both orders: the canonical text must not split it
  } else {
    segments_.push_back({first, last, size_});
  }
  size_ += count;
  return Status::Ok();
}

void AddressSpace::Index() {
  by_address_.resize(segments_.size());
  std::iota(by_address_.begin(), by_address_.end(), size_t{0});
  std::sort(by_address_.begin(), by_address_.end(),
            [&](size_t a, size_t b) { return segments_[a].first < segments_[b].first; });
}

std::optional<uint64_t> AddressSpace::OrdinalOf(const Address& address) const {
  if (address.family != family_) return std::nullopt;
  // The last segment starting at or before the address is the only one that can hold it.
  auto after = std::partition_point(by_address_.begin(), by_address_.end(),
                                    [&](size_t i) { return segments_[i].first <= address.value; });
  if (after == by_address_.begin()) return std::nullopt;
  const Segment& segment = segments_[*(after - 1)];
  if (address.value > segment.last) return std::nullopt;
  return segment.start + static_cast<uint64_t>(address.value - segment.first);
}

std::optional<uint64_t> AddressSpace::OrdinalOf(std::string_view text) const {
  Result<Address> address = ParseAddress(text);
  if (!address.ok()) return std::nullopt;
  return OrdinalOf(*address);
}

Address AddressSpace::AddressAt(uint64_t ordinal) const {
  if (ordinal >= size_) return Address{family_, 0};
  auto after = std::partition_point(segments_.begin(), segments_.end(),
                                    [&](const Segment& s) { return s.start <= ordinal; });
  const Segment& segment = *(after - 1);  // segments_[0].start == 0, so `after` is past it
  return Address{family_, segment.first + (ordinal - segment.start)};
}

std::string AddressSpace::Canonical() const {
  std::string out;
  for (const Segment& segment : segments_) {
    if (!out.empty()) out += ',';
    out += FormatAddress(Address{family_, segment.first});
    out += '-';
    out += FormatAddress(Address{family_, segment.last});
  }
  return out;
}

}  // namespace hasync::pool
