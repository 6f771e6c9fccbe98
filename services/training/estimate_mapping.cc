#include "services/training/estimate_mapping.h"

#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "core/normal_distribution.h"
#include "core/text_rules.h"
#include "services/common/nps_mapping.h"
#include "services/training/training_mapping.h"

namespace tnps::services {
namespace {

constexpr int kDefaultImpactDays = 730;
// The uniform band's bootstrap draws: did's default biters.
constexpr int kUniformBandDraws = 1000;
constexpr int kDefaultMinEventAgents = 20;

constexpr char kUpliftMethod[] =
    "difference in differences: (cohort post − pre, each agent aligned on its completion) − "
    "(comparison post − pre, calendar windows); SE from influence functions clustered by agent";
constexpr char kImpactMethod[] =
    "Callaway & Sant'Anna (2021) group-time ATT without covariates, varying base period; "
    "y = +100/0/−100 per response; SEs from influence functions clustered by agent; "
    "aggregations weight waves as group_weights says (did::aggte's P(G = g))";
constexpr char kPlanMethod[] =
    "MDE = (z(0.975) + z(0.80))·SE; SE² = σ²·DE·(2/(treated·m) + 2/(comparison·m)), "
    "m = responses per agent per window, DE = 1 + (m − 1)·ICC, σ and ICC from a one-way "
    "ANOVA of the last 26 weeks; conservative (agent effects that cancel are not credited)";

double ConfidenceLevel(double requested, std::vector<core::FieldViolation>& violations) {
  if (requested == 0) return 0.95;
  if (!(requested > 0 && requested < 1)) {
    violations.push_back({"confidence_level", "must be in (0, 1); 0 means 0.95"});
  }
  return requested;
}

void AggregateToProto(const core::AggregateEstimate& e, double z, tnps::v1::AggregateEffect* out) {
  out->set_defined(e.defined);
  if (!e.defined) return;
  out->set_att(e.att);
  out->set_standard_error(e.standard_error);
  out->set_ci_low(e.att - z * e.standard_error);
  out->set_ci_high(e.att + z * e.standard_error);
  out->set_p_value(e.standard_error > 0 ? core::TwoSidedPValue(e.att / e.standard_error) : 1.0);
}

void CellToProto(const core::GroupTimeAtt& c, core::BucketSize bucket, double z,
                 tnps::v1::GroupTimeEffect* out) {
  *out->mutable_group_start() = DateToProto(core::BucketNumberStart(c.group, bucket));
  *out->mutable_period_start() = DateToProto(core::BucketNumberStart(c.period, bucket));
  *out->mutable_base_period_start() = DateToProto(core::BucketNumberStart(c.base_period, bucket));
  out->set_event_time(static_cast<int32_t>(c.period - c.group));
  out->set_treated_responses(c.treated_rows);
  out->set_control_responses(c.control_rows);
  out->set_defined(c.defined);
  if (!c.defined) return;
  out->set_att(c.att);
  out->set_standard_error(c.standard_error);
  out->set_ci_low(c.att - z * c.standard_error);
  out->set_ci_high(c.att + z * c.standard_error);
}

void PretrendToProto(bool defined, double chi_squared, int degrees_of_freedom, double p_value,
                     std::string description, tnps::v1::PretrendTest* out) {
  out->set_defined(defined);
  out->set_chi_squared(chi_squared);
  out->set_degrees_of_freedom(degrees_of_freedom);
  out->set_p_value(p_value);
  out->set_description(std::move(description));
}

// Money in micros, rounded; within ±9.2e18 (a ranged figure beyond stays
// unset, as a cost per point near a zero uplift does).
std::optional<int64_t> Micros(double value) {
  if (!(std::abs(value) < 9e18)) return std::nullopt;
  return static_cast<int64_t>(std::llround(value));
}

void CostToProto(const core::TrainingCost& cost, const std::string& currency_code,
                 int64_t value_per_point_micros, tnps::v1::TrainingCost* out) {
  out->set_training_hours(cost.training_hours);
  out->set_total_cost_micros(Micros(cost.total_cost_micros).value_or(0));
  out->set_currency_code(currency_code);
  if (const auto& per_point = cost.cost_per_point_micros) {
    out->set_cost_per_nps_point_micros(Micros(per_point->value).value_or(0));
    out->set_cost_per_nps_point_low_micros(Micros(per_point->low).value_or(0));
    out->set_cost_per_nps_point_defined(true);
    if (per_point->high && Micros(*per_point->high)) {
      out->set_cost_per_nps_point_high_micros(*Micros(*per_point->high));
      out->set_cost_per_nps_point_high_defined(true);
    }
  }
  out->set_value_per_nps_point_micros(value_per_point_micros);
  if (const auto& annual = cost.annual_value_micros) {
    out->set_annual_value_micros(Micros(annual->value).value_or(0));
    out->set_annual_value_low_micros(Micros(annual->low).value_or(0));
    out->set_annual_value_high_micros(Micros(annual->high.value_or(0)).value_or(0));
  }
  if (const auto& net = cost.net_first_year_micros) {
    out->set_net_first_year_value_micros(Micros(net->value).value_or(0));
    out->set_net_first_year_value_low_micros(Micros(net->low).value_or(0));
    out->set_net_first_year_value_high_micros(Micros(net->high.value_or(0)).value_or(0));
  }
  if (const auto& months = cost.payback_months) {
    out->set_payback_defined(true);
    out->set_payback_months(months->value);
    out->set_payback_months_low(months->low);
    if (months->high) {
      out->set_payback_months_high(*months->high);
      out->set_payback_months_high_defined(true);
    }
  }
}

}  // namespace

UpliftOptions CheckUpliftRequest(const tnps::v1::GetCohortUpliftRequest& request,
                                 std::vector<core::FieldViolation>& violations) {
  if (request.cohort_id() <= 0) violations.push_back({"cohort_id", "is required"});
  const auto check_days = [&](int days, int min, const char* field) {
    if (days < min || days > kMaxWindowDays) {
      violations.push_back({field, absl::StrCat("must be ", min, "..", kMaxWindowDays, " days")});
    }
  };
  check_days(request.pre_days(), 1, "pre_days");
  check_days(request.post_days(), 1, "post_days");
  check_days(request.washout_days(), 0, "washout_days");
  UpliftOptions options;
  options.windows = {request.pre_days(), request.post_days(), request.washout_days()};
  options.confidence_level = ConfidenceLevel(request.confidence_level(), violations);
  return options;
}

void UpliftToProto(const core::CohortUpliftEstimate& estimate, const storage::Cohort& cohort,
                   double confidence_level, tnps::v1::GetCohortUpliftResponse* out) {
  const core::CohortUplift& u = estimate.uplift;
  CohortToProto(cohort, out->mutable_cohort());
  out->set_treated_agents(estimate.treated_agents);
  out->set_comparison_agents(estimate.comparison_agents());
  out->set_not_yet_trained_agents(estimate.not_yet_trained_agents);
  out->set_never_trained_agents(estimate.never_trained_agents);
  const auto summary = [&](const core::NpsCounts& c, tnps::v1::NpsSummary* s) {
    SummaryToProto(core::Summarize(c, core::IntervalMethod::kWald, confidence_level), s);
  };
  summary(u.cohort_pre, out->mutable_cohort_pre());
  summary(u.cohort_post, out->mutable_cohort_post());
  DeltaToProto(u.naive, out->mutable_naive_delta());
  *out->mutable_comparison_pre_start() = DateToProto(u.comparison_pre.first);
  *out->mutable_comparison_pre_end() = DateToProto(u.comparison_pre.last);
  *out->mutable_comparison_post_start() = DateToProto(u.comparison_post.first);
  *out->mutable_comparison_post_end() = DateToProto(u.comparison_post.last);
  summary(u.comparison_pre_counts, out->mutable_comparison_pre());
  summary(u.comparison_post_counts, out->mutable_comparison_post());
  DeltaToProto(u.comparison_change, out->mutable_comparison_delta());
  tnps::v1::DidEstimate* did = out->mutable_uplift();
  did->set_defined(u.uplift.defined);
  did->set_estimate(u.uplift.estimate);
  did->set_standard_error(u.uplift.standard_error);
  did->set_ci_low(u.uplift.ci_low);
  did->set_ci_high(u.uplift.ci_high);
  did->set_z(u.uplift.z);
  did->set_p_value(u.uplift.p_value);
  did->set_confidence_level(confidence_level);
  did->set_method(kUpliftMethod);
  for (const core::UpliftDay& d : u.daily) {
    tnps::v1::UpliftDay* day = out->add_daily();
    *day->mutable_date() = DateToProto(d.day);
    summary(d.cohort, day->mutable_cohort());
    summary(d.comparison, day->mutable_comparison());
    if (d.cohort.responses() > 0 && d.comparison.responses() > 0) {
      day->set_delta(day->cohort().nps() - day->comparison().nps());
      day->set_delta_defined(true);
    }
  }
}

ImpactOptions CheckImpactRequest(const tnps::v1::GetProgramImpactRequest& request,
                                 absl::CivilDay today,
                                 std::vector<core::FieldViolation>& violations) {
  ImpactOptions options;
  if (request.program_id() <= 0) violations.push_back({"program_id", "is required"});
  switch (request.period()) {
    case tnps::v1::PERIOD_UNSPECIFIED:
    case tnps::v1::PERIOD_WEEK:
      break;
    case tnps::v1::PERIOD_MONTH:
      options.period = tnps::v1::PERIOD_MONTH;
      options.bucket = core::BucketSize::kMonth;
      break;
    default:
      violations.push_back({"period", "must be WEEK or MONTH"});
  }
  switch (request.control()) {
    case tnps::v1::CONTROL_GROUP_UNSPECIFIED:
    case tnps::v1::CONTROL_GROUP_NOT_YET_TREATED:
      break;
    case tnps::v1::CONTROL_GROUP_NEVER_TREATED:
      options.control = tnps::v1::CONTROL_GROUP_NEVER_TREATED;
      options.did.control = core::ControlGroup::kNeverTreated;
      break;
    default:
      violations.push_back({"control", "must be NOT_YET_TREATED or NEVER_TREATED"});
  }
  options.range = {today - (kDefaultImpactDays - 1), today};
  if (request.has_start_date() || request.has_end_date()) {
    std::optional<absl::CivilDay> first =
        MapDate(request.has_start_date(), request.start_date(), "start_date", violations);
    std::optional<absl::CivilDay> last =
        MapDate(request.has_end_date(), request.end_date(), "end_date", violations);
    if (first && last) {
      options.range = {*first, *last};
      if (*last < *first) {
        violations.push_back({"end_date", "is before start_date"});
      } else if (options.range.days() > kMaxRangeDays) {
        violations.push_back({"end_date", absl::StrCat("makes a range of ", options.range.days(),
                                                       " days; the limit is ", kMaxRangeDays)});
      }
    }
  }
  options.confidence_level = ConfidenceLevel(request.confidence_level(), violations);
  if (!request.team_id().empty()) {
    if (std::optional<std::string> problem =
            core::IdentifierProblem(request.team_id(), kMaxTrainingIdBytes)) {
      violations.push_back({"team_id", *problem});
    }
    options.team_id = request.team_id();
  }
  if (request.has_value_per_nps_point_micros()) {
    if (request.value_per_nps_point_micros() < 0) {
      violations.push_back({"value_per_nps_point_micros", "must not be negative"});
    }
    options.value_per_point_micros = request.value_per_nps_point_micros();
  }
  switch (request.group_weights()) {
    case tnps::v1::GROUP_WEIGHTS_UNSPECIFIED:
    case tnps::v1::GROUP_WEIGHTS_AGENTS:
      options.group_weights = tnps::v1::GROUP_WEIGHTS_AGENTS;
      options.did.group_weights = core::GroupWeights::kUnits;
      break;
    case tnps::v1::GROUP_WEIGHTS_RESPONSES:
      options.group_weights = tnps::v1::GROUP_WEIGHTS_RESPONSES;
      options.did.group_weights = core::GroupWeights::kObservations;
      break;
    default:
      violations.push_back({"group_weights", "must be AGENTS or RESPONSES"});
  }
  if (request.min_event_agents() < 0 || request.min_event_agents() > 100000) {
    violations.push_back({"min_event_agents", "must be 0..100000 (0: 20)"});
  }
  options.did.uniform_band_draws = kUniformBandDraws;
  options.did.uniform_band_level = options.confidence_level;
  options.did.uniform_band_min_units =
      request.min_event_agents() > 0 ? request.min_event_agents() : kDefaultMinEventAgents;
  return options;
}

void ImpactToProto(const core::ProgramImpact& impact, const storage::Program& program,
                   const ImpactOptions& options, tnps::v1::GetProgramImpactResponse* out) {
  const core::DidEstimates& did = impact.did;
  const core::BucketSize bucket = options.bucket;
  out->set_period(options.period);
  out->set_control(options.control);
  *out->mutable_start_date() = DateToProto(options.range.first);
  *out->mutable_end_date() = DateToProto(options.range.last);
  out->set_responses(impact.responses);
  out->set_confidence_level(options.confidence_level);
  out->set_method(kImpactMethod);
  out->set_team_id(options.team_id);
  out->set_group_weights(options.group_weights);
  ProgramToProto(program, out->mutable_program());
  CostToProto(impact.cost, program.currency_code,
              options.value_per_point_micros.value_or(program.value_per_point_micros),
              out->mutable_cost());
  out->set_treated_agents(impact.treated_agents);
  out->set_never_treated_agents(impact.untreated_agents);

  const double z = core::NormalQuantile(0.5 + options.confidence_level / 2);
  for (const core::GroupTimeAtt& c : did.cells) CellToProto(c, bucket, z, out->add_effects());
  AggregateToProto(did.simple, z, out->mutable_simple());
  for (const auto& d : did.dynamic) {
    tnps::v1::AggregateEffect* e = out->add_dynamic();
    e->set_event_time(static_cast<int32_t>(d.key));
    AggregateToProto(d, z, e);
    e->set_trained_agents(static_cast<int32_t>(d.treated_units));
    if (did.uniform_band_defined && d.in_uniform_band) {
      e->set_in_uniform_band(true);
      e->set_uniform_ci_low(d.att - did.uniform_critical_value * d.standard_error);
      e->set_uniform_ci_high(d.att + did.uniform_critical_value * d.standard_error);
    }
  }
  tnps::v1::EventStudyBand* band = out->mutable_uniform_band();
  band->set_defined(did.uniform_band_defined);
  band->set_critical_value(did.uniform_critical_value);
  band->set_bootstrap_draws(options.did.uniform_band_draws);
  band->set_min_event_agents(static_cast<int32_t>(options.did.uniform_band_min_units));
  band->set_method(absl::StrCat(
      "sup-t band: the ", options.confidence_level,
      " quantile of max |θ*(e) − θ(e)| / SE(e) over event times with at least ",
      options.did.uniform_band_min_units, " trained agents, in ", options.did.uniform_band_draws,
      " multiplier-bootstrap draws of the influence functions (Rademacher weights, fixed "
      "seed), as did's cband"));
  AggregateToProto(did.dynamic_overall, z, out->mutable_dynamic_overall());
  for (const auto& g : did.group) {
    tnps::v1::AggregateEffect* e = out->add_group();
    *e->mutable_period_start() = DateToProto(core::BucketNumberStart(g.key, bucket));
    AggregateToProto(g, z, e);
  }
  AggregateToProto(did.group_overall, z, out->mutable_group_overall());
  for (const auto& t : did.calendar) {
    tnps::v1::AggregateEffect* e = out->add_calendar();
    *e->mutable_period_start() = DateToProto(core::BucketNumberStart(t.key, bucket));
    AggregateToProto(t, z, e);
  }
  AggregateToProto(did.calendar_overall, z, out->mutable_calendar_overall());
  PretrendToProto(
      did.pretrend_defined, did.pretrend_chi2, did.pretrend_df, did.pretrend_p_value,
      absl::StrCat("joint Wald test that every pre-training ATT(g,t) is 0 (did's pre-test); "
                   "not computed with more than ",
                   options.did.max_pretrend_cells, " such cells or a singular covariance"),
      out->mutable_pretrend_cells());
  PretrendToProto(did.leads_defined, did.leads_chi2, did.leads_df, did.leads_p_value,
                  absl::StrCat("joint Wald test that the event study's leads θ(e), −",
                               options.did.max_pretrend_leads, " ≤ e ≤ −1, are 0"),
                  out->mutable_pretrend_leads());
}

void CheckPlanRequest(const tnps::v1::PlanCohortRequest& request,
                      std::vector<core::FieldViolation>& violations) {
  if (request.agents() < 1 || request.agents() > 100000) {
    violations.push_back({"agents", "must be 1..100000"});
  }
  const double rate = request.responses_per_agent_per_week();
  if (!std::isfinite(rate) || rate < 0 || rate > 10000) {
    violations.push_back({"responses_per_agent_per_week", "must be 0..10000 (0: from history)"});
  }
  if (request.weeks_after_training() < 1 || request.weeks_after_training() > 104) {
    violations.push_back({"weeks_after_training", "must be 1..104"});
  }
  if (request.comparison_agents() < 0 || request.comparison_agents() > 100000) {
    violations.push_back({"comparison_agents", "must be 0..100000 (0: as many as agents)"});
  }
}

core::CohortDesign PlanDesign(const tnps::v1::PlanCohortRequest& request,
                              const core::ResponseVariance& history) {
  core::CohortDesign design;
  design.treated_agents = request.agents();
  design.comparison_agents =
      request.comparison_agents() > 0 ? request.comparison_agents() : request.agents();
  design.weeks = request.weeks_after_training();
  const double rate = request.responses_per_agent_per_week();
  design.responses_per_agent_per_week =
      rate > 0 ? rate
      : history.agents > 0
          ? static_cast<double>(history.responses) / (history.agents * kPlanHistoryWeeks)
          : 0;
  return design;
}

void PlanToProto(const core::CohortDesign& design, const core::ResponseVariance& history,
                 const core::DetectableEffect& effect, tnps::v1::PlanCohortResponse* out) {
  out->set_defined(effect.defined);
  out->set_history_responses(history.responses);
  out->set_history_agents(history.agents);
  out->set_responses_per_agent_per_week(design.responses_per_agent_per_week);
  out->set_method(kPlanMethod);
  if (!effect.defined) return;
  out->set_minimum_detectable_effect(effect.minimum_detectable_effect);
  out->set_standard_error(effect.standard_error);
  out->set_response_sd(history.response_sd);
  out->set_intra_agent_correlation(history.intra_agent_correlation);
  out->set_design_effect(effect.design_effect);
}

}  // namespace tnps::services
