// The uplift of one training cohort (docs/training-impact.md): who is
// treated and who is compared, before and after for the cohort's agents
// aligned on each one's completion day, comparison agents over the same
// calendar span, the naive delta, the difference-in-differences estimate,
// and a daily rolling series for a chart.
#ifndef TNPS_CORE_COHORT_UPLIFT_H_
#define TNPS_CORE_COHORT_UPLIFT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "core/nps_statistics.h"
#include "core/time_buckets.h"
#include "core/training_records.h"

namespace tnps::core {

struct UpliftWindows {
  int pre_days = 0;
  int post_days = 0;
  int washout_days = 0;
};

// An agent's windows around its completion day c: pre is [c − pre, c − 1],
// post is [c + 1 + washout, c + washout + post]. The completion day itself
// and the washout are left out of both.
DayRange PreWindow(absl::CivilDay completion, const UpliftWindows& windows);
DayRange PostWindow(absl::CivilDay completion, const UpliftWindows& windows);

// Counts of one agent on one day; `agent` indexes UpliftInput::completions.
struct AgentDayCounts {
  int agent;
  absl::CivilDay day;
  NpsCounts counts;
};

// A comparison agent's counts in the comparison pre and post windows.
struct AgentWindowCounts {
  int agent;
  NpsCounts pre;
  NpsCounts post;
};

struct UpliftInput {
  // Per agent: the completion day of a cohort (treated) agent, or nullopt
  // for a comparison agent. At least one must be set.
  std::vector<std::optional<absl::CivilDay>> completions;
  // Any order; days outside every window are ignored.
  std::vector<AgentDayCounts> days;
  // Comparison agents may come pre-summed instead of in `days` (far less data
  // for thousands of agents, and the same result): each one's counts in the
  // comparison windows (ComparisonWindows), and the daily totals of all of
  // them. An agent is either here or in `days`, not both.
  std::vector<AgentWindowCounts> comparison_windows;
  std::vector<DayCounts> comparison_daily;
  UpliftWindows windows;
  double confidence_level = 0.95;
  int rolling_days = 28;
};

// (ΔT − ΔC) with an influence-function SE clustered by agent.
struct DidResult {
  double estimate = 0;
  double standard_error = 0;
  double ci_low = 0;
  double ci_high = 0;
  double z = 0;
  double p_value = 1;
  bool defined = false;
};

struct UpliftDay {
  absl::CivilDay day;
  NpsCounts cohort;
  NpsCounts comparison;
};

struct CohortUplift {
  // The comparison agents' calendar windows: the pre days before the
  // earliest completion, the post days after the latest completion plus
  // washout.
  DayRange comparison_pre;
  DayRange comparison_post;
  NpsCounts cohort_pre, cohort_post, comparison_pre_counts, comparison_post_counts;
  // cohort_post − cohort_pre, independent-sample z test: the naive figure.
  NpsDifference naive;
  NpsDifference comparison_change;
  DidResult uplift;
  // Every day of [comparison_pre.first, comparison_post.last]: counts over
  // the rolling_days days ending on it.
  std::vector<UpliftDay> daily;
};

// INVALID_ARGUMENT if a window is not positive or no agent is treated.
absl::StatusOr<CohortUplift> EstimateCohortUplift(const UpliftInput& input);

// The comparison agents' calendar windows (pre, post) for these completions:
// CohortUplift::comparison_pre and comparison_post.
std::pair<DayRange, DayRange> ComparisonWindows(const std::vector<absl::CivilDay>& completions,
                                                const UpliftWindows& windows);

// The days an UpliftInput must hold counts for: the rolling window before
// the comparison pre window through the comparison post window.
DayRange UpliftDataRange(const std::vector<absl::CivilDay>& completions,
                         const UpliftWindows& windows, int rolling_days);

// Who one cohort's uplift compares, decided from its programme's enrolments
// before any count is read.
//
// Treated: the cohort's agents with a recorded completion. Never comparison
// agents ("excluded"): the cohort's own agents, trained or not (an
// untrained one may be anticipating its training), and the programme's
// other agents trained by the end of the comparison post window. Every
// other agent of the tenant that answered in a comparison window is a
// comparison agent: "not yet trained" if the programme enrols it, "never
// trained" otherwise.
struct UpliftAgents {
  // In the order of the programme's enrolments (storage gives agent id
  // order), with each one's completion day.
  std::vector<std::string> treated;
  std::vector<absl::CivilDay> completions;
  std::vector<std::string> excluded;
  // The programme's agents in other cohorts not trained by the end of the
  // comparison post window, sorted.
  std::vector<std::string> not_yet_trained;
  DayRange comparison_pre;
  DayRange comparison_post;
  // The days whose counts the estimate reads (UpliftDataRange).
  DayRange data;
  // What the windows above were computed with; the estimate uses the same.
  UpliftWindows windows;
  int rolling_days = 28;
};

// FAILED_PRECONDITION when no agent of the cohort has a completion.
absl::StatusOr<UpliftAgents> SelectUpliftAgents(int64_t cohort_id,
                                                const std::vector<Enrollment>& programme,
                                                const UpliftWindows& windows, int rolling_days);

// The counts an uplift estimate reads, for the days of UpliftAgents::data.
struct UpliftCounts {
  // The treated agents' counts per day.
  std::vector<AgentPeriodCounts> treated_days;
  // Every agent's totals in the comparison pre and post windows.
  std::vector<AgentTotal> comparison_pre;
  std::vector<AgentTotal> comparison_post;
  // Daily totals of every agent, and of the excluded agents.
  std::vector<DayCounts> all_daily;
  std::vector<DayCounts> excluded_daily;
};

struct CohortUpliftEstimate {
  CohortUplift uplift;
  int treated_agents = 0;
  int not_yet_trained_agents = 0;
  int never_trained_agents = 0;
  int comparison_agents() const { return not_yet_trained_agents + never_trained_agents; }
};

// The same estimate as EstimateCohortUplift(UpliftInput), from what storage
// reads for `agents`: comparison agents are those not excluded with
// responses in either comparison window (an agent with none adds nothing to
// the estimate). INVALID_ARGUMENT as that overload.
absl::StatusOr<CohortUpliftEstimate> EstimateCohortUplift(const UpliftAgents& agents,
                                                          const UpliftCounts& counts,
                                                          double confidence_level);

}  // namespace tnps::core

#endif  // TNPS_CORE_COHORT_UPLIFT_H_
