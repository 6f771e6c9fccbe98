// The training estimators' building blocks: period numbers, the estimator
// on pre-summed cells, cohort windows, the planner's variance components,
// and the calibration of the staggered estimator on generated data.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "core/cohort_plan.h"
#include "core/cohort_uplift.h"
#include "core/group_time_att.h"
#include "core/time_buckets.h"
#include "tools/demo_data.h"

namespace tnps::core {
namespace {

using absl::CivilDay;

TEST(BucketNumber, NumbersWeeksFromMondayAndMonthsConsecutively) {
  EXPECT_EQ(BucketNumber(CivilDay(1900, 1, 1), BucketSize::kWeek), 1);
  // Monday 23 to Sunday 29 November 2026 is one week; the next Monday is the next.
  const int64_t week = BucketNumber(CivilDay(2026, 11, 23), BucketSize::kWeek);
  EXPECT_EQ(BucketNumber(CivilDay(2026, 11, 29), BucketSize::kWeek), week);
  EXPECT_EQ(BucketNumber(CivilDay(2026, 11, 30), BucketSize::kWeek), week + 1);
  EXPECT_EQ(BucketNumberStart(week, BucketSize::kWeek), CivilDay(2026, 11, 23));
  EXPECT_EQ(BucketNumber(CivilDay(2026, 11, 15), BucketSize::kMonth), 126 * 12 + 11);
  EXPECT_EQ(BucketNumber(CivilDay(2027, 1, 1), BucketSize::kMonth), 127 * 12 + 1);
  EXPECT_EQ(BucketNumberStart(126 * 12 + 11, BucketSize::kMonth), CivilDay(2026, 11, 1));
}

// Several rows per unit and period, estimated row by row and as sums: the
// same numbers.
TEST(GroupTimeAtt, SummedCellsGiveTheSameEstimatesAsRows) {
  std::mt19937 rng(5);
  std::vector<PanelRow> rows;
  std::map<std::pair<int, int64_t>, PanelCell> cells;
  for (int unit = 0; unit < 60; ++unit) {
    const int64_t group = unit < 20 ? 0 : unit < 40 ? 4 : 6;
    for (int64_t period = 1; period <= 8; ++period) {
      const int n = static_cast<int>(rng() % 4);  // 0..3 rows, some cells empty
      for (int k = 0; k < n; ++k) {
        const double y = (rng() % 3) * 100.0 - 100 + (group > 0 && period >= group ? 10 : 0);
        rows.push_back({unit, period, group, y});
        PanelCell& c = cells[{unit, period}];
        c = {unit, period, group, c.outcome_sum + y, c.rows + 1};
      }
    }
  }
  std::vector<PanelCell> summed;
  for (const auto& [key, cell] : cells) summed.push_back(cell);
  absl::StatusOr<DidEstimates> by_row = EstimateGroupTimeAtt(rows, ControlGroup::kNotYetTreated);
  absl::StatusOr<DidEstimates> by_cell = EstimateGroupTimeAtt(summed, DidOptions{});
  ASSERT_TRUE(by_row.ok() && by_cell.ok());
  ASSERT_EQ(by_row->cells.size(), by_cell->cells.size());
  for (size_t i = 0; i < by_row->cells.size(); ++i) {
    EXPECT_DOUBLE_EQ(by_row->cells[i].att, by_cell->cells[i].att);
    EXPECT_DOUBLE_EQ(by_row->cells[i].standard_error, by_cell->cells[i].standard_error);
  }
  EXPECT_DOUBLE_EQ(by_row->simple.standard_error, by_cell->simple.standard_error);
  EXPECT_TRUE(by_cell->leads_defined);
  EXPECT_DOUBLE_EQ(by_row->leads_p_value, by_cell->leads_p_value);

  // With too many pre-treatment cells the cell-level pre-test is skipped,
  // never reported as a number it cannot back.
  DidOptions few;
  few.max_pretrend_cells = 2;
  absl::StatusOr<DidEstimates> capped = EstimateGroupTimeAtt(summed, few);
  ASSERT_TRUE(capped.ok());
  EXPECT_FALSE(capped->pretrend_defined);
  EXPECT_EQ(capped->pretrend_df, 0);
  EXPECT_TRUE(by_cell->pretrend_defined);
}

TEST(CohortUplift, WindowsLeaveOutTheCompletionDayAndTheWashout) {
  const UpliftWindows w{10, 5, 3};
  EXPECT_EQ(PreWindow(CivilDay(2026, 6, 10), w),
            (DayRange{CivilDay(2026, 5, 31), CivilDay(2026, 6, 9)}));
  EXPECT_EQ(PostWindow(CivilDay(2026, 6, 10), w),
            (DayRange{CivilDay(2026, 6, 14), CivilDay(2026, 6, 18)}));
  EXPECT_EQ(UpliftDataRange({CivilDay(2026, 6, 12), CivilDay(2026, 6, 10)}, w, 28),
            (DayRange{CivilDay(2026, 5, 4), CivilDay(2026, 6, 20)}));
}

TEST(CohortUplift, RejectsEmptyWindowsAndCohortsWithoutCompletions) {
  UpliftInput input;
  input.completions = {CivilDay(2026, 6, 10)};
  input.windows = {0, 5, 0};
  EXPECT_FALSE(EstimateCohortUplift(input).ok());
  input.windows = {5, 5, 0};
  input.completions = {std::nullopt};
  EXPECT_FALSE(EstimateCohortUplift(input).ok());
}

TEST(CohortUplift, PreSummedComparisonAgentsGiveTheSameResult) {
  // 6 treated agents, 30 comparison agents, random daily counts.
  std::mt19937 rng(5);
  UpliftInput by_day;
  by_day.windows = {20, 15, 5};
  std::vector<CivilDay> completed;
  for (int a = 0; a < 36; ++a) {
    if (a < 6) {
      completed.push_back(CivilDay(2026, 6, 10) + a);
      by_day.completions.push_back(completed.back());
    } else {
      by_day.completions.push_back(std::nullopt);
    }
  }
  const DayRange data = UpliftDataRange(completed, by_day.windows, by_day.rolling_days);
  for (int a = 0; a < 36; ++a) {
    for (CivilDay d = data.first; d <= data.last; ++d) {
      if (rng() % 3 == 0) continue;
      by_day.days.push_back({a,
                             d,
                             {static_cast<int64_t>(rng() % 4), static_cast<int64_t>(rng() % 3),
                              static_cast<int64_t>(rng() % 3)}});
    }
  }
  // The same comparison agents, summed per window and per day.
  UpliftInput summed = by_day;
  summed.days.clear();
  const auto [pre, post] = ComparisonWindows(completed, by_day.windows);
  std::map<CivilDay, NpsCounts> daily;
  std::map<int, AgentWindowCounts> windows;
  for (const AgentDayCounts& d : by_day.days) {
    if (d.agent < 6) {
      summed.days.push_back(d);
      continue;
    }
    AgentWindowCounts& w =
        windows.try_emplace(d.agent, AgentWindowCounts{d.agent, {}, {}}).first->second;
    if (d.day >= pre.first && d.day <= pre.last) w.pre += d.counts;
    if (d.day >= post.first && d.day <= post.last) w.post += d.counts;
    daily[d.day] += d.counts;
  }
  for (const auto& [agent, w] : windows) summed.comparison_windows.push_back(w);
  for (const auto& [day, counts] : daily) summed.comparison_daily.push_back({day, counts});

  const absl::StatusOr<CohortUplift> a = EstimateCohortUplift(by_day);
  const absl::StatusOr<CohortUplift> b = EstimateCohortUplift(summed);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->uplift.defined);
  EXPECT_NEAR(a->uplift.estimate, b->uplift.estimate, 1e-9);
  EXPECT_NEAR(a->uplift.standard_error, b->uplift.standard_error, 1e-9);
  EXPECT_EQ(a->comparison_pre_counts, b->comparison_pre_counts);
  EXPECT_EQ(a->comparison_post_counts, b->comparison_post_counts);
  ASSERT_EQ(a->daily.size(), b->daily.size());
  for (size_t i = 0; i < a->daily.size(); ++i) {
    EXPECT_EQ(a->daily[i].comparison, b->daily[i].comparison);
    EXPECT_EQ(a->daily[i].cohort, b->daily[i].cohort);
  }
}

TEST(ResponseVariance, SplitsVarianceBetweenAndWithinAgents) {
  // Agent a: 100, 100, 0, 0; agent b: −100, −100, 0, 0. MSB = 20000,
  // MSW = 20000/6, n0 = 4: between 4166.7, total 7500.
  const ResponseVariance v = EstimateResponseVariance({{2, 2, 0}, {0, 2, 2}});
  ASSERT_TRUE(v.defined);
  EXPECT_EQ(v.responses, 8);
  EXPECT_NEAR(v.response_sd, std::sqrt(7500.0), 1e-9);
  EXPECT_NEAR(v.intra_agent_correlation, (20000 - 20000.0 / 6) / 4 / 7500, 1e-12);
  EXPECT_FALSE(EstimateResponseVariance({{5, 0, 0}}).defined);
}

TEST(MinimumDetectableEffect, FollowsTheDesignEffectFormula) {
  const ResponseVariance v = EstimateResponseVariance({{2, 2, 0}, {0, 2, 2}});
  CohortDesign design;
  design.treated_agents = 100;
  design.comparison_agents = 100;
  design.responses_per_agent_per_week = 2;
  design.weeks = 4;
  const DetectableEffect mde = MinimumDetectableEffect(design, v);
  ASSERT_TRUE(mde.defined);
  const double de = 1 + 7 * v.intra_agent_correlation;
  EXPECT_NEAR(mde.design_effect, de, 1e-12);
  const double se = std::sqrt(7500 * de * 4 / 800.0);
  EXPECT_NEAR(mde.standard_error, se, 1e-9);
  EXPECT_NEAR(mde.minimum_detectable_effect, 2.8015853 * se, 1e-5);
  design.weeks = 0;
  EXPECT_FALSE(MinimumDetectableEffect(design, v).defined);
}

// Forty generated tenants (120 agents, 9 months, three waves of 30, a true
// effect of +7 from the day after completion): the 95% intervals must cover
// the truth about as often as they claim, and the estimates centre on it.
TEST(GroupTimeAtt, IntervalsCoverTheTrueEffectOnGeneratedData) {
  constexpr int kDatasets = 40;
  int covered = 0;
  double sum = 0;
  for (int seed = 1; seed <= kDatasets; ++seed) {
    tools::DemoConfig config = tools::DefaultDemoConfig(CivilDay(2026, 10, 31));
    config.seed = static_cast<uint64_t>(seed);
    config.agents = 120;
    config.teams = 6;
    config.first_day = CivilDay(2026, 10, 31) - 269;
    config.first_wave_start = config.first_day + 90;
    config.wave_spacing_days = 45;
    config.responses_per_day = 400;
    config.agents_per_wave = 30;
    config.ramp_days = 0;
    tools::DemoGenerator generator(config);
    std::map<std::string, int> unit;
    std::vector<int64_t> group;
    for (const tools::DemoAgent& a : generator.agents()) {
      unit[a.agent_id] = static_cast<int>(group.size());
      group.push_back(a.wave < 0 ? 0 : BucketNumber(a.completion_day, BucketSize::kWeek));
    }
    std::map<std::pair<int, int64_t>, PanelCell> cells;
    generator.ForEachDay([&](CivilDay day, std::vector<tnps::v1::SurveyResponse>& responses) {
      for (const auto& r : responses) {
        const int u = unit[r.agent_id()];
        const int64_t week = BucketNumber(day, BucketSize::kWeek);
        PanelCell& c = cells[{u, week}];
        const double y = r.score() >= 9 ? 100 : r.score() >= 7 ? 0 : -100;
        c = {u, week, group[u], c.outcome_sum + y, c.rows + 1};
      }
    });
    std::vector<PanelCell> panel;
    for (const auto& [key, cell] : cells) panel.push_back(cell);
    absl::StatusOr<DidEstimates> e = EstimateGroupTimeAtt(panel, DidOptions{});
    ASSERT_TRUE(e.ok()) << e.status();
    const double half = 1.959964 * e->simple.standard_error;
    if (std::fabs(e->simple.att - 7) <= half) ++covered;
    sum += e->simple.att;
  }
  // 95% nominal; 34 of 40 leaves room for chance (P(X < 34) ≈ 3% at 0.95)
  // but fails a clearly too narrow or biased interval.
  EXPECT_GE(covered, 34);
  EXPECT_NEAR(sum / kDatasets, 7, 1.0);
}

}  // namespace
}  // namespace tnps::core
