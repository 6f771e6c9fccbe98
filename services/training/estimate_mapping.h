// Between TrainingService's estimate requests and responses (cohort uplift,
// programme impact, cohort plan) and the estimators in core/: the checks
// each request needs, and how each result is written into its response.
#ifndef TNPS_SERVICES_TRAINING_ESTIMATE_MAPPING_H_
#define TNPS_SERVICES_TRAINING_ESTIMATE_MAPPING_H_

#include <vector>

#include "absl/time/civil_time.h"
#include "core/cohort_plan.h"
#include "core/cohort_uplift.h"
#include "core/field_violation.h"
#include "core/group_time_att.h"
#include "core/program_impact.h"
#include "core/time_buckets.h"
#include "storage/training_store.h"
#include "tnps/v1/training_service.pb.h"

namespace tnps::services {

// Days of the rolling series GetCohortUplift returns.
inline constexpr int kUpliftRollingDays = 28;
// The weeks of history PlanCohort learns variance and response rates from.
inline constexpr int kPlanHistoryWeeks = 26;

struct UpliftOptions {
  core::UpliftWindows windows;
  double confidence_level = 0.95;
};

UpliftOptions CheckUpliftRequest(const tnps::v1::GetCohortUpliftRequest& request,
                                 std::vector<core::FieldViolation>& violations);

void UpliftToProto(const core::CohortUpliftEstimate& estimate, const storage::Cohort& cohort,
                   double confidence_level, tnps::v1::GetCohortUpliftResponse* out);

struct ImpactOptions {
  tnps::v1::Period period = tnps::v1::PERIOD_WEEK;
  core::BucketSize bucket = core::BucketSize::kWeek;
  tnps::v1::ControlGroup control = tnps::v1::CONTROL_GROUP_NOT_YET_TREATED;
  tnps::v1::GroupWeights group_weights = tnps::v1::GROUP_WEIGHTS_AGENTS;
  core::DidOptions did;
  // The responses' days; without dates in the request, two years to `today`.
  core::DayRange range;
  double confidence_level = 0.95;
  // The request's value of one NPS point, in place of the programme's.
  std::optional<int64_t> value_per_point_micros;
  // Empty: every team.
  std::string team_id;
};

ImpactOptions CheckImpactRequest(const tnps::v1::GetProgramImpactRequest& request,
                                 absl::CivilDay today,
                                 std::vector<core::FieldViolation>& violations);

void ImpactToProto(const core::ProgramImpact& impact, const storage::Program& program,
                   const ImpactOptions& options, tnps::v1::GetProgramImpactResponse* out);

void CheckPlanRequest(const tnps::v1::PlanCohortRequest& request,
                      std::vector<core::FieldViolation>& violations);

// The design a PlanCohort request describes, with what it leaves at 0 taken
// from `history`: as many comparison agents as agents, and the response
// rate of the last kPlanHistoryWeeks.
core::CohortDesign PlanDesign(const tnps::v1::PlanCohortRequest& request,
                              const core::ResponseVariance& history);

void PlanToProto(const core::CohortDesign& design, const core::ResponseVariance& history,
                 const core::DetectableEffect& effect, tnps::v1::PlanCohortResponse* out);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_TRAINING_ESTIMATE_MAPPING_H_
