// The estimator against the published results of the R package `did` on its
// example panel mpdta (tests/data/README.md says where it comes from).
#include "core/group_time_att.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/chi_squared.h"
#include "tools/panel_csv.h"

namespace tnps::core {
namespace {

constexpr double kFourDecimals = 0.00005;

absl::StatusOr<tools::Panel> ReadMpdta() {
  std::ifstream file(TNPS_TEST_DATA_DIR "/mpdta.csv");
  EXPECT_TRUE(file.good()) << "missing " TNPS_TEST_DATA_DIR "/mpdta.csv";
  absl::StatusOr<tools::Panel> panel =
      tools::ReadPanelCsv(file, {"countyreal", "year", "first.treat", "lemp"});
  EXPECT_TRUE(panel.ok()) << panel.status();
  return panel;
}

DidEstimates EstimateMpdta(ControlGroup control) {
  const absl::StatusOr<tools::Panel> panel = ReadMpdta();
  absl::StatusOr<DidEstimates> estimates = EstimateGroupTimeAtt(panel->rows, control);
  EXPECT_TRUE(estimates.ok()) << estimates.status();
  return *estimates;
}

// A 2×2 difference in differences on a balanced panel, computed straight
// from the rows, independently of the estimator: the mean change of the
// group's units from `base` to `period` less the controls' mean change, and
// the influence-function SE, SE² = Σ(Δ−m_g)²/n_g² + Σ(Δ−m_c)²/n_c².
struct BruteForceCell {
  double att = 0;
  double standard_error = 0;
};

BruteForceCell BruteForceDid(const std::vector<PanelRow>& rows, int64_t group, int64_t period,
                             int64_t base, const std::function<bool(int64_t)>& is_control) {
  std::map<int, double> at_period, at_base;
  std::map<int, int64_t> group_of;
  for (const PanelRow& r : rows) {
    if (r.period == period) at_period[r.unit] = r.outcome;
    if (r.period == base) at_base[r.unit] = r.outcome;
    group_of[r.unit] = r.group;
  }
  std::vector<double> treated, controls;
  for (const auto& [unit, g] : group_of) {
    const double change = at_period.at(unit) - at_base.at(unit);
    if (g == group) treated.push_back(change);
    if (g != group && is_control(g)) controls.push_back(change);
  }
  const auto mean = [](const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x;
    return sum / static_cast<double>(v.size());
  };
  const auto spread = [](const std::vector<double>& v, double m) {
    double sum = 0;
    for (double x : v) sum += (x - m) * (x - m);
    return sum / (static_cast<double>(v.size()) * static_cast<double>(v.size()));
  };
  const double mt = mean(treated), mc = mean(controls);
  return {mt - mc, std::sqrt(spread(treated, mt) + spread(controls, mc))};
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

// The brute force reproduces `did`'s published never-treated cell and SE,
// so it is a fair reference for the not-yet-treated control group, which
// `did` does not publish for mpdta: every ATT(g,t) and SE, and the four
// aggregations' point estimates (group-size weights, as did::aggte).
TEST(GroupTimeAtt, NotYetTreatedOnMpdtaEqualsABruteForceOfEveryCell) {
  const absl::StatusOr<tools::Panel> panel = ReadMpdta();
  ASSERT_TRUE(panel.ok());
  const BruteForceCell published =
      BruteForceDid(panel->rows, 2004, 2004, 2003, [](int64_t g) { return g == 0; });
  EXPECT_NEAR(published.att, -0.0105, kFourDecimals);
  EXPECT_NEAR(published.standard_error, 0.023251, 0.0000005);

  const DidEstimates e = EstimateMpdta(ControlGroup::kNotYetTreated);
  ASSERT_EQ(e.cells.size(), 12u);
  std::map<int64_t, double> group_size;
  for (const PanelRow& r : panel->rows) {
    if (r.period == 2003 && r.group != 0) group_size[r.group] += 1;
  }
  std::map<std::pair<int64_t, int64_t>, double> att;
  for (const GroupTimeAtt& c : e.cells) {
    const int64_t base = c.period >= c.group ? c.group - 1 : c.period - 1;
    EXPECT_EQ(c.base_period, base);
    const int64_t t = c.period;
    const BruteForceCell expected = BruteForceDid(panel->rows, c.group, c.period, base,
                                                  [t](int64_t g) { return g == 0 || g > t; });
    EXPECT_NEAR(c.att, expected.att, 1e-12) << c.group << "," << c.period;
    EXPECT_NEAR(c.standard_error, expected.standard_error, 1e-12) << c.group << "," << c.period;
    att[{c.group, c.period}] = c.att;
  }

  // Weighted means of post-treatment cells, weights ∝ group size.
  const auto weighted = [&](const std::function<bool(int64_t, int64_t)>& include) {
    double sum = 0, weight = 0;
    for (const auto& [cell, value] : att) {
      if (cell.second < cell.first || !include(cell.first, cell.second)) continue;
      sum += group_size[cell.first] * value;
      weight += group_size[cell.first];
    }
    return sum / weight;
  };
  EXPECT_NEAR(e.simple.att, weighted([](int64_t, int64_t) { return true; }), 1e-12);
  double group_sum = 0, group_weight = 0;
  for (const auto& [g, size] : group_size) {
    double mean = 0;
    int periods = 0;
    for (int64_t t = g; t <= 2007; ++t, ++periods) mean += att[{g, t}];
    group_sum += size * mean / periods;
    group_weight += size;
  }
  EXPECT_NEAR(e.group_overall.att, group_sum / group_weight, 1e-12);
  double dynamic_sum = 0;
  for (int64_t event = 0; event <= 3; ++event) {
    dynamic_sum += weighted([event](int64_t g, int64_t t) { return t - g == event; });
  }
  EXPECT_NEAR(e.dynamic_overall.att, dynamic_sum / 4, 1e-12);
  double calendar_sum = 0;
  for (int64_t t = 2004; t <= 2007; ++t) {
    calendar_sum += weighted([t](int64_t, int64_t period) { return period == t; });
  }
  EXPECT_NEAR(e.calendar_overall.att, calendar_sum / 4, 1e-12);
}

// `did` on a repeated cross-section (att_gt with panel = FALSE and
// clustervars = the unit, aggte with bstrap = FALSE), transcribed row by row
// from its compute.aggte, independently of the estimator's per-unit sums:
// every row is an observation with its own influence value ψ_r; P(G = g) is
// the share of rows in g; an aggregate's influence adds the estimated
// weights' term (wif) row by row; its SE is √(Σ_c S_c²)/n over the clusters'
// sums S_c, n the rows.
class RowLevelDid {
 public:
  explicit RowLevelDid(std::vector<PanelRow> rows) : rows_(std::move(rows)) {
    for (const PanelRow& r : rows_) {
      periods_.push_back(r.period);
      row_share_[r.group] += 1.0 / static_cast<double>(rows_.size());
    }
    std::sort(periods_.begin(), periods_.end());
    periods_.erase(std::unique(periods_.begin(), periods_.end()), periods_.end());
    for (const auto& [g, share] : row_share_) {
      if (g == 0) continue;
      for (size_t t = 1; t < periods_.size(); ++t) cells_.insert(Cell(g, t));
    }
  }

  struct Estimate {
    double att = 0;
    double se = 0;
    std::vector<double> influence;  // per row
  };

  // Σ w_k ATT_k over cells with `include`, w_k ∝ P(G = g_k), with wif.
  Estimate Weighted(const std::function<bool(int64_t g, int64_t t)>& include) const {
    std::vector<const Estimate*> kept;
    std::vector<int64_t> kept_group;
    for (const auto& [gt, cell] : cells_) {
      if (!include(gt.first, gt.second)) continue;
      kept.push_back(&cell);
      kept_group.push_back(gt.first);
    }
    return Weighted(kept, kept_group);
  }

  // The same over any estimates of the given groups (did's group overall).
  Estimate Weighted(const std::vector<const Estimate*>& kept,
                    const std::vector<int64_t>& kept_group) const {
    double total = 0;
    for (int64_t g : kept_group) total += row_share_.at(g);
    Estimate out;
    out.influence.assign(rows_.size(), 0.0);
    for (size_t k = 0; k < kept.size(); ++k) {
      const double w = row_share_.at(kept_group[k]) / total;
      out.att += w * kept[k]->att;
      for (size_t r = 0; r < rows_.size(); ++r) out.influence[r] += w * kept[k]->influence[r];
    }
    for (size_t r = 0; r < rows_.size(); ++r) {
      double deviations = 0;
      for (size_t k = 0; k < kept.size(); ++k) {
        deviations += (rows_[r].group == kept_group[k]) - row_share_.at(kept_group[k]);
      }
      for (size_t k = 0; k < kept.size(); ++k) {
        const double pg = row_share_.at(kept_group[k]);
        const double wif =
            ((rows_[r].group == kept_group[k]) - pg) / total - deviations * pg / (total * total);
        out.influence[r] += wif * kept[k]->att;
      }
    }
    out.se = ClusteredSe(out.influence);
    return out;
  }

  // The plain mean of estimates (did's dynamic overall and θ(g)).
  Estimate Mean(const std::vector<Estimate>& parts) const {
    Estimate out;
    out.influence.assign(rows_.size(), 0.0);
    for (const Estimate& p : parts) {
      out.att += p.att / parts.size();
      for (size_t r = 0; r < rows_.size(); ++r) out.influence[r] += p.influence[r] / parts.size();
    }
    out.se = ClusteredSe(out.influence);
    return out;
  }

  const Estimate& cell(int64_t g, int64_t t) const { return cells_.at({g, t}); }
  std::vector<int64_t> groups() const {
    std::vector<int64_t> out;
    for (const auto& [g, share] : row_share_) {
      if (g != 0) out.push_back(g);
    }
    return out;
  }
  double share(int64_t g) const { return row_share_.at(g); }
  int64_t last_period() const { return periods_.back(); }

 private:
  // ATT(g,t) with not-yet-treated controls and did's varying base period.
  std::pair<std::pair<int64_t, int64_t>, Estimate> Cell(int64_t g, size_t t) const {
    const int64_t period = periods_[t];
    const size_t g_index = std::lower_bound(periods_.begin(), periods_.end(), g) - periods_.begin();
    const int64_t base = period >= g ? periods_[g_index - 1] : periods_[t - 1];
    const auto is_control = [&](int64_t h) { return h == 0 || (h > period && h != g); };
    const double n = static_cast<double>(rows_.size());
    Estimate out;
    out.influence.assign(rows_.size(), 0.0);
    const auto term = [&](const std::function<bool(const PanelRow&)>& member, double sign) {
      double sum = 0, count = 0;
      for (const PanelRow& r : rows_) {
        if (member(r)) sum += r.outcome, count += 1;
      }
      const double mean = sum / count;
      for (size_t i = 0; i < rows_.size(); ++i) {
        if (member(rows_[i])) out.influence[i] += sign * n * (rows_[i].outcome - mean) / count;
      }
      out.att += sign * mean;
    };
    term([&](const PanelRow& r) { return r.group == g && r.period == period; }, +1);
    term([&](const PanelRow& r) { return r.group == g && r.period == base; }, -1);
    term([&](const PanelRow& r) { return is_control(r.group) && r.period == period; }, -1);
    term([&](const PanelRow& r) { return is_control(r.group) && r.period == base; }, +1);
    out.se = ClusteredSe(out.influence);
    return {{g, period}, out};
  }

  double ClusteredSe(const std::vector<double>& influence) const {
    std::map<int, double> cluster_sum;
    for (size_t r = 0; r < rows_.size(); ++r) cluster_sum[rows_[r].unit] += influence[r];
    double ss = 0;
    for (const auto& [unit, s] : cluster_sum) ss += s * s;
    return std::sqrt(ss) / static_cast<double>(rows_.size());
  }

  std::vector<PanelRow> rows_;
  std::vector<int64_t> periods_;
  std::map<int64_t, double> row_share_;
  std::map<std::pair<int64_t, int64_t>, Estimate> cells_;
};

// Agents answering at different rates: 60 agents in waves 4 and 6 and never
// trained, 1 to 9 responses each per period over 8 periods, y ∈ {−100, 0,
// 100}. The wave-4 agents answer most, so row and unit shares differ.
std::vector<PanelRow> RepeatedCrossSection() {
  std::mt19937 random(20261130);
  std::vector<PanelRow> rows;
  for (int unit = 0; unit < 60; ++unit) {
    const int64_t group = unit % 3 == 0 ? 4 : unit % 3 == 1 ? 6 : 0;
    const int busiest = group == 4 ? 9 : 4;
    for (int64_t period = 1; period <= 8; ++period) {
      const int responses = 1 + static_cast<int>(random() % busiest);
      for (int i = 0; i < responses; ++i) {
        const double lift = group != 0 && period >= group ? 0.25 : 0.0;
        const double u = std::uniform_real_distribution<double>(0, 1)(random) + lift;
        rows.push_back({unit, period, group, u > 0.8 ? 100.0 : u > 0.5 ? 0.0 : -100.0});
      }
    }
  }
  return rows;
}

TEST(GroupTimeAtt, ObservationWeightsReproduceDidOnARepeatedCrossSection) {
  const std::vector<PanelRow> rows = RepeatedCrossSection();
  const RowLevelDid did(rows);
  std::vector<PanelCell> cells;
  for (const PanelRow& r : rows) cells.push_back({r.unit, r.period, r.group, r.outcome, 1});
  DidOptions options;
  options.group_weights = GroupWeights::kObservations;
  absl::StatusOr<DidEstimates> e = EstimateGroupTimeAtt(cells, options);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->rows, static_cast<int64_t>(rows.size()));
  EXPECT_EQ(e->units, 60);

  ASSERT_EQ(e->cells.size(), 14u);
  for (const GroupTimeAtt& c : e->cells) {
    ASSERT_TRUE(c.defined);
    EXPECT_NEAR(c.att, did.cell(c.group, c.period).att, 1e-9) << c.group << "," << c.period;
    EXPECT_NEAR(c.standard_error, did.cell(c.group, c.period).se, 1e-9);
  }

  const auto expect = [](const AggregateEstimate& got, const RowLevelDid::Estimate& want,
                         const std::string& what) {
    EXPECT_TRUE(got.defined) << what;
    EXPECT_NEAR(got.att, want.att, 1e-9) << what;
    EXPECT_NEAR(got.standard_error, want.se, 1e-9) << what;
  };
  expect(e->simple, did.Weighted([](int64_t g, int64_t t) { return t >= g; }), "simple");

  std::vector<RowLevelDid::Estimate> nonnegative;
  ASSERT_EQ(e->dynamic.size(), 9u);  // e = −4 … 4
  for (const AggregateEstimate& d : e->dynamic) {
    const int64_t event = d.key;
    RowLevelDid::Estimate want = did.Weighted([&](int64_t g, int64_t t) { return t - g == event; });
    expect(d, want, absl::StrCat("e=", event));
    if (event >= 0) nonnegative.push_back(std::move(want));
  }
  expect(e->dynamic_overall, did.Mean(nonnegative), "dynamic overall");

  // θ(g): the mean of g's post cells; overall: weighted by P(G = g), with wif.
  std::vector<RowLevelDid::Estimate> by_group;
  for (int64_t g : did.groups()) {
    std::vector<RowLevelDid::Estimate> post;
    for (int64_t t = g; t <= did.last_period(); ++t) post.push_back(did.cell(g, t));
    by_group.push_back(did.Mean(post));
  }
  ASSERT_EQ(e->group.size(), 2u);
  expect(e->group[0], by_group[0], "group 4");
  expect(e->group[1], by_group[1], "group 6");
  expect(e->group_overall, did.Weighted({&by_group[0], &by_group[1]}, did.groups()),
         "group overall");

  for (const AggregateEstimate& t : e->calendar) {
    const int64_t period = t.key;
    expect(t, did.Weighted([&](int64_t g, int64_t p) { return p == period && p >= g; }),
           absl::StrCat("t=", period));
  }

  // The same data weighted by agents: the same cells, other aggregations.
  options.group_weights = GroupWeights::kUnits;
  absl::StatusOr<DidEstimates> by_units = EstimateGroupTimeAtt(cells, options);
  ASSERT_TRUE(by_units.ok());
  for (size_t k = 0; k < e->cells.size(); ++k) {
    EXPECT_NEAR(by_units->cells[k].att, e->cells[k].att, 1e-12);
    EXPECT_NEAR(by_units->cells[k].standard_error, e->cells[k].standard_error, 1e-12);
  }
  EXPECT_GT(std::abs(by_units->simple.att - e->simple.att), 0.05);
  EXPECT_GT(std::abs(by_units->group_overall.att - e->group_overall.att), 0.05);
}

// On a balanced panel every unit has as many rows as periods, so row and
// unit shares are equal and so is every figure.
TEST(GroupTimeAtt, ObservationAndUnitWeightsAgreeOnABalancedPanel) {
  const absl::StatusOr<tools::Panel> panel = ReadMpdta();
  ASSERT_TRUE(panel.ok());
  std::vector<PanelCell> cells;
  for (const PanelRow& r : panel->rows) cells.push_back({r.unit, r.period, r.group, r.outcome, 1});
  DidOptions options;
  options.control = ControlGroup::kNeverTreated;
  absl::StatusOr<DidEstimates> units = EstimateGroupTimeAtt(cells, options);
  options.group_weights = GroupWeights::kObservations;
  absl::StatusOr<DidEstimates> observations = EstimateGroupTimeAtt(cells, options);
  ASSERT_TRUE(units.ok() && observations.ok());
  EXPECT_NEAR(observations->simple.att, -0.0400, kFourDecimals);
  EXPECT_NEAR(observations->simple.att, units->simple.att, 1e-12);
  EXPECT_NEAR(observations->simple.standard_error, units->simple.standard_error, 1e-12);
  EXPECT_NEAR(observations->group_overall.standard_error, units->group_overall.standard_error,
              1e-12);
  EXPECT_NEAR(observations->dynamic_overall.standard_error, units->dynamic_overall.standard_error,
              1e-12);
  EXPECT_NEAR(observations->pretrend_chi2, units->pretrend_chi2, 1e-9);
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
