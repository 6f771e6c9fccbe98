#include "core/retry_schedule.h"

#include <algorithm>

namespace tnps::core {

std::optional<absl::Time> NextAttempt(const RetrySchedule& schedule, int attempts,
                                      absl::Time first_attempt, absl::Time now, double jitter) {
  const absl::Time deadline = first_attempt + schedule.give_up_after;
  if (now >= deadline) return std::nullopt;
  absl::Duration delay = schedule.first_delay;
  for (int i = 1; i < attempts && delay < schedule.max_delay; ++i) delay *= 2;
  delay = std::min(delay, schedule.max_delay) * ((1 + std::clamp(jitter, 0.0, 1.0)) / 2);
  return std::min(now + delay, deadline);
}

}  // namespace tnps::core
