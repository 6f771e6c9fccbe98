// The estimator against the published results of the R package `did` on its
// example panel mpdta (DESIGN.md, "Training impact").
#include "core/group_time_att.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "core/chi_squared.h"
#include "tools/panel_csv.h"

namespace tnps::core {
namespace {

constexpr double kFourDecimals = 0.00005;

DidEstimates EstimateMpdta(ControlGroup control) {
  std::ifstream file(TNPS_SHARED_DATA_DIR "/mpdta.csv");
  EXPECT_TRUE(file.good()) << "missing " TNPS_SHARED_DATA_DIR "/mpdta.csv";
  absl::StatusOr<tools::Panel> panel =
      tools::ReadPanelCsv(file, {"countyreal", "year", "first.treat", "lemp"});
  EXPECT_TRUE(panel.ok()) << panel.status();
  absl::StatusOr<DidEstimates> estimates = EstimateGroupTimeAtt(panel->rows, control);
  EXPECT_TRUE(estimates.ok()) << estimates.status();
  return *estimates;
}

TEST(GroupTimeAtt, ReproducesDidOnMpdtaWithNeverTreatedControls) {
  const DidEstimates e = EstimateMpdta(ControlGroup::kNeverTreated);
  EXPECT_EQ(e.units, 500);
  const std::map<std::pair<int, int>, double> published = {
      {{2004, 2004}, -0.0105}, {{2004, 2005}, -0.0704}, {{2004, 2006}, -0.1373},
      {{2004, 2007}, -0.1008}, {{2006, 2004}, 0.0065},  {{2006, 2005}, -0.0028},
      {{2006, 2006}, -0.0046}, {{2006, 2007}, -0.0412}, {{2007, 2004}, 0.0305},
      {{2007, 2005}, -0.0027}, {{2007, 2006}, -0.0311}, {{2007, 2007}, -0.0261}};
  ASSERT_EQ(e.cells.size(), published.size());
  for (const GroupTimeAtt& c : e.cells) {
    const double expected = published.at({static_cast<int>(c.group), static_cast<int>(c.period)});
    EXPECT_NEAR(c.att, expected, kFourDecimals) << c.group << "," << c.period;
    EXPECT_TRUE(c.defined);
  }
  EXPECT_EQ(e.cells[0].base_period, 2003);
  EXPECT_NEAR(e.cells[0].standard_error, 0.023251, 0.0000005);

  EXPECT_NEAR(e.simple.att, -0.0400, kFourDecimals);
  EXPECT_NEAR(e.group_overall.att, -0.0310, kFourDecimals);
  EXPECT_NEAR(e.calendar_overall.att, -0.0417, kFourDecimals);
  EXPECT_NEAR(e.dynamic_overall.att, -0.0772, kFourDecimals);
  const std::vector<double> dynamic = {0.0305,  -0.0006, -0.0245, -0.0199,
                                       -0.0510, -0.1373, -0.1008};
  ASSERT_EQ(e.dynamic.size(), dynamic.size());
  for (size_t i = 0; i < dynamic.size(); ++i) {
    EXPECT_EQ(e.dynamic[i].key, static_cast<int64_t>(i) - 3);
    EXPECT_NEAR(e.dynamic[i].att, dynamic[i], kFourDecimals) << "e=" << e.dynamic[i].key;
  }
}

TEST(GroupTimeAtt, NotYetTreatedControlsUseLaterCohortsAsControls) {
  const DidEstimates never = EstimateMpdta(ControlGroup::kNeverTreated);
  const DidEstimates not_yet = EstimateMpdta(ControlGroup::kNotYetTreated);
  ASSERT_EQ(not_yet.cells.size(), 12u);
  // ATT(2007,2007): nobody is "not yet treated" in 2007 but the never
  // treated, so both control groups agree.
  EXPECT_NEAR(not_yet.cells[11].att, never.cells[11].att, 1e-12);
  EXPECT_NEAR(not_yet.cells[11].standard_error, never.cells[11].standard_error, 1e-12);
  // ATT(2004,2004) also uses the 2006 and 2007 cohorts: it must differ.
  EXPECT_GT(std::fabs(not_yet.cells[0].att - never.cells[0].att), 1e-6);
}

// A hand-checkable case: two units per group, three periods, one row each.
TEST(GroupTimeAtt, DifferenceOfMeanChangesOnATinyPanel) {
  // Group 2 (units 0, 1) gains +1 from period 2 on; controls (2, 3) drift +0.5.
  std::vector<PanelRow> rows;
  const double y[4][3] = {{1, 2.5, 3.5}, {2, 3.5, 4.5}, {0, 0.5, 1}, {1, 1.5, 2}};
  for (int u = 0; u < 4; ++u) {
    for (int t = 0; t < 3; ++t) rows.push_back({u, 1 + t, u < 2 ? 2 : 0, y[u][t]});
  }
  absl::StatusOr<DidEstimates> e = EstimateGroupTimeAtt(rows, ControlGroup::kNeverTreated);
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->cells.size(), 2u);
  EXPECT_DOUBLE_EQ(e->cells[0].att, 1.0);  // (1.5) − (0.5)
  EXPECT_EQ(e->cells[1].base_period, 1);
  EXPECT_DOUBLE_EQ(e->cells[1].att, 1.5);  // (2.5) − (1.0)
  // Every unit changed by exactly its group's mean: no sampling variance.
  EXPECT_NEAR(e->cells[0].standard_error, 0, 1e-12);
}

// Not-yet-treated controls on a panel small enough to check by hand: units
// 0–1 treated in period 2, units 2–3 in period 3, units 4–5 never.
TEST(GroupTimeAtt, NotYetTreatedMatchesAHandComputation) {
  const double y[6][3] = {{1, 3, 4}, {2, 5, 5}, {0, 1, 4}, {1, 1, 5}, {0, 0.5, 1}, {1, 2.5, 3}};
  const int64_t group[6] = {2, 2, 3, 3, 0, 0};
  std::vector<PanelRow> rows;
  for (int u = 0; u < 6; ++u) {
    for (int t = 0; t < 3; ++t) rows.push_back({u, 1 + t, group[u], y[u][t]});
  }
  absl::StatusOr<DidEstimates> e = EstimateGroupTimeAtt(rows, ControlGroup::kNotYetTreated);
  ASSERT_TRUE(e.ok()) << e.status();
  // ATT(2,2): treated changes 2 and 3 (mean 2.5); controls are groups 3 and
  // never, changes 1, 0, 0.5, 1.5 (mean 0.75).
  const GroupTimeAtt& c = e->cells[0];
  ASSERT_EQ(c.group, 2);
  ASSERT_EQ(c.period, 2);
  EXPECT_DOUBLE_EQ(c.att, 2.5 - 0.75);
  // SE² = Σ(Δ−2.5)²/2² + Σ(Δ−0.75)²/4² = 0.5/4 + 1.25/16.
  EXPECT_NEAR(c.standard_error, std::sqrt(0.5 / 4 + 1.25 / 16), 1e-12);
  // ATT(2,3) compares period 3 with period 1 (g−1); in period 3 only the
  // never-treated are still untreated: changes 1 and 2 → 1.5; treated 3, 3.
  const GroupTimeAtt& late = e->cells[1];
  ASSERT_EQ(late.period, 3);
  EXPECT_EQ(late.base_period, 1);
  EXPECT_DOUBLE_EQ(late.att, 3 - 1.5);
  // ATT(3,2) is a placebo cell (t < g): base t−1 = 1, controls are the
  // never-treated only (group 2 is treated by period 2): treated changes 1
  // and 0 (mean 0.5), controls 0.5 and 1.5 (mean 1).
  const GroupTimeAtt& placebo = e->cells[2];
  ASSERT_EQ(placebo.group, 3);
  ASSERT_EQ(placebo.period, 2);
  EXPECT_DOUBLE_EQ(placebo.att, 0.5 - 1.0);
}

TEST(GroupTimeAtt, CellsWithoutRowsAreFlaggedNotNaN) {
  std::vector<PanelRow> rows = {{0, 1, 2, 1.0}, {0, 2, 2, 2.0}, {1, 1, 0, 0.0}};
  absl::StatusOr<DidEstimates> e = EstimateGroupTimeAtt(rows, ControlGroup::kNeverTreated);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->cells.size(), 1u);
  EXPECT_FALSE(e->cells[0].defined);
  EXPECT_EQ(e->cells[0].att, 0);
  EXPECT_FALSE(e->simple.defined);
}

TEST(ChiSquared, SurvivalMatchesKnownQuantiles) {
  EXPECT_NEAR(ChiSquaredSurvival(3.841459, 1), 0.05, 1e-6);
  EXPECT_NEAR(ChiSquaredSurvival(11.0705, 5), 0.05, 1e-5);
  EXPECT_NEAR(ChiSquaredSurvival(2.0, 2), std::exp(-1.0), 1e-12);
  EXPECT_EQ(ChiSquaredSurvival(0, 3), 1);
}

}  // namespace
}  // namespace tnps::core
