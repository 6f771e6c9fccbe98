// Training programmes, cohorts, enrolments and completions, HR's roster, and
// the per-agent response counts the training estimators read.
#ifndef TNPS_STORAGE_TRAINING_STORE_H_
#define TNPS_STORAGE_TRAINING_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/field_violation.h"
#include "core/nps_statistics.h"
#include "core/time_buckets.h"
#include "core/training_records.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

struct RosterAgent {
  std::string agent_id;
  std::string display_name;
  std::string team_id;
  std::string region;
  std::optional<absl::CivilDay> hire_date;
  bool active = true;
};

struct Program {
  int64_t program_id = 0;
  std::string name;
  std::string description;
  double hours_per_participant = 0;
  int64_t cost_per_hour_micros = 0;
  std::string currency_code;
  absl::Time created_at;
  // The annual value of one NPS point; 0 when not known.
  int64_t value_per_point_micros = 0;
};

struct Cohort {
  int64_t cohort_id = 0;
  int64_t program_id = 0;
  std::string name;
  absl::CivilDay planned_start;
  absl::CivilDay planned_end;
  int enrolled_agents = 0;
  int completed_agents = 0;
  absl::Time created_at;
};

struct CompletionRecord {
  std::string agent_id;
  absl::Time completed_at;
};

struct RosterWrite {
  int created = 0;
  int updated = 0;
};

// Enrolment and completion writes check their rows against stored state
// first: either violations (field paths relative to the request, nothing
// stored) or what was written.
struct EnrollmentWrite {
  std::vector<core::FieldViolation> violations;
  int enrolled = 0;
};

struct CompletionWrite {
  std::vector<core::FieldViolation> violations;
  int recorded = 0;
  // Agents whose completion time changed.
  int corrected = 0;
};

struct ExcludedCounts {
  int64_t agents = 0;
  int64_t responses = 0;
};

class TrainingStore {
 public:
  explicit TrainingStore(ConnectionPool& pool);

  // Creates or updates agents in place.
  absl::StatusOr<RosterWrite> UpsertAgents(int64_t tenant_id,
                                           const std::vector<RosterAgent>& agents);

  // ALREADY_EXISTS if the name is taken.
  absl::StatusOr<Program> CreateProgram(int64_t tenant_id, const Program& program);
  absl::StatusOr<std::vector<Program>> ListPrograms(int64_t tenant_id);
  // NOT_FOUND if the tenant has no such programme.
  absl::StatusOr<Program> GetProgram(int64_t tenant_id, int64_t program_id);

  // NOT_FOUND for an unknown programme, ALREADY_EXISTS for a taken name.
  absl::StatusOr<Cohort> CreateCohort(int64_t tenant_id, const Cohort& cohort);
  // program_id 0: every programme.
  absl::StatusOr<std::vector<Cohort>> ListCohorts(int64_t tenant_id, int64_t program_id);
  absl::StatusOr<Cohort> GetCohort(int64_t tenant_id, int64_t cohort_id);
  // In agent id order.
  absl::StatusOr<std::vector<core::Enrollment>> CohortEnrollments(int64_t tenant_id,
                                                                  int64_t cohort_id);
  // Every enrolment in any cohort of the programme, in agent id order.
  absl::StatusOr<std::vector<core::Enrollment>> ProgramEnrollments(int64_t tenant_id,
                                                                   int64_t program_id);

  // All or nothing. Violations name `agent_ids[i]` for unknown agents and
  // agents already in a cohort of the programme. NOT_FOUND for an unknown
  // cohort.
  absl::StatusOr<EnrollmentWrite> Enroll(int64_t tenant_id, int64_t cohort_id,
                                         const std::vector<std::string>& agent_ids,
                                         absl::Time enrolled_at);
  // All or nothing. Violations name `completions[i].agent_id` (not enrolled
  // in the cohort) and `completions[i].completion_time` (before the
  // enrolment). NOT_FOUND for an unknown cohort.
  absl::StatusOr<CompletionWrite> RecordCompletions(
      int64_t tenant_id, int64_t cohort_id, const std::vector<CompletionRecord>& completions);

  // Counts per agent and day (kDay), week (kWeek, from Monday) or month
  // (kMonth) over `days`, of `agent_ids` (empty: every agent); only agents
  // and buckets with responses, in no particular order.
  // `team_ids` (empty: every team) keeps the responses handled in them.
  absl::StatusOr<std::vector<core::AgentPeriodCounts>> AgentBucketCounts(
      int64_t tenant_id, const core::DayRange& days, core::BucketSize bucket,
      const std::vector<std::string>& agent_ids = {},
      const std::vector<std::string>& team_ids = {});

  // What exclusions (ResponseService.SetAgentExclusion, SetResponseExclusion)
  // leave out of every figure over `days`: agents excluded now, and
  // responses on those days excluded one by one or through their agent.
  absl::StatusOr<ExcludedCounts> Excluded(int64_t tenant_id, const core::DayRange& days);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_TRAINING_STORE_H_
