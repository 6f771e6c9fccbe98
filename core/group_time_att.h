// The staggered difference-in-differences estimator of Callaway &
// Sant'Anna (2021) without covariates, as the R package `did` computes it
// (docs/training-impact.md): every group-time ATT(g,t) with an
// influence-function standard error clustered by unit, and the simple,
// dynamic (event study), group and calendar aggregations of `did::aggte`.
//
// Works on repeated observations: each row is one observation (a survey
// response) of a unit (an agent) in a period; a unit may have any number of
// rows per period, including none. On a balanced panel with one row per
// unit and period it reproduces `did`'s panel estimates and analytic SEs;
// on a repeated cross-section, `did`'s with `panel = FALSE` and clustering
// by unit, once the aggregations weight groups by rows
// (GroupWeights::kObservations). ATT(g,t) and its SE do not depend on the
// weights; only the aggregations do.
#ifndef TNPS_CORE_GROUP_TIME_ATT_H_
#define TNPS_CORE_GROUP_TIME_ATT_H_

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tnps::core {

struct PanelRow {
  // Dense unit index, 0..units-1.
  int unit;
  // Period number (a year, a week index); consecutive periods need not be
  // consecutive numbers, but every period of interest must have rows.
  int64_t period;
  // The first treated period of the unit, 0 for never treated. Constant
  // within a unit.
  int64_t group;
  double outcome;
};

// The outcomes of one unit in one period, summed: the estimator needs no
// more than this, so callers can aggregate responses in the database.
struct PanelCell {
  int unit;
  int64_t period;
  // As in PanelRow.
  int64_t group;
  double outcome_sum = 0;
  int64_t rows = 0;
};

enum class ControlGroup {
  // Units never treated (group 0).
  kNeverTreated,
  // Units never treated or not yet treated in the cell's period (group > t),
  // other than the cell's own group.
  kNotYetTreated,
};

// How the aggregations weight groups (did::aggte's P(G = g)).
enum class GroupWeights {
  // By units: each unit counts once, as `did` does on a panel (its data in
  // the first period). "The average trained agent."
  kUnits,
  // By observations: each row counts once, as `did` does on a repeated
  // cross-section (its rows, clustered by unit). A group whose units have
  // more rows weighs more: "the average response".
  kObservations,
};

// One ATT(g,t). `base_period` is g−1 (the period before g) for t ≥ g and
// t−1 (the period before t) for t < g: `did`'s "varying" base period.
struct GroupTimeAtt {
  int64_t group;
  int64_t period;
  int64_t base_period;
  double att = 0;
  double standard_error = 0;
  // Rows in the four means.
  int64_t treated_rows = 0;
  int64_t control_rows = 0;
  // False when one of the four means has no rows: att and SE are then 0 and
  // the cell takes no part in any aggregation.
  bool defined = false;
};

struct AggregateEstimate {
  // The group, event time e = t − g, or calendar period the estimate is for
  // (unused for overall estimates).
  int64_t key = 0;
  double att = 0;
  double standard_error = 0;
  bool defined = false;
  // Dynamic estimates: the units of the groups behind θ(e) (trained agents
  // observed e periods after their training).
  int64_t treated_units = 0;
  // Dynamic estimates: whether the uniform band covers this event time.
  bool in_uniform_band = false;
};

struct DidEstimates {
  std::vector<GroupTimeAtt> cells;
  // θ: ATT over post-treatment cells weighted by group size.
  AggregateEstimate simple;
  // θ(e) for every event time, and their mean over e ≥ 0.
  std::vector<AggregateEstimate> dynamic;
  AggregateEstimate dynamic_overall;
  // θ(g) per group, and their group-size-weighted mean.
  std::vector<AggregateEstimate> group;
  AggregateEstimate group_overall;
  // θ(t) per calendar period from the first treatment on, and their mean.
  std::vector<AggregateEstimate> calendar;
  AggregateEstimate calendar_overall;
  // Joint Wald test that every defined pre-treatment ATT(g,t) is 0 (did's
  // pre-test). Not computed (pretrend_defined false) when there are more
  // such cells than DidOptions::max_pretrend_cells or their covariance is
  // singular, as with weekly periods over years.
  double pretrend_chi2 = 0;
  int pretrend_df = 0;
  double pretrend_p_value = 1;
  bool pretrend_defined = false;
  // Joint Wald test that the event study's leads θ(e), −L ≤ e ≤ −1, are 0,
  // L = DidOptions::max_pretrend_leads: the placebo test that stays
  // computable with many periods.
  double leads_chi2 = 0;
  int leads_df = 0;
  double leads_p_value = 1;
  bool leads_defined = false;
  // Simultaneous (uniform) band of the event study: θ(e) ± c·SE(e) covers
  // every θ(e) of the event window at once with the band's probability
  // (DidOptions::uniform_band_level), where c is that quantile of
  // max_e |θ*(e) − θ(e)| / SE(e) over a multiplier
  // bootstrap of the influence functions (Rademacher weights, as `did`'s
  // default `cband = TRUE` does; the pointwise band uses 1.96). Set when
  // DidOptions::uniform_band_draws > 0 and some θ(e) of the window has a
  // positive SE.
  double uniform_critical_value = 0;
  bool uniform_band_defined = false;
  int64_t units = 0;
  // Rows of the units kept (treated groups without an earlier period are
  // dropped).
  int64_t rows = 0;
};

struct DidOptions {
  ControlGroup control = ControlGroup::kNotYetTreated;
  GroupWeights group_weights = GroupWeights::kUnits;
  int max_pretrend_cells = 200;
  int max_pretrend_leads = 12;
  // The uniform band: bootstrap draws (0: none), the generator's seed (the
  // same data and seed give the same band), its level, and the event times
  // it covers: those in [min_event, max_event] with at least min_units
  // treated units behind them (where few remain, θ(e) says little).
  int uniform_band_draws = 0;
  uint64_t uniform_band_seed = 20260301;
  double uniform_band_level = 0.95;
  int64_t uniform_band_min_event = INT64_MIN;
  int64_t uniform_band_max_event = INT64_MAX;
  int64_t uniform_band_min_units = 0;
};

// INVALID_ARGUMENT when a unit's group changes between rows, or no group is
// left to estimate (treated groups whose first period has no earlier period
// are dropped, as `did` drops units treated from the start).
absl::StatusOr<DidEstimates> EstimateGroupTimeAtt(const std::vector<PanelRow>& rows,
                                                  ControlGroup control);

// The same estimator on outcomes already summed per unit and period; cells
// of one unit and period may repeat (they add up).
absl::StatusOr<DidEstimates> EstimateGroupTimeAtt(const std::vector<PanelCell>& cells,
                                                  const DidOptions& options);

}  // namespace tnps::core

#endif  // TNPS_CORE_GROUP_TIME_ATT_H_
