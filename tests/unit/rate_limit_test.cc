#include "core/rate_limit.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1'800'000'000);

TEST(ReplicaShare, DividesRatesAndBurstsButKeepsABurstOfOne) {
  const RateLimits limits{
      .calls_per_second = 90, .call_burst = 10, .rows_per_second = 3000, .row_burst = 2};
  EXPECT_EQ(ReplicaShare(limits, 1), limits);
  EXPECT_EQ(ReplicaShare(limits, 0), limits);
  EXPECT_EQ(ReplicaShare(limits, 3),
            (RateLimits{
                .calls_per_second = 30, .call_burst = 3, .rows_per_second = 1000, .row_burst = 1}));
  EXPECT_EQ(ReplicaShare(limits, 5).call_burst, 2);
  EXPECT_EQ(ReplicaShare(limits, 6).call_burst, 1);
  EXPECT_EQ(ReplicaShare(limits, 20).call_burst, 1);
  EXPECT_DOUBLE_EQ(ReplicaShare(limits, 4).calls_per_second, 22.5);
}

TEST(TokenBucket, StartsFullAndRefusesBeyondTheBurst) {
  TokenBucket bucket(/*rate=*/10, /*burst=*/3, kStart);
  EXPECT_EQ(bucket.Take(1, kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.Take(1, kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.Take(1, kStart), absl::ZeroDuration());
  // Empty: one token comes back in 1/10 s.
  EXPECT_EQ(bucket.Take(1, kStart), absl::Milliseconds(100));
}

TEST(TokenBucket, RefillsAtItsRateUpToTheBurst) {
  TokenBucket bucket(10, 3, kStart);
  ASSERT_EQ(bucket.Take(3, kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.Take(2, kStart + absl::Milliseconds(150)), absl::Milliseconds(50));
  EXPECT_EQ(bucket.Take(2, kStart + absl::Milliseconds(200)), absl::ZeroDuration());
  // An hour idle refills it to 3, not to 36,000.
  EXPECT_TRUE(bucket.Full(kStart + absl::Hours(1)));
  EXPECT_EQ(bucket.Take(3, kStart + absl::Hours(1)), absl::ZeroDuration());
  EXPECT_EQ(bucket.Take(1, kStart + absl::Hours(1)), absl::Milliseconds(100));
}

TEST(TokenBucket, RequestLargerThanTheBurstIsPaidInDebt) {
  TokenBucket bucket(/*rate=*/100, /*burst=*/50, kStart);
  // 250 rows from a full bucket of 50: allowed, 200 in debt.
  EXPECT_EQ(bucket.Take(250, kStart), absl::ZeroDuration());
  // One more row needs the debt paid and one token: 201 / 100 per second.
  EXPECT_EQ(bucket.Take(1, kStart), absl::Milliseconds(2010));
  // A second large request waits for a full bucket: 250 / 100 per second.
  EXPECT_EQ(bucket.Take(250, kStart), absl::Milliseconds(2500));
}

TEST(TokenBucket, RefusedRequestTakesNothing) {
  TokenBucket bucket(1, 2, kStart);
  ASSERT_EQ(bucket.Take(2, kStart), absl::ZeroDuration());
  EXPECT_GT(bucket.Take(1, kStart), absl::ZeroDuration());
  EXPECT_GT(bucket.Take(1, kStart), absl::ZeroDuration());
  EXPECT_EQ(bucket.Take(1, kStart + absl::Seconds(1)), absl::ZeroDuration());
}

TEST(RateLimits, ProblemsNameTheField) {
  RateLimits ok{.calls_per_second = 5, .call_burst = 10, .rows_per_second = 0.5, .row_burst = 1};
  EXPECT_EQ(RateLimitsProblem(ok), std::nullopt);
  RateLimits no_rate = ok;
  no_rate.rows_per_second = 0;
  EXPECT_EQ(RateLimitsProblem(no_rate), "rows_per_second must be a positive number");
  RateLimits no_burst = ok;
  no_burst.call_burst = 0;
  EXPECT_EQ(RateLimitsProblem(no_burst), "call_burst must be at least 1");
}

}  // namespace
}  // namespace tnps::core
