// Time as an injected value: protocol state machines take `now` as an argument instead of
// reading a clock, so tests drive time explicitly.
#pragma once

#include <chrono>

namespace sluice {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

}  // namespace sluice
