// Trace: the human-readable log of one seed's run (hasync_sim --seed S --trace).
//
// Every line is "<virtual time in s> <who> <what>". Formatting happens only when tracing is on,
// and nothing here draws randomness or feeds back into the run, so a traced and an untraced run
// of a seed take exactly the same steps; two traced runs print identical text.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "core/config.h"
#include "fmt/format.h"

namespace hasync::sim {

class Trace {
 public:
  explicit Trace(std::ostream* out) : out_(out) {}
  bool on() const { return out_ != nullptr; }

  template <typename... Args>
  void operator()(core::TimePoint now, std::string_view who, fmt::format_string<Args...> format,
                  Args&&... args) {
    if (out_ == nullptr) return;
    *out_ << Time(now) << ' ' << who << ' ' << fmt::format(format, std::forward<Args>(args)...)
          << '\n';
  }

  // Seconds with nanosecond digits, from integers only: "12.000345678".
  static std::string Time(core::TimePoint t) {
    return fmt::format("{:>3}.{:09}", t.count() / 1'000'000'000, t.count() % 1'000'000'000);
  }

 private:
  std::ostream* out_;
};

// "n1"/"n2" for node slots 0/1 (node ids 1 and 2).
inline std::string_view NodeName(int slot) { return slot == 0 ? "n1" : "n2"; }

}  // namespace hasync::sim
