// The estimate handlers of TrainingService: cohort uplift, programme impact
// and the cohort planner. Each reads counts from storage and hands them to
// the estimators in core/.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "core/cohort_plan.h"
#include "core/cohort_uplift.h"
#include "core/group_time_att.h"
#include "core/normal_distribution.h"
#include "services/analytics/nps_mapping.h"
#include "services/common/grpc_status.h"
#include "services/training/training_mapping.h"
#include "services/training/training_service.h"

namespace tnps::services {
namespace {

constexpr int kRollingDays = 28;
constexpr int kDefaultImpactDays = 730;
constexpr int kPlanHistoryWeeks = 26;

constexpr char kUpliftMethod[] =
    "difference in differences: (cohort post − pre, each agent aligned on its completion) − "
    "(comparison post − pre, calendar windows); SE from influence functions clustered by agent";
constexpr char kImpactMethod[] =
    "Callaway & Sant'Anna (2021) group-time ATT without covariates, varying base period; "
    "y = +100/0/−100 per response; SEs from influence functions clustered by agent";
constexpr char kPlanMethod[] =
    "MDE = (z(0.975) + z(0.80))·SE; SE² = σ²·DE·(2/(treated·m) + 2/(comparison·m)), "
    "m = responses per agent per window, DE = 1 + (m − 1)·ICC, σ and ICC from a one-way "
    "ANOVA of the last 26 weeks; conservative (agent effects that cancel are not credited)";

// Unit indices for agent ids, in first-seen order.
class AgentIndex {
 public:
  int Of(const std::string& agent_id) {
    auto [it, inserted] = index_.emplace(agent_id, static_cast<int>(ids_.size()));
    if (inserted) ids_.push_back(agent_id);
    return it->second;
  }
  size_t size() const { return ids_.size(); }
  const std::string& id(int i) const { return ids_[static_cast<size_t>(i)]; }

