#include "core/cohort_uplift.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/group_time_att.h"
#include "core/normal_distribution.h"

namespace tnps::core {
namespace {

bool Contains(const DayRange& range, absl::CivilDay day) {
  return day >= range.first && day <= range.last;
}

// y summed over the responses: +100 per promoter, −100 per detractor.
double OutcomeSum(const NpsCounts& c) { return 100.0 * (c.promoters - c.detractors); }

absl::flat_hash_map<std::string, NpsCounts> SumPerAgent(const std::vector<AgentTotal>& totals) {
  absl::flat_hash_map<std::string, NpsCounts> sums;
  for (const AgentTotal& t : totals) sums[t.agent_id] += t.counts;
  return sums;
}

NpsCounts CountsOf(const absl::flat_hash_map<std::string, NpsCounts>& sums,
                   const std::string& agent_id) {
  const auto it = sums.find(agent_id);
  return it == sums.end() ? NpsCounts{} : it->second;
}

}  // namespace

DayRange PreWindow(absl::CivilDay completion, const UpliftWindows& w) {
  return {completion - w.pre_days, completion - 1};
}

DayRange PostWindow(absl::CivilDay completion, const UpliftWindows& w) {
  return {completion + 1 + w.washout_days, completion + w.washout_days + w.post_days};
}

std::pair<DayRange, DayRange> ComparisonWindows(const std::vector<absl::CivilDay>& completions,
                                                const UpliftWindows& windows) {
  const auto [earliest, latest] = std::minmax_element(completions.begin(), completions.end());
  return {PreWindow(*earliest, windows), PostWindow(*latest, windows)};
}

DayRange UpliftDataRange(const std::vector<absl::CivilDay>& completions,
                         const UpliftWindows& windows, int rolling_days) {
  const auto [pre, post] = ComparisonWindows(completions, windows);
  return {pre.first - (rolling_days - 1), post.last};
}

absl::StatusOr<CohortUplift> EstimateCohortUplift(const UpliftInput& input) {
  const UpliftWindows& w = input.windows;
  if (w.pre_days <= 0 || w.post_days <= 0 || w.washout_days < 0 || input.rolling_days <= 0) {
    return absl::InvalidArgumentError("windows must be positive (washout may be 0)");
  }
  std::vector<absl::CivilDay> completed;
  for (const auto& c : input.completions) {
    if (c) completed.push_back(*c);
  }
  if (completed.empty()) return absl::InvalidArgumentError("no agent has a completion");

  CohortUplift out;
  std::tie(out.comparison_pre, out.comparison_post) = ComparisonWindows(completed, w);
  const DayRange span{out.comparison_pre.first, out.comparison_post.last};
  const DayRange data{span.first - (input.rolling_days - 1), span.last};

  // Per agent, counts in its pre (period 1) and post (period 2) windows.
  const size_t agents = input.completions.size();
  std::vector<NpsCounts> pre(agents), post(agents);
  DailySeries cohort_days(data), comparison_days(data);
  for (const AgentDayCounts& d : input.days) {
    const auto& completion = input.completions[static_cast<size_t>(d.agent)];
    const DayRange agent_pre = completion ? PreWindow(*completion, w) : out.comparison_pre;
    const DayRange agent_post = completion ? PostWindow(*completion, w) : out.comparison_post;
    if (Contains(agent_pre, d.day)) pre[d.agent] += d.counts;
    if (Contains(agent_post, d.day)) post[d.agent] += d.counts;
    (completion ? cohort_days : comparison_days).Add(d.day, d.counts);
  }
  for (const AgentWindowCounts& c : input.comparison_windows) {
    pre[c.agent] += c.pre;
    post[c.agent] += c.post;
  }
  for (const auto& [day, counts] : input.comparison_daily) comparison_days.Add(day, counts);

  std::vector<PanelCell> cells;
  for (size_t i = 0; i < agents; ++i) {
    const bool treated = input.completions[i].has_value();
    (treated ? out.cohort_pre : out.comparison_pre_counts) += pre[i];
    (treated ? out.cohort_post : out.comparison_post_counts) += post[i];
    const int64_t group = treated ? 2 : 0;
    const int unit = static_cast<int>(i);
    if (pre[i].responses() > 0) {
      cells.push_back({unit, 1, group, OutcomeSum(pre[i]), pre[i].responses()});
    }
    if (post[i].responses() > 0) {
      cells.push_back({unit, 2, group, OutcomeSum(post[i]), post[i].responses()});
    }
  }
  out.naive = CompareIndependent(out.cohort_pre, out.cohort_post, input.confidence_level);
  out.comparison_change = CompareIndependent(out.comparison_pre_counts, out.comparison_post_counts,
                                             input.confidence_level);

  // A two-period, one-group case of the group-time estimator: ATT(2,2).
  if (!cells.empty()) {
    DidOptions options;
    options.control = ControlGroup::kNeverTreated;
    absl::StatusOr<DidEstimates> did = EstimateGroupTimeAtt(cells, options);
    if (did.ok()) {
      for (const GroupTimeAtt& cell : did->cells) {
        if (cell.period != 2 || !cell.defined || cell.standard_error <= 0) continue;
        DidResult& u = out.uplift;
        const double z = NormalQuantile(0.5 + input.confidence_level / 2);
        u.estimate = cell.att;
        u.standard_error = cell.standard_error;
        u.ci_low = u.estimate - z * u.standard_error;
        u.ci_high = u.estimate + z * u.standard_error;
        u.z = u.estimate / u.standard_error;
        u.p_value = TwoSidedPValue(u.z);
        u.defined = true;
      }
    }
  }

  for (absl::CivilDay day = span.first; day <= span.last; ++day) {
    const DayRange window = RollingWindow(day, input.rolling_days);
    out.daily.push_back({day, cohort_days.Sum(window), comparison_days.Sum(window)});
  }
  return out;
}

absl::StatusOr<UpliftAgents> SelectUpliftAgents(int64_t cohort_id,
                                                const std::vector<Enrollment>& programme,
                                                const UpliftWindows& windows, int rolling_days) {
  UpliftAgents out;
  std::set<std::string> cohort_untrained;
  std::map<std::string, std::optional<absl::CivilDay>> others;
  for (const Enrollment& e : programme) {
    if (e.cohort_id != cohort_id) {
      others[e.agent_id] = e.completed_day;
    } else if (e.completed_day) {
      out.treated.push_back(e.agent_id);
      out.completions.push_back(*e.completed_day);
    } else {
      cohort_untrained.insert(e.agent_id);
    }
  }
  if (out.treated.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cohort ", cohort_id,
                     " has no recorded completions; record them with RecordCompletions first"));
  }
  std::tie(out.comparison_pre, out.comparison_post) = ComparisonWindows(out.completions, windows);
  out.data = UpliftDataRange(out.completions, windows, rolling_days);
  out.windows = windows;
  out.rolling_days = rolling_days;
  out.excluded.assign(cohort_untrained.begin(), cohort_untrained.end());
  out.excluded.insert(out.excluded.end(), out.treated.begin(), out.treated.end());
  for (const auto& [agent_id, completed] : others) {
    if (completed && *completed <= out.comparison_post.last) {
      out.excluded.push_back(agent_id);
    } else {
      out.not_yet_trained.push_back(agent_id);
    }
  }
  return out;
}

