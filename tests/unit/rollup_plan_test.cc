#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/rollup_reader.h"

namespace tnps::storage {
namespace {

using ::testing::ElementsAre;

core::DayRange Days(absl::CivilDay first, absl::CivilDay last) { return {first, last}; }

TEST(PlanRollupReadTest, WholeWeeksComeFromTheWeekTableAndTheEdgesPerDay) {
  // Wednesday 4 March to Wednesday 25 March 2026: whole weeks from Monday 9
  // to Sunday 22 March.
  const RollupReadPlan plan = PlanRollupRead(
      Days(absl::CivilDay(2026, 3, 4), absl::CivilDay(2026, 3, 25)), /*use_weeks=*/true);
  EXPECT_THAT(plan.weeks,
              ElementsAre(Days(absl::CivilDay(2026, 3, 9), absl::CivilDay(2026, 3, 16))));
  EXPECT_THAT(plan.days,
              ElementsAre(Days(absl::CivilDay(2026, 3, 4), absl::CivilDay(2026, 3, 8)),
                          Days(absl::CivilDay(2026, 3, 23), absl::CivilDay(2026, 3, 25))));
}

TEST(PlanRollupReadTest, ARangeOfWholeWeeksHasNoDays) {
  // Monday 2 March to Sunday 29 March: four whole weeks.
  const RollupReadPlan plan =
      PlanRollupRead(Days(absl::CivilDay(2026, 3, 2), absl::CivilDay(2026, 3, 29)), true);
  EXPECT_THAT(plan.weeks,
              ElementsAre(Days(absl::CivilDay(2026, 3, 2), absl::CivilDay(2026, 3, 23))));
  EXPECT_TRUE(plan.days.empty());
}

TEST(PlanRollupReadTest, WithoutWeeksTheRangeIsReadPerDay) {
  const core::DayRange march = Days(absl::CivilDay(2026, 3, 1), absl::CivilDay(2026, 3, 31));
  const RollupReadPlan plan = PlanRollupRead(march, false);
  EXPECT_TRUE(plan.weeks.empty());
  EXPECT_THAT(plan.days, ElementsAre(march));
}

TEST(PlanRollupReadTest, ARangeWithoutAWholeWeekIsReadPerDay) {
  // Tuesday 3 to Sunday 8 March, and Tuesday 3 to Monday 9 March.
  for (const absl::CivilDay last : {absl::CivilDay(2026, 3, 8), absl::CivilDay(2026, 3, 9)}) {
    const RollupReadPlan plan = PlanRollupRead(Days(absl::CivilDay(2026, 3, 3), last), true);
    EXPECT_TRUE(plan.weeks.empty());
    EXPECT_THAT(plan.days, ElementsAre(Days(absl::CivilDay(2026, 3, 3), last)));
  }
}

RollupFilter Filter(core::DayRange days, std::vector<std::string> agents,
                    std::vector<std::string> teams, std::vector<int> channels) {
  return {.tenant_id = 7,
          .days = days,
          .agent_ids = std::move(agents),
          .team_ids = std::move(teams),
          .channels = std::move(channels)};
}

TEST(IntersectFiltersTest, EmptyListsMeanAnyAndRangesOverlap) {
  const std::optional<RollupFilter> both = IntersectFilters(
      Filter(Days(absl::CivilDay(2026, 1, 1), absl::CivilDay(2026, 3, 31)), {"a", "b"}, {}, {1, 2}),
      Filter(Days(absl::CivilDay(2026, 3, 1), absl::CivilDay(2026, 6, 30)), {"b", "c"}, {"t"}, {}));
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(both->tenant_id, 7);
  EXPECT_EQ(both->days, Days(absl::CivilDay(2026, 3, 1), absl::CivilDay(2026, 3, 31)));
  EXPECT_THAT(both->agent_ids, ElementsAre("b"));
  EXPECT_THAT(both->team_ids, ElementsAre("t"));
  EXPECT_THAT(both->channels, ElementsAre(1, 2));
}

TEST(IntersectFiltersTest, DisjointFiltersMatchNothing) {
  const core::DayRange march = Days(absl::CivilDay(2026, 3, 1), absl::CivilDay(2026, 3, 31));
  EXPECT_FALSE(IntersectFilters(Filter(march, {"a"}, {}, {}), Filter(march, {"b"}, {}, {})));
  EXPECT_FALSE(IntersectFilters(Filter(march, {}, {}, {1}), Filter(march, {}, {}, {2})));
  EXPECT_FALSE(IntersectFilters(
      Filter(march, {}, {}, {}),
      Filter(Days(absl::CivilDay(2026, 4, 1), absl::CivilDay(2026, 4, 2)), {}, {}, {})));
}

}  // namespace
}  // namespace tnps::storage
