#include "core/program_impact.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "core/normal_distribution.h"

namespace tnps::core {
namespace {

// The group of an agent enrolled without a completion yet.
constexpr int64_t kUnknownGroup = -1;

}  // namespace

ProgramPanel BuildProgramPanel(const std::vector<Enrollment>& enrollments,
                               const std::vector<AgentPeriodCounts>& counts, BucketSize bucket) {
  std::map<std::string, int64_t> group_of;
  for (const Enrollment& e : enrollments) {
    group_of[e.agent_id] = e.completed_day ? BucketNumber(*e.completed_day, bucket) : kUnknownGroup;
  }
  int64_t last_period = 0;
  for (const AgentPeriodCounts& c : counts) {
    last_period = std::max(last_period, BucketNumber(c.day, bucket));
  }
  ProgramPanel panel;
  panel.cells.reserve(counts.size());
  // Units numbered in agent-id order, whatever order the counts come in:
  // the uniform band's bootstrap weights follow unit numbers, so the same
  // data give the same band.
  std::map<std::string, int> unit_of;
  for (const AgentPeriodCounts& c : counts) {
    const auto g = group_of.find(c.agent_id);
    if (g == group_of.end() || g->second != kUnknownGroup) unit_of.try_emplace(c.agent_id, 0);
  }
  int next_unit = 0;
  for (auto& [agent, unit] : unit_of) unit = next_unit++;
  std::set<int> untreated;
  for (const AgentPeriodCounts& c : counts) {
    const auto g = group_of.find(c.agent_id);
    int64_t group = g == group_of.end() ? 0 : g->second;
    if (group < 0) continue;             // kUnknownGroup
    if (group > last_period) group = 0;  // trained after the data: untreated within it
    const int unit = unit_of.at(c.agent_id);
    if (group == 0) untreated.insert(unit);
    panel.cells.push_back({unit, BucketNumber(c.day, bucket), group,
                           100.0 * (c.counts.promoters - c.counts.detractors),
                           c.counts.responses()});
    panel.responses += c.counts.responses();
  }
  panel.untreated_units = static_cast<int>(untreated.size());
  return panel;
}

TrainingCost CostOfTraining(int completed_agents, double hours_per_participant,
                            int64_t cost_per_hour_micros, const AggregateEstimate& simple,
                            double ci_low, double ci_high, int64_t value_per_point_micros) {
  TrainingCost cost;
  cost.training_hours = completed_agents * hours_per_participant;
  cost.total_cost_micros = cost.training_hours * static_cast<double>(cost_per_hour_micros);
  if (!simple.defined) return cost;
  const double total = cost.total_cost_micros;
  const double per_point = simple.att > 0 ? total / simple.att : 0;
  if (simple.att > 0 && per_point < 9e18) {
    Ranged range{.value = per_point, .low = ci_high > 0 ? total / ci_high : per_point};
    if (ci_low > 0) range.high = total / ci_low;
    cost.cost_per_point_micros = range;
  }
  if (value_per_point_micros > 0) {
    const double value = static_cast<double>(value_per_point_micros);
    cost.annual_value_micros = Ranged{simple.att * value, ci_low * value, ci_high * value};
    cost.net_first_year_micros =
        Ranged{simple.att * value - total, ci_low * value - total, ci_high * value - total};
    if (simple.att > 0) {
      Ranged months{.value = 12 * total / (simple.att * value),
                    .low = 12 * total / (std::max(ci_high, simple.att) * value)};
      if (ci_low > 0) months.high = 12 * total / (ci_low * value);
      cost.payback_months = months;
    }
  }
  return cost;
}

absl::StatusOr<ProgramImpact> EstimateProgramImpact(const std::vector<Enrollment>& enrollments,
                                                    const std::vector<AgentPeriodCounts>& counts,
                                                    BucketSize bucket, const DidOptions& options,
                                                    const ProgramCostRates& rates) {
  const ProgramPanel panel = BuildProgramPanel(enrollments, counts, bucket);
  if (panel.cells.empty()) return absl::FailedPreconditionError("no responses in the range");
  absl::StatusOr<DidEstimates> did = EstimateGroupTimeAtt(panel.cells, options);
  if (!did.ok()) return absl::FailedPreconditionError(did.status().message());
  ProgramImpact impact;
  impact.responses = panel.responses;
  impact.untreated_agents = panel.untreated_units;
  impact.treated_agents = static_cast<int>(did->units - panel.untreated_units);
  const int completed = static_cast<int>(
      std::count_if(enrollments.begin(), enrollments.end(),
                    [](const Enrollment& e) { return e.completed_day.has_value(); }));
  const double z = NormalQuantile(0.5 + rates.confidence_level / 2);
  impact.cost = CostOfTraining(completed, rates.hours_per_participant, rates.cost_per_hour_micros,
                               did->simple, did->simple.att - z * did->simple.standard_error,
                               did->simple.att + z * did->simple.standard_error,
                               rates.value_per_point_micros);
  impact.did = *std::move(did);
  return impact;
}

}  // namespace tnps::core
