// SpdlogLevel: the severity of a sans-IO component's log line (core::LogLine) as spdlog's level,
// for the drivers that write those lines with spdlog (net/, consumer/). Header-only, so that the
// core itself neither links nor logs through spdlog.
#pragma once

#include <spdlog/common.h>

#include "core/effects.h"

namespace hasync::core {

inline spdlog::level::level_enum SpdlogLevel(Severity severity) {
  switch (severity) {
    case Severity::kDebug:
      return spdlog::level::debug;
    case Severity::kInfo:
      return spdlog::level::info;
    case Severity::kWarning:
      return spdlog::level::warn;
    case Severity::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace hasync::core
