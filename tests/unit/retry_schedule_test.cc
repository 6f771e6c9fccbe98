#include "core/retry_schedule.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

TEST(RetrySchedule, DelayDoublesFromTheFirstWithoutJitter) {
  const RetrySchedule schedule;
  EXPECT_EQ(*NextAttempt(schedule, 1, kStart, kStart, 1.0), kStart + absl::Seconds(10));
  EXPECT_EQ(*NextAttempt(schedule, 2, kStart, kStart, 1.0), kStart + absl::Seconds(20));
  EXPECT_EQ(*NextAttempt(schedule, 5, kStart, kStart, 1.0), kStart + absl::Seconds(160));
}

TEST(RetrySchedule, JitterNeverWaitsLessThanHalf) {
  const RetrySchedule schedule;
  EXPECT_EQ(*NextAttempt(schedule, 3, kStart, kStart, 0.0), kStart + absl::Seconds(20));
  EXPECT_EQ(*NextAttempt(schedule, 3, kStart, kStart, 0.5), kStart + absl::Seconds(30));
}

TEST(RetrySchedule, DelayStopsGrowingAtTheMaximum) {
  const RetrySchedule schedule;
  EXPECT_EQ(*NextAttempt(schedule, 13, kStart, kStart, 1.0), kStart + absl::Hours(1));
  EXPECT_EQ(*NextAttempt(schedule, 1000, kStart, kStart, 1.0), kStart + absl::Hours(1));
}

TEST(RetrySchedule, LastAttemptIsAtTheDeadlineThenNone) {
  const RetrySchedule schedule;
  const absl::Time late = kStart + absl::Hours(23) + absl::Minutes(30);
  EXPECT_EQ(*NextAttempt(schedule, 20, kStart, late, 1.0), kStart + absl::Hours(24));
  EXPECT_FALSE(NextAttempt(schedule, 21, kStart, kStart + absl::Hours(24), 1.0).has_value());
}

TEST(RetrySchedule, ADayOfFailuresIsThirtyThreeAttempts) {
  // Nine doubling waits (10 s to 2,560 s) take the first 85 minutes, 22
  // hourly ones most of the rest, and the last attempt is at the deadline.
  const RetrySchedule schedule;
  absl::Time now = kStart;
  int attempts = 1;
  while (std::optional<absl::Time> next = NextAttempt(schedule, attempts, kStart, now, 1.0)) {
    now = *next;
    ++attempts;
  }
  EXPECT_EQ(attempts, 33);
  EXPECT_EQ(now, kStart + absl::Hours(24));
}

}  // namespace
}  // namespace tnps::core
