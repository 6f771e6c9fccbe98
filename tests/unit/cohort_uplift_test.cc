// Who a cohort's uplift treats, excludes and compares, and the estimate it
// builds from counts as storage reads them, checked by hand.
#include "core/cohort_uplift.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

using absl::CivilDay;

Enrollment Enrolled(std::string agent, int64_t cohort, std::optional<CivilDay> completed) {
  Enrollment e;
  e.agent_id = std::move(agent);
  e.cohort_id = cohort;
  e.completed_day = completed;
  return e;
}

TEST(SelectUpliftAgents, TreatsCompletedCohortAgentsAndExcludesAgentsTrainedInTime) {
  const std::vector<Enrollment> programme = {
      Enrolled("a1", 1, CivilDay(2026, 6, 10)), Enrolled("a2", 1, CivilDay(2026, 6, 12)),
      Enrolled("a3", 1, std::nullopt),           // in the cohort, not trained yet
      Enrolled("b1", 2, CivilDay(2026, 6, 20)),  // trained on the last comparison day
      Enrolled("b2", 2, CivilDay(2026, 6, 21)),  // trained the day after
      Enrolled("b3", 2, std::nullopt),
  };
  // pre 10, post 5, washout 3: the comparison pre window ends the day before
  // the first completion, the post window starts 4 days after the last.
  absl::StatusOr<UpliftAgents> agents = SelectUpliftAgents(1, programme, {10, 5, 3}, 28);
  ASSERT_TRUE(agents.ok()) << agents.status();
  EXPECT_EQ(agents->treated, (std::vector<std::string>{"a1", "a2"}));
  EXPECT_EQ(agents->completions,
            (std::vector<CivilDay>{CivilDay(2026, 6, 10), CivilDay(2026, 6, 12)}));
  EXPECT_EQ(agents->comparison_pre, (DayRange{CivilDay(2026, 5, 31), CivilDay(2026, 6, 9)}));
  EXPECT_EQ(agents->comparison_post, (DayRange{CivilDay(2026, 6, 16), CivilDay(2026, 6, 20)}));
  EXPECT_EQ(agents->data, (DayRange{CivilDay(2026, 5, 4), CivilDay(2026, 6, 20)}));
  EXPECT_EQ(agents->excluded, (std::vector<std::string>{"a3", "a1", "a2", "b1"}));
  EXPECT_EQ(agents->not_yet_trained, (std::vector<std::string>{"b2", "b3"}));
}

TEST(SelectUpliftAgents, RefusesACohortWithoutCompletions) {
  absl::StatusOr<UpliftAgents> agents =
      SelectUpliftAgents(7, {Enrolled("a1", 7, std::nullopt)}, {10, 5, 0}, 28);
  EXPECT_TRUE(absl::IsFailedPrecondition(agents.status())) << agents.status();
  EXPECT_EQ(agents.status().message(),
            "cohort 7 has no recorded completions; record them with RecordCompletions first");
}

// One treated agent (detractor before, promoter after: +200 points), two
// comparison agents (33.3 before, 100 after: +66.7), and excluded agents
// whose responses must count nowhere. Uplift: 200 − 66.67 = +133.33.
TEST(CohortUpliftFromCounts, ComparesOnlyAgentsNotExcludedAndSubtractsExcludedDays) {
  const CivilDay completion(2026, 6, 10);
  UpliftAgents agents;
  agents.treated = {"a1"};
  agents.completions = {completion};
  agents.excluded = {"a1", "b1"};
  agents.not_yet_trained = {"b2"};
  const UpliftWindows windows{2, 2, 0};
  std::tie(agents.comparison_pre, agents.comparison_post) =
      ComparisonWindows(agents.completions, windows);
  agents.data = UpliftDataRange(agents.completions, windows, 28);
  agents.windows = windows;
  agents.rolling_days = 28;

  UpliftCounts counts;
  counts.treated_days = {{"a1", CivilDay(2026, 6, 8), {0, 0, 1}},
                         {"a1", CivilDay(2026, 6, 11), {1, 0, 0}}};
  // n1 answered for two teams before: its entries add up to two passives.
  counts.comparison_pre = {{"n1", {0, 1, 0}},
                           {"n1", {0, 1, 0}},
                           {"b2", {1, 0, 0}},
                           {"b1", {0, 0, 5}},
                           {"a1", {0, 0, 1}}};
  counts.comparison_post = {{"n1", {2, 0, 0}}, {"b2", {1, 0, 0}}, {"a1", {1, 0, 0}}};
  counts.all_daily = {{CivilDay(2026, 6, 8), {1, 2, 6}}};
  counts.excluded_daily = {{CivilDay(2026, 6, 8), {0, 0, 6}}};

  absl::StatusOr<CohortUpliftEstimate> e = EstimateCohortUplift(agents, counts, 0.95);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->treated_agents, 1);
  EXPECT_EQ(e->not_yet_trained_agents, 1);
  EXPECT_EQ(e->never_trained_agents, 1);
  EXPECT_EQ(e->comparison_agents(), 2);
  EXPECT_EQ(e->uplift.cohort_pre, (NpsCounts{0, 0, 1}));
  EXPECT_EQ(e->uplift.cohort_post, (NpsCounts{1, 0, 0}));
  EXPECT_EQ(e->uplift.comparison_pre_counts, (NpsCounts{1, 2, 0}));
  EXPECT_EQ(e->uplift.comparison_post_counts, (NpsCounts{3, 0, 0}));
  ASSERT_TRUE(e->uplift.uplift.defined);
  EXPECT_NEAR(e->uplift.uplift.estimate, 200 - 200.0 / 3, 1e-9);
  // The first day of the series is the first comparison pre day, 8 June:
  // the excluded agents' six detractors are gone from the comparison.
  ASSERT_FALSE(e->uplift.daily.empty());
  EXPECT_EQ(e->uplift.daily[0].day, CivilDay(2026, 6, 8));
  EXPECT_EQ(e->uplift.daily[0].comparison, (NpsCounts{1, 2, 0}));
  EXPECT_EQ(e->uplift.daily[0].cohort, (NpsCounts{0, 0, 1}));
}

}  // namespace
}  // namespace tnps::core
