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

// What the training cost: completed participants × hours per participant ×
// cost per hour, and that cost divided by the simple ATT.
struct TrainingCost {
  double training_hours = 0;
  double total_cost_micros = 0;
  // Only for a defined, positive ATT whose cost per point fits an int64
  // (an uplift near 0 makes a point arbitrarily expensive).
  std::optional<int64_t> cost_per_point_micros;
};

TrainingCost CostOfTraining(int completed_agents, double hours_per_participant,
                            int64_t cost_per_hour_micros, const AggregateEstimate& simple);

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
};

// FAILED_PRECONDITION without responses, or when the estimator has no group
// to estimate (every trained group lacks responses before its training).
absl::StatusOr<ProgramImpact> EstimateProgramImpact(const std::vector<Enrollment>& enrollments,
                                                    const std::vector<AgentPeriodCounts>& counts,
                                                    BucketSize bucket, const DidOptions& options,
                                                    const ProgramCostRates& rates);

}  // namespace tnps::core

#endif  // TNPS_CORE_PROGRAM_IMPACT_H_
