// A programme's panel (who is in which group), its cost per NPS point, and
// the impact estimate on a panel small enough to check by hand.
#include "core/program_impact.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

using absl::CivilDay;

Enrollment Enrolled(std::string agent, std::optional<CivilDay> completed) {
  Enrollment e;
  e.agent_id = std::move(agent);
  e.cohort_id = 1;
  e.completed_day = completed;
  return e;
}

// Mondays of three consecutive weeks.
const CivilDay kWeek1(2026, 6, 1), kWeek2(2026, 6, 8), kWeek3(2026, 6, 15);

TEST(ProgramPanel, GroupsAgentsByCompletionWeekAndLeavesOutUnknownGroups) {
  const std::vector<Enrollment> enrollments = {
      Enrolled("a", CivilDay(2026, 6, 17)),  // a Wednesday of week 3
      Enrolled("b", std::nullopt),           // enrolled, not completed: left out
      Enrolled("c", CivilDay(2026, 7, 1)),   // completes after the data: untreated
  };
  const std::vector<AgentPeriodCounts> counts = {
      {"a", kWeek1, {2, 0, 1}}, {"b", kWeek1, {1, 0, 0}},
      {"c", kWeek2, {0, 3, 0}}, {"d", kWeek1, {0, 0, 2}},  // never enrolled: untreated
      {"a", kWeek3, {1, 0, 0}},
  };
  const ProgramPanel panel = BuildProgramPanel(enrollments, counts, BucketSize::kWeek);
  const int64_t w1 = BucketNumber(kWeek1, BucketSize::kWeek);
  const int64_t w3 = w1 + 2;
  ASSERT_EQ(panel.cells.size(), 4u);
  // Units in first-seen order: a 0, c 1, d 2.
  EXPECT_EQ(panel.cells[0].unit, 0);
  EXPECT_EQ(panel.cells[0].group, w3);
  EXPECT_EQ(panel.cells[0].period, w1);
  EXPECT_DOUBLE_EQ(panel.cells[0].outcome_sum, 100.0);
  EXPECT_EQ(panel.cells[0].rows, 3);
  EXPECT_EQ(panel.cells[1].unit, 1);
  EXPECT_EQ(panel.cells[1].group, 0);
  EXPECT_EQ(panel.cells[2].unit, 2);
  EXPECT_EQ(panel.cells[2].group, 0);
  EXPECT_DOUBLE_EQ(panel.cells[2].outcome_sum, -200.0);
  EXPECT_EQ(panel.cells[3].unit, 0);
  EXPECT_EQ(panel.cells[3].period, w3);
  EXPECT_EQ(panel.responses, 3 + 3 + 2 + 1);
  EXPECT_EQ(panel.untreated_units, 2);
}

