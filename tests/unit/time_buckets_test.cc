#include "core/time_buckets.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tnps::core {
namespace {

using absl::CivilDay;

TEST(TimeBuckets, WeeksStartOnMonday) {
  // 2026-03-01 is a Sunday; its week started on Monday 2026-02-23.
  EXPECT_EQ(BucketStart(CivilDay(2026, 3, 1), BucketSize::kWeek), CivilDay(2026, 2, 23));
  EXPECT_EQ(BucketStart(CivilDay(2026, 3, 2), BucketSize::kWeek), CivilDay(2026, 3, 2));
}

TEST(TimeBuckets, MonthsAndQuarters) {
  EXPECT_EQ(BucketStart(CivilDay(2026, 5, 17), BucketSize::kMonth), CivilDay(2026, 5, 1));
  EXPECT_EQ(BucketStart(CivilDay(2026, 5, 17), BucketSize::kQuarter), CivilDay(2026, 4, 1));
  EXPECT_EQ(BucketStart(CivilDay(2026, 12, 31), BucketSize::kQuarter), CivilDay(2026, 10, 1));
  EXPECT_EQ(NextBucketStart(CivilDay(2026, 10, 1), BucketSize::kQuarter), CivilDay(2027, 1, 1));
}

TEST(TimeBuckets, BucketsAreClippedToTheRange) {
  std::vector<DayRange> weeks =
      BucketsCovering({CivilDay(2026, 3, 1), CivilDay(2026, 3, 10)}, BucketSize::kWeek);
  ASSERT_EQ(weeks.size(), 3u);
  EXPECT_EQ(weeks[0], (DayRange{CivilDay(2026, 3, 1), CivilDay(2026, 3, 1)}));
  EXPECT_EQ(weeks[1], (DayRange{CivilDay(2026, 3, 2), CivilDay(2026, 3, 8)}));
  EXPECT_EQ(weeks[2], (DayRange{CivilDay(2026, 3, 9), CivilDay(2026, 3, 10)}));
}

TEST(TimeBuckets, RollingWindowEndsOnItsDayAndSpansWDays) {
  DayRange w = RollingWindow(CivilDay(2026, 3, 28), 28);
  EXPECT_EQ(w.first, CivilDay(2026, 3, 1));
  EXPECT_EQ(w.days(), 28);
}

TEST(DailySeries, SumsAnyRangeAndIgnoresDaysOutside) {
  DailySeries series({CivilDay(2026, 1, 1), CivilDay(2026, 1, 31)});
  series.Add(CivilDay(2026, 1, 1), {.promoters = 1});
  series.Add(CivilDay(2026, 1, 15), {.passives = 2});
  series.Add(CivilDay(2026, 1, 31), {.detractors = 3});
  series.Add(CivilDay(2026, 2, 1), {.detractors = 100});
  EXPECT_EQ(series.Sum({CivilDay(2025, 12, 1), CivilDay(2026, 12, 31)}),
            (NpsCounts{.promoters = 1, .passives = 2, .detractors = 3}));
  EXPECT_EQ(series.Sum({CivilDay(2026, 1, 2), CivilDay(2026, 1, 30)}), (NpsCounts{.passives = 2}));
  EXPECT_EQ(series.Sum({CivilDay(2026, 1, 31), CivilDay(2026, 1, 31)}),
            (NpsCounts{.detractors = 3}));
}

}  // namespace
}  // namespace tnps::core
