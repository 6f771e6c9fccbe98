#include "services/training/training_requests.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/text_rules.h"
#include "services/common/nps_mapping.h"
#include "services/common/proto_time.h"
#include "services/training/training_mapping.h"

namespace tnps::services {
namespace {

bool IsCurrencyCode(const std::string& code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

void CheckName(const std::string& name, const std::string& field,
               std::vector<core::FieldViolation>& violations) {
  if (name.empty()) {
    violations.push_back({field, "is required"});
  } else if (std::optional<std::string> problem = core::IdentifierProblem(name, kMaxNameBytes)) {
    violations.push_back({field, *std::move(problem)});
  }
}

void CheckBatchSize(int size, const std::string& field,
                    std::vector<core::FieldViolation>& violations) {
  if (size == 0) {
    violations.push_back({field, "is empty"});
  } else if (size > kMaxTrainingBatch) {
    violations.push_back(
        {field, absl::StrCat("has ", size, " entries; the limit is ", kMaxTrainingBatch)});
  }
}

void CheckId(int64_t id, const std::string& field, std::vector<core::FieldViolation>& violations) {
  if (id <= 0) violations.push_back({field, "is required"});
}

}  // namespace

std::vector<storage::RosterAgent> CheckUpsertAgentsRequest(
    const tnps::v1::UpsertAgentsRequest& request, std::vector<core::FieldViolation>& violations) {
  CheckBatchSize(request.agents_size(), "agents", violations);
  std::vector<storage::RosterAgent> agents;
  std::set<std::string> seen;
  for (int i = 0; i < request.agents_size() && i < kMaxTrainingBatch; ++i) {
    const tnps::v1::Agent& a = request.agents(i);
    const std::string prefix = absl::StrCat("agents[", i, "].");
    CheckId(a.agent_id(), prefix + "agent_id", violations);
    CheckId(a.team_id(), prefix + "team_id", violations);
    if (!seen.insert(a.agent_id()).second) {
      violations.push_back({prefix + "agent_id", "appears twice in the request"});
    }
    if (std::optional<std::string> problem =
            core::IdentifierProblem(a.display_name(), kMaxNameBytes)) {
      violations.push_back({prefix + "display_name", *std::move(problem)});
    }
    if (std::optional<std::string> problem =
            core::IdentifierProblem(a.region(), kMaxTrainingIdBytes)) {
      violations.push_back({prefix + "region", *std::move(problem)});
    }
    std::optional<absl::CivilDay> hire_date;
    if (a.has_hire_date()) {
      hire_date = MapDate(true, a.hire_date(), prefix + "hire_date", violations);
    }
    agents.push_back(
        {a.agent_id(), a.display_name(), a.team_id(), a.region(), hire_date, a.active()});
  }
  return agents;
}

storage::Program CheckCreateProgramRequest(const tnps::v1::CreateProgramRequest& request,
                                           std::vector<core::FieldViolation>& violations) {
  const tnps::v1::Program& p = request.program();
  CheckName(p.name(), "program.name", violations);
  if (std::optional<std::string> problem =
          core::FreeTextProblem(p.description(), kMaxDescriptionBytes)) {
    violations.push_back({"program.description", *std::move(problem)});
  }
  if (!std::isfinite(p.hours_per_participant()) || p.hours_per_participant() < 0 ||
      p.hours_per_participant() > 10000) {
    violations.push_back({"program.hours_per_participant", "must be 0..10000"});
  }
  if (p.cost_per_hour_micros() < 0) {
    violations.push_back({"program.cost_per_hour_micros", "must not be negative"});
  }
  if (p.value_per_nps_point_micros() < 0) {
    violations.push_back({"program.value_per_nps_point_micros", "must not be negative"});
  }
  if (!IsCurrencyCode(p.currency_code())) {
    violations.push_back({"program.currency_code", "must be an ISO 4217 code such as EUR"});
  }
  storage::Program program;
  program.name = p.name();
  program.description = p.description();
  program.hours_per_participant = p.hours_per_participant();
  program.cost_per_hour_micros = p.cost_per_hour_micros();
  program.currency_code = p.currency_code();
  program.value_per_point_micros = p.value_per_nps_point_micros();
  return program;
}

std::optional<storage::Cohort> CheckCreateCohortRequest(
    const tnps::v1::CreateCohortRequest& request, std::vector<core::FieldViolation>& violations) {
  const tnps::v1::Cohort& c = request.cohort();
  const size_t before = violations.size();
  CheckId(c.program_id(), "cohort.program_id", violations);
  CheckName(c.name(), "cohort.name", violations);
  std::optional<absl::CivilDay> start = MapDate(c.has_planned_start_date(), c.planned_start_date(),
                                                "cohort.planned_start_date", violations);
  std::optional<absl::CivilDay> end = MapDate(c.has_planned_end_date(), c.planned_end_date(),
                                              "cohort.planned_end_date", violations);
  if (start && end && *end < *start) {
    violations.push_back({"cohort.planned_end_date", "is before planned_start_date"});
  }
  if (violations.size() != before || !start || !end) return std::nullopt;
  storage::Cohort cohort;
  cohort.program_id = c.program_id();
  cohort.name = c.name();
  cohort.planned_start = *start;
  cohort.planned_end = *end;
  return cohort;
}

void CheckListCohortsRequest(const tnps::v1::ListCohortsRequest& request,
                             std::vector<core::FieldViolation>& violations) {
  if (request.program_id() < 0) {
    violations.push_back({"program_id", "must be 0 (all) or a programme id"});
  }
}

void CheckGetCohortRequest(const tnps::v1::GetCohortRequest& request,
                           std::vector<core::FieldViolation>& violations) {
  CheckId(request.cohort_id(), "cohort_id", violations);
}

absl::Time CheckEnrollAgentsRequest(const tnps::v1::EnrollAgentsRequest& request, absl::Time now,
                                    std::vector<core::FieldViolation>& violations) {
  CheckId(request.cohort_id(), "cohort_id", violations);
  CheckBatchSize(request.agent_ids_size(), "agent_ids", violations);
  std::set<std::string> seen;
  for (int i = 0; i < request.agent_ids_size() && i < kMaxTrainingBatch; ++i) {
    const std::string field = absl::StrCat("agent_ids[", i, "]");
    CheckId(request.agent_ids(i), field, violations);
    if (!seen.insert(request.agent_ids(i)).second) {
      violations.push_back({field, "appears twice in the request"});
    }
  }
  if (!request.has_enroll_time()) return now;
  std::optional<absl::Time> t = MapTimestamp(request.enroll_time(), "enroll_time", violations);
  if (t) {
    if (std::optional<std::string> problem = core::TimeProblem(*t, now)) {
      violations.push_back({"enroll_time", *std::move(problem)});
    }
  }
  return t.value_or(now);
}

std::vector<storage::CompletionRecord> CheckRecordCompletionsRequest(
    const tnps::v1::RecordCompletionsRequest& request, absl::Time now,
    std::vector<core::FieldViolation>& violations) {
  CheckId(request.cohort_id(), "cohort_id", violations);
  CheckBatchSize(request.completions_size(), "completions", violations);
  std::vector<storage::CompletionRecord> records;
  std::set<std::string> seen;
  for (int i = 0; i < request.completions_size() && i < kMaxTrainingBatch; ++i) {
    const tnps::v1::Completion& c = request.completions(i);
    const std::string prefix = absl::StrCat("completions[", i, "].");
    CheckId(c.agent_id(), prefix + "agent_id", violations);
    if (!seen.insert(c.agent_id()).second) {
      violations.push_back({prefix + "agent_id", "appears twice in the request"});
    }
    std::optional<absl::Time> t;
    if (c.has_completion_time()) {
      t = MapTimestamp(c.completion_time(), prefix + "completion_time", violations);
    } else {
      violations.push_back({prefix + "completion_time", "is required"});
    }
    if (t) {
      if (std::optional<std::string> problem = core::TimeProblem(*t, now)) {
        violations.push_back({prefix + "completion_time", *std::move(problem)});
      }
    }
    if (t) records.push_back({c.agent_id(), *t});
  }
  return records;
}

}  // namespace tnps::services