 private:
  std::map<std::string, int> index_;
  std::vector<std::string> ids_;
};

void AggregateToProto(const core::AggregateEstimate& e, double z, tnps::v1::AggregateEffect* out) {
  out->set_defined(e.defined);
  if (!e.defined) return;
  out->set_att(e.att);
  out->set_standard_error(e.standard_error);
  out->set_ci_low(e.att - z * e.standard_error);
  out->set_ci_high(e.att + z * e.standard_error);
  out->set_p_value(e.standard_error > 0 ? core::TwoSidedPValue(e.att / e.standard_error) : 1.0);
}

double ConfidenceLevel(double requested, std::vector<core::FieldViolation>& violations) {
  if (requested == 0) return 0.95;
  if (!(requested > 0 && requested < 1)) {
    violations.push_back({"confidence_level", "must be in (0, 1); 0 means 0.95"});
  }
  return requested;
}

}  // namespace

grpc::Status TrainingService::GetCohortUplift(grpc::ServerContext* context,
                                              const tnps::v1::GetCohortUpliftRequest* request,
                                              tnps::v1::GetCohortUpliftResponse* response) {
  absl::StatusOr<storage::Principal> principal =
      authenticator_.Authenticate(*context, core::Role::kRead);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::vector<core::FieldViolation> violations;
  if (request->cohort_id() <= 0) violations.push_back({"cohort_id", "is required"});
  const auto check_days = [&](int days, int min, const char* field) {
    if (days < min || days > kMaxWindowDays) {
      violations.push_back({field, absl::StrCat("must be ", min, "..", kMaxWindowDays, " days")});
    }
  };
  check_days(request->pre_days(), 1, "pre_days");
  check_days(request->post_days(), 1, "post_days");
  check_days(request->washout_days(), 0, "washout_days");
  const double confidence = ConfidenceLevel(request->confidence_level(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);

  const int64_t tenant = principal->tenant_id;
  absl::StatusOr<storage::Cohort> cohort = store_.GetCohort(tenant, request->cohort_id());
  if (!cohort.ok()) return ToGrpcStatus(cohort.status());
  absl::StatusOr<std::vector<storage::Enrollment>> enrollments =
      store_.ProgramEnrollments(tenant, cohort->program_id);
  if (!enrollments.ok()) return ToGrpcStatus(enrollments.status());

  core::UpliftInput input;
  input.windows = {request->pre_days(), request->post_days(), request->washout_days()};
  input.confidence_level = confidence;
  input.rolling_days = kRollingDays;
  // Cohort agents with a completion are treated; the programme's other
  // agents are comparison agents only while still untrained (decided
  // below, once the comparison windows are known).
  AgentIndex agents;
  std::map<std::string, std::optional<absl::CivilDay>> programme_completion;
  std::vector<absl::CivilDay> completions;
  std::set<std::string> cohort_untrained;
  for (const storage::Enrollment& e : *enrollments) {
    if (e.cohort_id == cohort->cohort_id) {
      if (!e.completed_day) {
        cohort_untrained.insert(e.agent_id);
        continue;
      }
      const int i = agents.Of(e.agent_id);
      input.completions.resize(agents.size());
      input.completions[i] = *e.completed_day;
      completions.push_back(*e.completed_day);
    } else {
      programme_completion[e.agent_id] = e.completed_day;
    }
  }
  if (completions.empty()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("cohort ", cohort->cohort_id,
                                     " has no recorded completions; record them with "
                                     "RecordCompletions first"));
  }
  const core::DayRange data = core::UpliftDataRange(completions, input.windows, kRollingDays);
  if (data.days() > kMaxRangeDays + kRollingDays) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("the cohort's completions and windows span ", data.days(),
                                     " days; the limit is ", kMaxRangeDays));
  }
  const auto [comparison_pre, comparison_post] =
      core::ComparisonWindows(completions, input.windows);

  // Agents that are not comparison agents: the cohort's, and the
  // programme's others trained by the end of the comparison windows.
  std::vector<std::string> cohort_agents, excluded;
  for (size_t i = 0; i < agents.size(); ++i)
    cohort_agents.push_back(agents.id(static_cast<int>(i)));
  for (const std::string& agent_id : cohort_untrained) excluded.push_back(agent_id);
  excluded.insert(excluded.end(), cohort_agents.begin(), cohort_agents.end());
  for (const auto& [agent_id, completed] : programme_completion) {
    if (completed && *completed <= comparison_post.last) excluded.push_back(agent_id);
  }
  // Cohort agents day by day; comparison agents summed per window and per
  // day (every agent's daily totals less the excluded agents'), each read
  // aggregated in PostgreSQL.
  absl::StatusOr<std::vector<storage::AgentCounts>> cohort_days =
      store_.AgentBucketCounts(tenant, data, core::BucketSize::kDay, cohort_agents);
  if (!cohort_days.ok()) return ToGrpcStatus(cohort_days.status());
  for (const storage::AgentCounts& d : *cohort_days) {
    input.days.push_back({agents.Of(d.agent_id), d.day, d.counts});
  }
  const auto totals_per_agent = [&](const core::DayRange& days)
      -> absl::StatusOr<absl::flat_hash_map<std::string, core::NpsCounts>> {
    absl::StatusOr<std::vector<storage::GroupCounts>> rows = analytics_.GroupTotals(
        {.tenant_id = tenant, .days = days}, storage::RollupGroup::kAgentAndTeam);
    if (!rows.ok()) return rows.status();
    absl::flat_hash_map<std::string, core::NpsCounts> sums;
    for (const storage::GroupCounts& row : *rows) sums[row.key] += row.counts;
    return sums;
  };
  absl::StatusOr<absl::flat_hash_map<std::string, core::NpsCounts>> in_pre =
      totals_per_agent(comparison_pre);
  if (!in_pre.ok()) return ToGrpcStatus(in_pre.status());
  absl::StatusOr<absl::flat_hash_map<std::string, core::NpsCounts>> in_post =
      totals_per_agent(comparison_post);
  if (!in_post.ok()) return ToGrpcStatus(in_post.status());
  // Comparison agents: those not excluded with responses in either window
  // (an agent with none adds nothing to the estimate), in id order.
  const std::set<std::string> excluded_set(excluded.begin(), excluded.end());
  std::set<std::string> answered;
  for (const auto& [agent_id, counts] : *in_pre) answered.insert(agent_id);
  for (const auto& [agent_id, counts] : *in_post) answered.insert(agent_id);
  int not_yet = 0, never = 0;
  for (const std::string& agent_id : answered) {
    if (excluded_set.contains(agent_id)) continue;
    const int i = agents.Of(agent_id);
    input.completions.resize(agents.size());
    ++(programme_completion.contains(agent_id) ? not_yet : never);
    const auto pre = in_pre->find(agent_id);
    const auto post = in_post->find(agent_id);
    input.comparison_windows.push_back({i, pre == in_pre->end() ? core::NpsCounts{} : pre->second,
                                        post == in_post->end() ? core::NpsCounts{} : post->second});
  }
  absl::StatusOr<std::vector<std::pair<absl::CivilDay, core::NpsCounts>>> all_daily =
      analytics_.DailyTotals({.tenant_id = tenant, .days = data});
  if (!all_daily.ok()) return ToGrpcStatus(all_daily.status());
  absl::StatusOr<std::vector<std::pair<absl::CivilDay, core::NpsCounts>>> excluded_daily =
      analytics_.DailyTotals({.tenant_id = tenant, .days = data, .agent_ids = excluded});
  if (!excluded_daily.ok()) return ToGrpcStatus(excluded_daily.status());
  input.comparison_daily = std::move(*all_daily);
  for (const auto& [day, counts] : *excluded_daily) {
    input.comparison_daily.push_back(
        {day, {-counts.promoters, -counts.passives, -counts.detractors}});
  }
  absl::StatusOr<core::CohortUplift> uplift = core::EstimateCohortUplift(input);
  if (!uplift.ok()) return ToGrpcStatus(uplift.status());

  CohortToProto(*cohort, response->mutable_cohort());
  response->set_treated_agents(static_cast<int32_t>(completions.size()));
  response->set_comparison_agents(not_yet + never);
  response->set_not_yet_trained_agents(not_yet);
  response->set_never_trained_agents(never);
  const auto summary = [&](const core::NpsCounts& c, tnps::v1::NpsSummary* out) {
    SummaryToProto(core::Summarize(c, core::IntervalMethod::kWald, confidence), out);
  };
  summary(uplift->cohort_pre, response->mutable_cohort_pre());
  summary(uplift->cohort_post, response->mutable_cohort_post());
  DeltaToProto(uplift->naive, response->mutable_naive_delta());
  *response->mutable_comparison_pre_start() = DateToProto(uplift->comparison_pre.first);
  *response->mutable_comparison_pre_end() = DateToProto(uplift->comparison_pre.last);
  *response->mutable_comparison_post_start() = DateToProto(uplift->comparison_post.first);
  *response->mutable_comparison_post_end() = DateToProto(uplift->comparison_post.last);
  summary(uplift->comparison_pre_counts, response->mutable_comparison_pre());
  summary(uplift->comparison_post_counts, response->mutable_comparison_post());
  DeltaToProto(uplift->comparison_change, response->mutable_comparison_delta());
  tnps::v1::DidEstimate* did = response->mutable_uplift();
  did->set_defined(uplift->uplift.defined);
  did->set_estimate(uplift->uplift.estimate);
  did->set_standard_error(uplift->uplift.standard_error);
  did->set_ci_low(uplift->uplift.ci_low);
  did->set_ci_high(uplift->uplift.ci_high);
  did->set_z(uplift->uplift.z);
  did->set_p_value(uplift->uplift.p_value);
  did->set_confidence_level(confidence);
  did->set_method(kUpliftMethod);
  for (const core::UpliftDay& d : uplift->daily) {
    tnps::v1::UpliftDay* day = response->add_daily();
    *day->mutable_date() = DateToProto(d.day);
    summary(d.cohort, day->mutable_cohort());
    summary(d.comparison, day->mutable_comparison());
    if (d.cohort.responses() > 0 && d.comparison.responses() > 0) {
      day->set_delta(day->cohort().nps() - day->comparison().nps());
      day->set_delta_defined(true);
    }
  }
  response->set_time_zone(principal->time_zone);
  return grpc::Status::OK;
}