TEST(TrainingCost, DividesTheCostByAPositiveDefinedEffectOnly) {
  AggregateEstimate att{0, 4.0, 1.0, true};
  // 10 participants × 2.5 h × 40 EUR/h = 1,000 EUR; 250 EUR per point.
  TrainingCost cost = CostOfTraining(10, 2.5, 40'000'000, att);
  EXPECT_DOUBLE_EQ(cost.training_hours, 25.0);
  EXPECT_DOUBLE_EQ(cost.total_cost_micros, 1'000'000'000.0);
  ASSERT_TRUE(cost.cost_per_point_micros.has_value());
  EXPECT_DOUBLE_EQ(cost.cost_per_point_micros->value, 250'000'000);
  EXPECT_FALSE(cost.annual_value_micros.has_value());  // no value per point given

  att.att = -1;
  EXPECT_FALSE(CostOfTraining(10, 2.5, 40'000'000, att).cost_per_point_micros.has_value());
  att.att = 1e-12;  // 1e21 micros per point: does not fit
  EXPECT_FALSE(CostOfTraining(10, 2.5, 40'000'000, att).cost_per_point_micros.has_value());
  att = {0, 4.0, 1.0, false};
  EXPECT_FALSE(CostOfTraining(10, 2.5, 40'000'000, att).cost_per_point_micros.has_value());
}

TEST(TrainingCost, RangesFollowTheIntervalAndAValuePerPointGivesPayback) {
  const AggregateEstimate att{0, 4.0, 1.0, true};
  // 1,000 EUR; ATT 4 points, CI 2 to 6; a point is worth 600 EUR a year.
  TrainingCost cost = CostOfTraining(10, 2.5, 40'000'000, att, 2.0, 6.0, 600'000'000);
  ASSERT_TRUE(cost.cost_per_point_micros.has_value());
  EXPECT_DOUBLE_EQ(cost.cost_per_point_micros->low, 1e9 / 6);
  EXPECT_DOUBLE_EQ(*cost.cost_per_point_micros->high, 500'000'000);
  ASSERT_TRUE(cost.annual_value_micros.has_value());
  EXPECT_DOUBLE_EQ(cost.annual_value_micros->value, 2'400'000'000);
  EXPECT_DOUBLE_EQ(cost.annual_value_micros->low, 1'200'000'000);
  EXPECT_DOUBLE_EQ(*cost.annual_value_micros->high, 3'600'000'000);
  EXPECT_DOUBLE_EQ(cost.net_first_year_micros->value, 1'400'000'000);
  EXPECT_DOUBLE_EQ(cost.net_first_year_micros->low, 200'000'000);
  // 1,000 EUR against 2,400 EUR a year: 5 months; 10/3 to 10 months.
  EXPECT_DOUBLE_EQ(cost.payback_months->value, 5);
  EXPECT_DOUBLE_EQ(cost.payback_months->low, 10.0 / 3);
  EXPECT_DOUBLE_EQ(*cost.payback_months->high, 10);

  // An interval reaching below 0: a point may cost anything, payback may
  // never come, and the net value may be a loss.
  cost = CostOfTraining(10, 2.5, 40'000'000, att, -1.0, 9.0, 600'000'000);
  EXPECT_FALSE(cost.cost_per_point_micros->high.has_value());
  EXPECT_FALSE(cost.payback_months->high.has_value());
  EXPECT_DOUBLE_EQ(cost.net_first_year_micros->low, -1'600'000'000);
}

// Agent a is trained in week 3 and goes from passive to promoter; agent u
// stays passive: ATT(3,3) = (100 − 0) − (0 − 0) = 100, the only post cell.
TEST(ProgramImpact, EstimatesAHandCheckedPanelAndItsCost) {
  const std::vector<Enrollment> enrollments = {Enrolled("a", CivilDay(2026, 6, 16))};
  const std::vector<AgentPeriodCounts> counts = {
      {"a", kWeek1, {0, 1, 0}}, {"a", kWeek2, {0, 1, 0}}, {"a", kWeek3, {1, 0, 0}},
      {"u", kWeek1, {0, 1, 0}}, {"u", kWeek2, {0, 1, 0}}, {"u", kWeek3, {0, 1, 0}},
  };
  absl::StatusOr<ProgramImpact> impact =
      EstimateProgramImpact(enrollments, counts, BucketSize::kWeek, DidOptions{}, {1.0, 1'000'000});
  ASSERT_TRUE(impact.ok()) << impact.status();
  EXPECT_EQ(impact->responses, 6);
  EXPECT_EQ(impact->treated_agents, 1);
  EXPECT_EQ(impact->untreated_agents, 1);
  ASSERT_TRUE(impact->did.simple.defined);
  EXPECT_DOUBLE_EQ(impact->did.simple.att, 100.0);
  EXPECT_DOUBLE_EQ(impact->cost.total_cost_micros, 1'000'000.0);
  ASSERT_TRUE(impact->cost.cost_per_point_micros.has_value());
  EXPECT_DOUBLE_EQ(impact->cost.cost_per_point_micros->value, 10'000);
}

TEST(ProgramImpact, RefusesRangesWithoutResponsesOrWithoutAPreTrainingPeriod) {
  const std::vector<Enrollment> enrollments = {Enrolled("a", kWeek1)};
  absl::StatusOr<ProgramImpact> none =
      EstimateProgramImpact(enrollments, {}, BucketSize::kWeek, DidOptions{}, {});
  EXPECT_TRUE(absl::IsFailedPrecondition(none.status()));
  EXPECT_EQ(none.status().message(), "no responses in the range");
  // Trained in the first week with data: no earlier period to compare with.
  absl::StatusOr<ProgramImpact> no_pre =
      EstimateProgramImpact(enrollments, {{"a", kWeek1, {1, 0, 0}}, {"u", kWeek1, {1, 0, 0}}},
                            BucketSize::kWeek, DidOptions{}, {});
  EXPECT_TRUE(absl::IsFailedPrecondition(no_pre.status())) << no_pre.status();
}

}  // namespace
}  // namespace tnps::core
