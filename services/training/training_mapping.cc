#include "services/training/training_mapping.h"

#include "absl/strings/str_cat.h"
#include "core/text_rules.h"
#include "services/common/nps_mapping.h"
#include "services/common/proto_time.h"

namespace tnps::services {
void CheckId(const std::string& id, const std::string& field,
             std::vector<core::FieldViolation>& violations) {
  if (id.empty()) {
    violations.push_back({field, "is required"});
  } else if (std::optional<std::string> problem =
                 core::IdentifierProblem(id, kMaxTrainingIdBytes)) {
    violations.push_back({field, *std::move(problem)});
  }
}

void ProgramToProto(const storage::Program& p, tnps::v1::Program* out) {
  out->set_program_id(p.program_id);
  out->set_name(p.name);
  out->set_description(p.description);
  out->set_hours_per_participant(p.hours_per_participant);
  out->set_cost_per_hour_micros(p.cost_per_hour_micros);
  out->set_currency_code(p.currency_code);
  out->set_value_per_nps_point_micros(p.value_per_point_micros);
  TimeToProto(p.created_at, out->mutable_create_time());
}

void CohortToProto(const storage::Cohort& c, tnps::v1::Cohort* out) {
  out->set_cohort_id(c.cohort_id);
  out->set_program_id(c.program_id);
  out->set_name(c.name);
  *out->mutable_planned_start_date() = DateToProto(c.planned_start);
  *out->mutable_planned_end_date() = DateToProto(c.planned_end);
  out->set_enrolled_agents(c.enrolled_agents);
  out->set_completed_agents(c.completed_agents);
  TimeToProto(c.created_at, out->mutable_create_time());
}

void EnrollmentToProto(const core::Enrollment& e, tnps::v1::Enrollment* out) {
  out->set_agent_id(e.agent_id);
  TimeToProto(e.enrolled_at, out->mutable_enroll_time());
  if (e.completed_at) TimeToProto(*e.completed_at, out->mutable_completion_time());
  if (e.completed_day) *out->mutable_completion_date() = DateToProto(*e.completed_day);
}

absl::CivilDay TenantToday(const std::string& time_zone) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(time_zone, &zone)) zone = absl::UTCTimeZone();
  return absl::ToCivilDay(absl::Now(), zone);
}

}  // namespace tnps::services