grpc::Status TrainingService::GetProgramImpact(grpc::ServerContext* context,
                                               const tnps::v1::GetProgramImpactRequest* request,
                                               tnps::v1::GetProgramImpactResponse* response) {
  absl::StatusOr<storage::Principal> principal =
      authenticator_.Authenticate(*context, core::Role::kRead);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::vector<core::FieldViolation> violations;
  if (request->program_id() <= 0) violations.push_back({"program_id", "is required"});
  core::BucketSize bucket = core::BucketSize::kWeek;
  tnps::v1::Period period = request->period();
  switch (period) {
    case tnps::v1::PERIOD_UNSPECIFIED:
      period = tnps::v1::PERIOD_WEEK;
      break;
    case tnps::v1::PERIOD_WEEK:
      break;
    case tnps::v1::PERIOD_MONTH:
      bucket = core::BucketSize::kMonth;
      break;
    default:
      violations.push_back({"period", "must be WEEK or MONTH"});
  }
  core::DidOptions options;
  tnps::v1::ControlGroup control = request->control();
  switch (control) {
    case tnps::v1::CONTROL_GROUP_UNSPECIFIED:
      control = tnps::v1::CONTROL_GROUP_NOT_YET_TREATED;
      break;
    case tnps::v1::CONTROL_GROUP_NOT_YET_TREATED:
      break;
    case tnps::v1::CONTROL_GROUP_NEVER_TREATED:
      options.control = core::ControlGroup::kNeverTreated;
      break;
    default:
      violations.push_back({"control", "must be NOT_YET_TREATED or NEVER_TREATED"});
  }
  const absl::CivilDay today = TenantToday(principal->time_zone);
  core::DayRange range{today - (kDefaultImpactDays - 1), today};
  if (request->has_start_date() || request->has_end_date()) {
    std::optional<absl::CivilDay> first =
        MapDate(request->has_start_date(), request->start_date(), "start_date", violations);
    std::optional<absl::CivilDay> last =
        MapDate(request->has_end_date(), request->end_date(), "end_date", violations);
    if (first && last) {
      range = {*first, *last};
      if (*last < *first) {
        violations.push_back({"end_date", "is before start_date"});
      } else if (range.days() > kMaxRangeDays) {
        violations.push_back({"end_date", absl::StrCat("makes a range of ", range.days(),
                                                       " days; the limit is ", kMaxRangeDays)});
      }
    }
  }
  const double confidence = ConfidenceLevel(request->confidence_level(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);

  const int64_t tenant = principal->tenant_id;
  absl::StatusOr<storage::Program> program = store_.GetProgram(tenant, request->program_id());
  if (!program.ok()) return ToGrpcStatus(program.status());
  absl::StatusOr<std::vector<storage::Enrollment>> enrollments =
      store_.ProgramEnrollments(tenant, program->program_id);
  if (!enrollments.ok()) return ToGrpcStatus(enrollments.status());
  // Group of each enrolled agent: the period of its completion. Agents
  // enrolled without a completion yet are left out: their group is unknown.
  std::map<std::string, int64_t> group_of;
  int completed = 0;
  for (const storage::Enrollment& e : *enrollments) {
    group_of[e.agent_id] = e.completed_day ? core::BucketNumber(*e.completed_day, bucket) : -1;
    if (e.completed_day) ++completed;
  }
  absl::StatusOr<std::vector<storage::AgentCounts>> counts =
      store_.AgentBucketCounts(tenant, range, bucket);
  if (!counts.ok()) return ToGrpcStatus(counts.status());

  AgentIndex agents;
  std::vector<core::PanelCell> cells;
  cells.reserve(counts->size());
  int64_t responses = 0;
  int64_t last_period = 0;
  for (const storage::AgentCounts& c : *counts) {
    last_period = std::max(last_period, core::BucketNumber(c.day, bucket));
  }
  std::set<int> never;
  for (const storage::AgentCounts& c : *counts) {
    const auto g = group_of.find(c.agent_id);
    int64_t group = g == group_of.end() ? 0 : g->second;
    if (group < 0) continue;
    if (group > last_period) group = 0;  // trained after the range: untreated within it
    const int unit = agents.Of(c.agent_id);
    if (group == 0) never.insert(unit);
    cells.push_back({unit, core::BucketNumber(c.day, bucket), group,
                     100.0 * (c.counts.promoters - c.counts.detractors), c.counts.responses()});
    responses += c.counts.responses();
  }

  response->set_period(period);
  response->set_control(control);
  *response->mutable_start_date() = DateToProto(range.first);
  *response->mutable_end_date() = DateToProto(range.last);
  response->set_responses(responses);
  response->set_confidence_level(confidence);
  response->set_method(kImpactMethod);
  response->set_time_zone(principal->time_zone);
  ProgramToProto(*program, response->mutable_program());
  tnps::v1::TrainingCost* cost = response->mutable_cost();
  const double hours = completed * program->hours_per_participant;
  const double total_cost = hours * static_cast<double>(program->cost_per_hour_micros);
  cost->set_training_hours(hours);
  cost->set_total_cost_micros(static_cast<int64_t>(std::llround(total_cost)));
  cost->set_currency_code(program->currency_code);

  absl::StatusOr<core::DidEstimates> did =
      cells.empty() ? absl::FailedPreconditionError("no responses in the range")
                    : core::EstimateGroupTimeAtt(cells, options);
  if (!did.ok()) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("cannot estimate the impact of programme ", program->program_id, " from ",
                     range.days(), " days of responses: ", did.status().message(),
                     " (a group needs responses before its training)"));
  }
  // The estimator keeps every untreated agent, and the trained ones whose
  // group has an earlier period in the range.
  response->set_treated_agents(
      static_cast<int32_t>(did->units - static_cast<int64_t>(never.size())));
  response->set_never_treated_agents(static_cast<int32_t>(never.size()));

  const double z = core::NormalQuantile(0.5 + confidence / 2);
  for (const core::GroupTimeAtt& c : did->cells) {
    tnps::v1::GroupTimeEffect* e = response->add_effects();
    *e->mutable_group_start() = DateToProto(core::BucketNumberStart(c.group, bucket));
    *e->mutable_period_start() = DateToProto(core::BucketNumberStart(c.period, bucket));
    *e->mutable_base_period_start() = DateToProto(core::BucketNumberStart(c.base_period, bucket));
    e->set_event_time(static_cast<int32_t>(c.period - c.group));
    e->set_treated_responses(c.treated_rows);
    e->set_control_responses(c.control_rows);
    e->set_defined(c.defined);
    if (!c.defined) continue;
    e->set_att(c.att);
    e->set_standard_error(c.standard_error);
    e->set_ci_low(c.att - z * c.standard_error);
    e->set_ci_high(c.att + z * c.standard_error);
  }
  AggregateToProto(did->simple, z, response->mutable_simple());
  for (const auto& d : did->dynamic) {
    tnps::v1::AggregateEffect* e = response->add_dynamic();
    e->set_event_time(static_cast<int32_t>(d.key));
    AggregateToProto(d, z, e);
  }
  AggregateToProto(did->dynamic_overall, z, response->mutable_dynamic_overall());
  for (const auto& g : did->group) {
    tnps::v1::AggregateEffect* e = response->add_group();
    *e->mutable_period_start() = DateToProto(core::BucketNumberStart(g.key, bucket));
    AggregateToProto(g, z, e);
  }
  AggregateToProto(did->group_overall, z, response->mutable_group_overall());
  for (const auto& t : did->calendar) {
    tnps::v1::AggregateEffect* e = response->add_calendar();
    *e->mutable_period_start() = DateToProto(core::BucketNumberStart(t.key, bucket));
    AggregateToProto(t, z, e);
  }
  AggregateToProto(did->calendar_overall, z, response->mutable_calendar_overall());

  tnps::v1::PretrendTest* cells_test = response->mutable_pretrend_cells();
  cells_test->set_defined(did->pretrend_defined);
  cells_test->set_chi_squared(did->pretrend_chi2);
  cells_test->set_degrees_of_freedom(did->pretrend_df);
  cells_test->set_p_value(did->pretrend_p_value);
  cells_test->set_description(
      absl::StrCat("joint Wald test that every pre-training ATT(g,t) is 0 (did's pre-test); "
                   "not computed with more than ",
                   options.max_pretrend_cells, " such cells or a singular covariance"));
  tnps::v1::PretrendTest* leads_test = response->mutable_pretrend_leads();
  leads_test->set_defined(did->leads_defined);
  leads_test->set_chi_squared(did->leads_chi2);
  leads_test->set_degrees_of_freedom(did->leads_df);
  leads_test->set_p_value(did->leads_p_value);
  leads_test->set_description(absl::StrCat("joint Wald test that the event study's leads θ(e), −",
                                           options.max_pretrend_leads, " ≤ e ≤ −1, are 0"));

  // Undefined for no uplift, and for an uplift so small that the cost per
  // point does not fit the field.
  const double per_point = did->simple.att > 0 ? total_cost / did->simple.att : 0;
  if (did->simple.defined && did->simple.att > 0 && per_point < 9e18) {
    cost->set_cost_per_nps_point_micros(static_cast<int64_t>(std::llround(per_point)));
    cost->set_cost_per_nps_point_defined(true);
  }
  return grpc::Status::OK;
}

