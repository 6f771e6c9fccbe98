// When a failed webhook delivery is tried again: exponential backoff with
// jitter, until a deadline counted from the first attempt, then never.
#ifndef TNPS_CORE_RETRY_SCHEDULE_H_
#define TNPS_CORE_RETRY_SCHEDULE_H_

#include <optional>

#include "absl/time/time.h"

namespace tnps::core {

struct RetrySchedule {
  // The wait after the first failure; it doubles after every further one,
  // up to max_delay.
  absl::Duration first_delay = absl::Seconds(10);
  absl::Duration max_delay = absl::Hours(1);
  // No attempt starts later than this after the first one.
  absl::Duration give_up_after = absl::Hours(24);
};

// The time of the next attempt after failed attempt number `attempts` (1
// for the first), which ended at `now`, the first having started at
// `first_attempt`; nullopt once the deadline has passed (the event is
// dead). The wait is d·(1 + jitter)/2 for the doubled delay d and `jitter`
// in [0, 1]: spread, so that the receivers of a burst are not hit in step,
// but never less than half of d. The last attempt is at the deadline.
std::optional<absl::Time> NextAttempt(const RetrySchedule& schedule, int attempts,
                                      absl::Time first_attempt, absl::Time now, double jitter);

}  // namespace tnps::core

#endif  // TNPS_CORE_RETRY_SCHEDULE_H_
