#include "core/rate_limit.h"

#include <algorithm>
#include <cmath>

namespace tnps::core {

std::optional<std::string> RateLimitsProblem(const RateLimits& limits) {
  if (!(limits.calls_per_second > 0) || !std::isfinite(limits.calls_per_second)) {
    return "calls_per_second must be a positive number";
  }
  if (!(limits.rows_per_second > 0) || !std::isfinite(limits.rows_per_second)) {
    return "rows_per_second must be a positive number";
  }
  if (limits.call_burst < 1) return "call_burst must be at least 1";
  if (limits.row_burst < 1) return "row_burst must be at least 1";
  return std::nullopt;
}

RateLimits ReplicaShare(const RateLimits& limits, int replicas) {
  if (replicas <= 1) return limits;
  const auto burst_share = [replicas](int64_t burst) {
    return std::max<int64_t>(1, burst / replicas);
  };
  return {.calls_per_second = limits.calls_per_second / replicas,
          .call_burst = burst_share(limits.call_burst),
          .rows_per_second = limits.rows_per_second / replicas,
          .row_burst = burst_share(limits.row_burst)};
}

TokenBucket::TokenBucket(double rate, int64_t burst, absl::Time now)
    : rate_(rate), burst_(static_cast<double>(burst)), level_(burst_), updated_(now) {}

double TokenBucket::Level(absl::Time now) const {
  const double elapsed = std::max(0.0, absl::ToDoubleSeconds(now - updated_));
  return std::min(burst_, level_ + elapsed * rate_);
}

absl::Duration TokenBucket::WaitFor(double tokens, absl::Time now) const {
  const double level = Level(now);
  const double needed = std::min(tokens, burst_);
  if (level >= needed) return absl::ZeroDuration();
  // Rounded up, so that a caller retrying after the delay succeeds.
  return absl::Ceil(absl::Seconds((needed - level) / rate_), absl::Milliseconds(1));
}

absl::Duration TokenBucket::Take(double tokens, absl::Time now) {
  const absl::Duration wait = WaitFor(tokens, now);
  if (wait > absl::ZeroDuration()) return wait;
  level_ = Level(now) - tokens;
  updated_ = std::max(now, updated_);
  return wait;
}

bool TokenBucket::Full(absl::Time now) const { return Level(now) >= burst_; }

}  // namespace tnps::core