absl::StatusOr<CohortUpliftEstimate> EstimateCohortUplift(const UpliftAgents& agents,
                                                          const UpliftCounts& counts,
                                                          double confidence_level) {
  UpliftInput input;
  input.windows = agents.windows;
  input.confidence_level = confidence_level;
  input.rolling_days = agents.rolling_days;
  // Units: the treated agents first, then the comparison agents in id order.
  absl::flat_hash_map<std::string, int> treated_unit;
  for (size_t i = 0; i < agents.treated.size(); ++i) {
    treated_unit.emplace(agents.treated[i], static_cast<int>(i));
    input.completions.push_back(agents.completions[i]);
  }
  for (const AgentPeriodCounts& d : counts.treated_days) {
    const auto unit = treated_unit.find(d.agent_id);
    if (unit != treated_unit.end()) input.days.push_back({unit->second, d.day, d.counts});
  }
  const absl::flat_hash_map<std::string, NpsCounts> pre = SumPerAgent(counts.comparison_pre);
  const absl::flat_hash_map<std::string, NpsCounts> post = SumPerAgent(counts.comparison_post);
  std::set<std::string> answered;
  for (const auto& [agent_id, c] : pre) answered.insert(agent_id);
  for (const auto& [agent_id, c] : post) answered.insert(agent_id);
  const absl::flat_hash_set<std::string> excluded(agents.excluded.begin(), agents.excluded.end());
  const absl::flat_hash_set<std::string> not_yet(agents.not_yet_trained.begin(),
                                                 agents.not_yet_trained.end());
  CohortUpliftEstimate out;
  out.treated_agents = static_cast<int>(agents.treated.size());
  for (const std::string& agent_id : answered) {
    if (excluded.contains(agent_id)) continue;
    ++(not_yet.contains(agent_id) ? out.not_yet_trained_agents : out.never_trained_agents);
    const int unit = static_cast<int>(input.completions.size());
    input.completions.push_back(std::nullopt);
    input.comparison_windows.push_back({unit, CountsOf(pre, agent_id), CountsOf(post, agent_id)});
  }
  // The comparison agents' daily totals: everyone's less the excluded agents'.
  input.comparison_daily = counts.all_daily;
  for (const auto& [day, c] : counts.excluded_daily) {
    input.comparison_daily.push_back({day, {-c.promoters, -c.passives, -c.detractors}});
  }
  absl::StatusOr<CohortUplift> uplift = EstimateCohortUplift(input);
  if (!uplift.ok()) return uplift.status();
  out.uplift = *std::move(uplift);
  return out;
}

}  // namespace tnps::core
