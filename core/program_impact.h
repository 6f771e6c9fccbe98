// The impact of a whole training programme (docs/training-impact.md, "In
// TrainingService"): the agent-by-period panel the staggered estimator
// (core/group_time_att.h) runs on, and what the training cost per NPS point
// it gained.
#ifndef TNPS_CORE_PROGRAM_IMPACT_H_
#define TNPS_CORE_PROGRAM_IMPACT_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "core/group_time_att.h"
#include "core/time_buckets.h"
#include "core/training_records.h"

namespace tnps::core {

// The estimator's input for one programme.
//
// Group of an agent: the period (week or month number, BucketNumber) of its
// completion. Agents enrolled without a completion are left out: their
// group is unknown, and they may be anticipating the training. Agents the
// programme does not enrol, and agents completing after the last period
// with responses, are untreated within the data (group 0).
struct ProgramPanel {
  // One cell per agent and period with responses; units are dense, in
  // first-seen order of `counts`.
  std::vector<PanelCell> cells;
  int64_t responses = 0;
  // Units with group 0.
  int untreated_units = 0;
};

// `counts` per agent and period (kWeek or kMonth), any order.
ProgramPanel BuildProgramPanel(const std::vector<Enrollment>& enrollments,
                               const std::vector<AgentPeriodCounts>& counts, BucketSize bucket);

// A figure with the range the ATT's confidence interval gives it. `high`
// is unset where the interval allows no bound (a cost per point when the
// interval reaches 0: a point may then cost anything).
struct Ranged {
  double value = 0;
  double low = 0;
  std::optional<double> high;
};

// What the training cost: completed participants × hours per participant ×
// cost per hour, that cost divided by the simple ATT, and, given the value
// of one NPS point over a year, what the uplift is worth.
struct TrainingCost {
  double training_hours = 0;
  double total_cost_micros = 0;
  // Cost / ATT, over [cost / ci_high, cost / ci_low]. Only for a defined,
  // positive ATT whose cost per point fits an int64 (an uplift near 0
  // makes a point arbitrarily expensive); no upper end while ci_low ≤ 0.
  std::optional<Ranged> cost_per_point_micros;
  // With a value per point: the uplift's value over a year (ATT × value),
  // net of the cost, and the months until the value has paid the cost back
  // (cost / (ATT × value / 12), for a positive ATT; no upper end while
  // ci_low ≤ 0).
  std::optional<Ranged> annual_value_micros;
  std::optional<Ranged> net_first_year_micros;
  std::optional<Ranged> payback_months;
};

// `ci_low`, `ci_high`: the simple ATT's interval. `value_per_point_micros`:
// the annual value of one NPS point; 0 for none.
TrainingCost CostOfTraining(int completed_agents, double hours_per_participant,
                            int64_t cost_per_hour_micros, const AggregateEstimate& simple,
                            double ci_low = 0, double ci_high = 0,
                            int64_t value_per_point_micros = 0);

struct ProgramImpact {
  DidEstimates did;
  int64_t responses = 0;
  // Agents the estimator kept: trained ones whose group has an earlier
  // period in the data, and every untreated one.
  int treated_agents = 0;
  int untreated_agents = 0;
  TrainingCost cost;
};

struct ProgramCostRates {
  double hours_per_participant = 0;
  int64_t cost_per_hour_micros = 0;
  // The annual value of one NPS point; 0 for none.
  int64_t value_per_point_micros = 0;
  // Of the interval the cost per point and the value ranges follow.
  double confidence_level = 0.95;
};

// FAILED_PRECONDITION without responses, or when the estimator has no group
// to estimate (every trained group lacks responses before its training).
absl::StatusOr<ProgramImpact> EstimateProgramImpact(const std::vector<Enrollment>& enrollments,
                                                    const std::vector<AgentPeriodCounts>& counts,
                                                    BucketSize bucket, const DidOptions& options,
                                                    const ProgramCostRates& rates);

}  // namespace tnps::core

#endif  // TNPS_CORE_PROGRAM_IMPACT_H_
