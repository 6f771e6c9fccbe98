// The days each trend point covers and compares with.
#include "core/trend_plan.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

using absl::CivilDay;

TEST(PlanTrend, CalendarWeeksCompareWithTheWeekBefore) {
  // Monday 1 June to Sunday 14 June 2026: two whole weeks.
  const TrendPlan plan =
      PlanTrend({CivilDay(2026, 6, 1), CivilDay(2026, 6, 14)}, BucketSize::kWeek, 0, true);
  ASSERT_EQ(plan.points.size(), 2u);
  EXPECT_EQ(plan.points[0].window, (DayRange{CivilDay(2026, 6, 1), CivilDay(2026, 6, 7)}));
  EXPECT_EQ(plan.points[0].previous, (DayRange{CivilDay(2026, 5, 25), CivilDay(2026, 5, 31)}));
  EXPECT_EQ(plan.points[1].previous, plan.points[0].window);
  EXPECT_EQ(plan.read, (DayRange{CivilDay(2026, 5, 25), CivilDay(2026, 6, 14)}));
}

TEST(PlanTrend, AClippedFirstWeekComparesWithItsOwnWeeksEarlierDays) {
  // From Wednesday 3 June: the first point is 3–7 June, compared with 1–2 June.
  const TrendPlan plan =
      PlanTrend({CivilDay(2026, 6, 3), CivilDay(2026, 6, 14)}, BucketSize::kWeek, 0, true);
  ASSERT_EQ(plan.points.size(), 2u);
  EXPECT_EQ(plan.points[0].window, (DayRange{CivilDay(2026, 6, 3), CivilDay(2026, 6, 7)}));
  EXPECT_EQ(plan.points[0].previous, (DayRange{CivilDay(2026, 6, 1), CivilDay(2026, 6, 2)}));
}

TEST(PlanTrend, RollingWindowsReadTheirLeadInOnly) {
  const TrendPlan plan =
      PlanTrend({CivilDay(2026, 6, 1), CivilDay(2026, 6, 2)}, BucketSize::kDay, 28, false);
  ASSERT_EQ(plan.points.size(), 2u);
  EXPECT_EQ(plan.points[0].window, (DayRange{CivilDay(2026, 5, 5), CivilDay(2026, 6, 1)}));
  EXPECT_EQ(plan.points[1].previous, (DayRange{CivilDay(2026, 4, 8), CivilDay(2026, 5, 5)}));
  // Without deltas the previous windows are not read.
  EXPECT_EQ(plan.read, (DayRange{CivilDay(2026, 5, 5), CivilDay(2026, 6, 2)}));
}

}  // namespace
}  // namespace tnps::core