grpc::Status TrainingService::PlanCohort(grpc::ServerContext* context,
                                         const tnps::v1::PlanCohortRequest* request,
                                         tnps::v1::PlanCohortResponse* response) {
  absl::StatusOr<storage::Principal> principal =
      authenticator_.Authenticate(*context, core::Role::kRead);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::vector<core::FieldViolation> violations;
  if (request->agents() < 1 || request->agents() > 100000) {
    violations.push_back({"agents", "must be 1..100000"});
  }
  const double rate = request->responses_per_agent_per_week();
  if (!std::isfinite(rate) || rate < 0 || rate > 10000) {
    violations.push_back({"responses_per_agent_per_week", "must be 0..10000 (0: from history)"});
  }
  if (request->weeks_after_training() < 1 || request->weeks_after_training() > 104) {
    violations.push_back({"weeks_after_training", "must be 1..104"});
  }
  if (request->comparison_agents() < 0 || request->comparison_agents() > 100000) {
    violations.push_back({"comparison_agents", "must be 0..100000 (0: as many as agents)"});
  }
  if (!violations.empty()) return InvalidArgument("", violations);

  const absl::CivilDay today = TenantToday(principal->time_zone);
  storage::RollupFilter history;
  history.tenant_id = principal->tenant_id;
  history.days = {today - 7 * kPlanHistoryWeeks, today - 1};
  absl::StatusOr<std::vector<storage::GroupCounts>> groups =
      analytics_.GroupTotals(history, storage::RollupGroup::kAgentAndTeam);
  if (!groups.ok()) return ToGrpcStatus(groups.status());
  std::map<std::string, core::NpsCounts> per_agent;
  for (const auto& g : *groups) per_agent[g.key] += g.counts;
  std::vector<core::NpsCounts> agent_counts;
  for (const auto& [agent, counts] : per_agent) agent_counts.push_back(counts);
  const core::ResponseVariance variance = core::EstimateResponseVariance(agent_counts);

  core::CohortDesign design;
  design.treated_agents = request->agents();
  design.comparison_agents =
      request->comparison_agents() > 0 ? request->comparison_agents() : request->agents();
  design.weeks = request->weeks_after_training();
  design.responses_per_agent_per_week =
      rate > 0 ? rate
      : variance.agents > 0
          ? static_cast<double>(variance.responses) / (variance.agents * kPlanHistoryWeeks)
          : 0;
  const core::DetectableEffect mde = core::MinimumDetectableEffect(design, variance);
  response->set_defined(mde.defined);
  response->set_history_responses(variance.responses);
  response->set_history_agents(variance.agents);
  response->set_responses_per_agent_per_week(design.responses_per_agent_per_week);
  response->set_method(kPlanMethod);
  if (!mde.defined) return grpc::Status::OK;
  response->set_minimum_detectable_effect(mde.minimum_detectable_effect);
  response->set_standard_error(mde.standard_error);
  response->set_response_sd(variance.response_sd);
  response->set_intra_agent_correlation(variance.intra_agent_correlation);
  response->set_design_effect(mde.design_effect);
  return grpc::Status::OK;
}

}  // namespace tnps::services
