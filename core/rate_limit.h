// Rate limits: how many calls and rows a key may send per second, with the
// bursts it may save up, and the token bucket that enforces one of them.
#ifndef TNPS_CORE_RATE_LIMIT_H_
#define TNPS_CORE_RATE_LIMIT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace tnps::core {

struct RateLimits {
  double calls_per_second = 0;
  int64_t call_burst = 0;
  // Responses submitted, whatever the RPC.
  double rows_per_second = 0;
  int64_t row_burst = 0;

  bool operator==(const RateLimits&) const = default;
};

// Why `limits` cannot be enforced (a rate not above zero, a burst below one
// or below one second's rate is fine), or nullopt when they can.
std::optional<std::string> RateLimitsProblem(const RateLimits& limits);

// One replica's share of `limits` when `replicas` servers (at least 1)
// behind a balancer that spreads calls evenly enforce them each on its own:
// rates divided by `replicas`, bursts too (rounded down) but never below 1,
// so that together they allow what one server alone would (a burst of B
// over N replicas allows at most max(B, N)).
RateLimits ReplicaShare(const RateLimits& limits, int replicas);

// A bucket that fills at `rate` tokens per second up to `burst` and starts
// full. Taking more than is there is refused, except that a request larger
// than the whole burst is allowed from a full bucket and leaves it in debt,
// so that it is paid for in time rather than refused forever.
class TokenBucket {
 public:
  TokenBucket(double rate, int64_t burst, absl::Time now);

  // Takes `tokens` and returns zero, or takes nothing and returns how long
  // until the same request would succeed.
  absl::Duration Take(double tokens, absl::Time now);
  // What Take would return, without taking anything.
  absl::Duration WaitFor(double tokens, absl::Time now) const;

  // Whether the bucket is full at `now` (an idle bucket can be forgotten).
  bool Full(absl::Time now) const;

 private:
  double Level(absl::Time now) const;

  double rate_;
  double burst_;
  double level_;
  absl::Time updated_;
};

}  // namespace tnps::core

#endif  // TNPS_CORE_RATE_LIMIT_H_
