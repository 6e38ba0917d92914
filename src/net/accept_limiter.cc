#include "net/accept_limiter.h"

#include <fmt/format.h>

#include <algorithm>

namespace hasync::net {

AcceptLimiter::AcceptLimiter(uint32_t per_second)
    : limit_(per_second), per_second_(per_second), tokens_(per_second) {}

bool AcceptLimiter::Admit(Clock::time_point now, std::string_view address) {
  if (started_ && now > last_refill_) {
    double elapsed = std::chrono::duration<double>(now - last_refill_).count();
    tokens_ = std::min(per_second_, tokens_ + elapsed * per_second_);
  }
  if (!started_ || now > last_refill_) last_refill_ = now;
  started_ = true;
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return true;
  }
  ++refused_;
  auto it = std::find_if(sources_.begin(), sources_.end(),
                         [&](const auto& source) { return source.first == address; });
  if (it != sources_.end()) {
    ++it->second;
  } else if (sources_.size() < kMaxSources) {
    sources_.emplace_back(address, 1);
  } else {
    ++refused_from_others_;
  }
  return false;
}

std::optional<std::string> AcceptLimiter::TakeSummary() {
  if (refused_ == 0) return std::nullopt;
  auto top = std::max_element(sources_.begin(), sources_.end(),
                              [](const auto& a, const auto& b) { return a.second < b.second; });
  std::string from = top->first;
  if (sources_.size() > 1 || refused_from_others_ > 0) {
    from += fmt::format(" ({}) and {}{} other addresses", top->second,
                        refused_from_others_ > 0 ? "more than " : "", sources_.size() - 1);
  }
  std::string summary = fmt::format(
      "refused {} connection{} from {} in the last second: over max_connections_per_second ({})",
      refused_, refused_ == 1 ? "" : "s", from, limit_);
  refused_ = 0;
  refused_from_others_ = 0;
  sources_.clear();
  return summary;
}

}  // namespace hasync::net
