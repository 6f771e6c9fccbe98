#include "services/training/training_service.h"

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/cohort_plan.h"
#include "core/cohort_uplift.h"
#include "core/program_impact.h"
#include "services/common/grpc_status.h"
#include "services/common/nps_mapping.h"
#include "services/common/proto_time.h"
#include "services/common/read_after.h"
#include "services/training/estimate_mapping.h"
#include "services/training/training_mapping.h"
#include "services/training/training_requests.h"

namespace tnps::services {
namespace {

// Rows per agent and team, as storage groups them, as AgentTotals (one per
// row; core adds up an agent's rows).
std::vector<core::AgentTotal> AgentTotals(std::vector<storage::GroupCounts> groups) {
  std::vector<core::AgentTotal> totals;
  totals.reserve(groups.size());
  for (storage::GroupCounts& g : groups) totals.push_back({std::move(g.key), g.counts});
  return totals;
}

}  // namespace

TrainingService::TrainingService(storage::TrainingStore& store, storage::TrainingStore& reads,
                                 storage::AnalyticsStore& analytics, CallExecutor& executor)
    : store_(store), reads_(reads), analytics_(analytics), executor_(executor) {}

grpc::Status TrainingService::HandleUpsertAgents(const storage::Principal& principal,
                                                 const tnps::v1::UpsertAgentsRequest* request,
                                                 tnps::v1::UpsertAgentsResponse* response) {
  std::vector<core::FieldViolation> violations;
  const std::vector<storage::RosterAgent> agents = CheckUpsertAgentsRequest(*request, violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<storage::RosterWrite> outcome = store_.UpsertAgents(principal.tenant_id, agents);
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  response->set_created(outcome->created);
  response->set_updated(outcome->updated);
  return grpc::Status::OK;
}

grpc::Status TrainingService::HandleCreateProgram(const storage::Principal& principal,
                                                  const tnps::v1::CreateProgramRequest* request,
                                                  tnps::v1::CreateProgramResponse* response) {
  std::vector<core::FieldViolation> violations;
  const storage::Program program = CheckCreateProgramRequest(*request, violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<storage::Program> created = store_.CreateProgram(principal.tenant_id, program);
  if (!created.ok()) return ToGrpcStatus(created.status());
  ProgramToProto(*created, response->mutable_program());
  return grpc::Status::OK;
}

grpc::Status TrainingService::HandleListPrograms(const storage::Principal& principal,
                                                 const tnps::v1::ListProgramsRequest* request,
                                                 tnps::v1::ListProgramsResponse* response) {
  absl::StatusOr<std::vector<storage::Program>> programs = store_.ListPrograms(principal.tenant_id);
  if (!programs.ok()) return ToGrpcStatus(programs.status());
  for (const auto& p : *programs) ProgramToProto(p, response->add_programs());
  return grpc::Status::OK;
}

grpc::Status TrainingService::HandleCreateCohort(const storage::Principal& principal,
                                                 const tnps::v1::CreateCohortRequest* request,
                                                 tnps::v1::CreateCohortResponse* response) {
  std::vector<core::FieldViolation> violations;
  const std::optional<storage::Cohort> cohort = CheckCreateCohortRequest(*request, violations);
  if (!cohort) return InvalidArgument("", violations);
  absl::StatusOr<storage::Cohort> created = store_.CreateCohort(principal.tenant_id, *cohort);
  if (!created.ok()) return ToGrpcStatus(created.status());
  CohortToProto(*created, response->mutable_cohort());
  return grpc::Status::OK;
}

grpc::Status TrainingService::HandleListCohorts(const storage::Principal& principal,
                                                const tnps::v1::ListCohortsRequest* request,
                                                tnps::v1::ListCohortsResponse* response) {
  std::vector<core::FieldViolation> violations;
  CheckListCohortsRequest(*request, violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  if (request->program_id() > 0) {
    absl::StatusOr<storage::Program> program =
        store_.GetProgram(principal.tenant_id, request->program_id());
    if (!program.ok()) return ToGrpcStatus(program.status());
  }
  absl::StatusOr<std::vector<storage::Cohort>> cohorts =
      store_.ListCohorts(principal.tenant_id, request->program_id());
  if (!cohorts.ok()) return ToGrpcStatus(cohorts.status());
  for (const auto& c : *cohorts) CohortToProto(c, response->add_cohorts());
  return grpc::Status::OK;
}

grpc::Status TrainingService::HandleGetCohort(const storage::Principal& principal,
                                              const tnps::v1::GetCohortRequest* request,
                                              tnps::v1::GetCohortResponse* response) {
  std::vector<core::FieldViolation> violations;
  CheckGetCohortRequest(*request, violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<storage::Cohort> cohort =
      store_.GetCohort(principal.tenant_id, request->cohort_id());
  if (!cohort.ok()) return ToGrpcStatus(cohort.status());
  absl::StatusOr<std::vector<core::Enrollment>> enrollments =
      store_.CohortEnrollments(principal.tenant_id, request->cohort_id());
  if (!enrollments.ok()) return ToGrpcStatus(enrollments.status());
  CohortToProto(*cohort, response->mutable_cohort());
  for (const auto& e : *enrollments) EnrollmentToProto(e, response->add_enrollments());
  return grpc::Status::OK;
}

grpc::Status TrainingService::HandleEnrollAgents(const storage::Principal& principal,
                                                 const tnps::v1::EnrollAgentsRequest* request,
                                                 tnps::v1::EnrollAgentsResponse* response) {
  std::vector<core::FieldViolation> violations;
  const absl::Time enrolled_at = CheckEnrollAgentsRequest(*request, absl::Now(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  std::vector<std::string> ids(request->agent_ids().begin(), request->agent_ids().end());
  absl::StatusOr<storage::EnrollmentWrite> outcome =
      store_.Enroll(principal.tenant_id, request->cohort_id(), ids, enrolled_at);
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  if (!outcome->violations.empty()) return InvalidArgument("", outcome->violations);
  response->set_enrolled(outcome->enrolled);
  return grpc::Status::OK;
}

grpc::Status TrainingService::HandleRecordCompletions(
    const storage::Principal& principal, const tnps::v1::RecordCompletionsRequest* request,
    tnps::v1::RecordCompletionsResponse* response) {
  std::vector<core::FieldViolation> violations;
  const std::vector<storage::CompletionRecord> records =
      CheckRecordCompletionsRequest(*request, absl::Now(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<storage::CompletionWrite> outcome =
      store_.RecordCompletions(principal.tenant_id, request->cohort_id(), records);
  if (!outcome.ok()) return ToGrpcStatus(outcome.status());
  if (!outcome->violations.empty()) return InvalidArgument("", outcome->violations);
  response->set_recorded(outcome->recorded);
  response->set_corrected(outcome->corrected);
  return grpc::Status::OK;
}

grpc::Status TrainingService::HandleGetCohortUplift(const storage::Principal& principal,
                                                    const tnps::v1::GetCohortUpliftRequest* request,
                                                    tnps::v1::GetCohortUpliftResponse* response) {
  std::vector<core::FieldViolation> violations;
  const UpliftOptions options = CheckUpliftRequest(*request, violations);
  ReadAfterToken(request->consistency_token(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);

  const int64_t tenant = principal.tenant_id;
  absl::StatusOr<storage::Cohort> cohort = store_.GetCohort(tenant, request->cohort_id());
  if (!cohort.ok()) return ToGrpcStatus(cohort.status());
  absl::StatusOr<std::vector<core::Enrollment>> programme =
      store_.ProgramEnrollments(tenant, cohort->program_id);
  if (!programme.ok()) return ToGrpcStatus(programme.status());
  absl::StatusOr<core::UpliftAgents> agents =
      core::SelectUpliftAgents(cohort->cohort_id, *programme, options.windows, kUpliftRollingDays);
  if (!agents.ok()) return ToGrpcStatus(agents.status());
  if (agents->data.days() > kMaxRangeDays + kUpliftRollingDays) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("the cohort's completions and windows span ",
                                     agents->data.days(), " days; the limit is ", kMaxRangeDays));
  }
  absl::StatusOr<core::UpliftCounts> counts = ReadUpliftCounts(tenant, *agents);
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  absl::StatusOr<core::CohortUpliftEstimate> estimate =
      core::EstimateCohortUplift(*agents, *counts, options.confidence_level);
  if (!estimate.ok()) return ToGrpcStatus(estimate.status());
  UpliftToProto(*estimate, *cohort, options.confidence_level, response);
  response->set_time_zone(principal.time_zone);
  return grpc::Status::OK;
}

absl::StatusOr<core::UpliftCounts> TrainingService::ReadUpliftCounts(
    int64_t tenant_id, const core::UpliftAgents& agents) {
  // The treated agents day by day; the comparison agents summed per window
  // and per day (every agent's daily totals less the excluded agents'),
  // each read aggregated in PostgreSQL.
  core::UpliftCounts counts;
  absl::StatusOr<std::vector<core::AgentPeriodCounts>> treated_days =
      reads_.AgentBucketCounts(tenant_id, agents.data, core::BucketSize::kDay, agents.treated);
  if (!treated_days.ok()) return treated_days.status();
  counts.treated_days = *std::move(treated_days);
  const auto per_agent =
      [&](const core::DayRange& window) -> absl::StatusOr<std::vector<core::AgentTotal>> {
    absl::StatusOr<std::vector<storage::GroupCounts>> rows = analytics_.GroupTotals(
        {.tenant_id = tenant_id, .days = window}, storage::RollupGroup::kAgentAndTeam);
    if (!rows.ok()) return rows.status();
    return AgentTotals(*std::move(rows));
  };
  absl::StatusOr<std::vector<core::AgentTotal>> pre = per_agent(agents.comparison_pre);
  if (!pre.ok()) return pre.status();
  counts.comparison_pre = *std::move(pre);
  absl::StatusOr<std::vector<core::AgentTotal>> post = per_agent(agents.comparison_post);
  if (!post.ok()) return post.status();
  counts.comparison_post = *std::move(post);
  absl::StatusOr<std::vector<core::DayCounts>> all_daily =
      analytics_.DailyTotals({.tenant_id = tenant_id, .days = agents.data});
  if (!all_daily.ok()) return all_daily.status();
  counts.all_daily = *std::move(all_daily);
  absl::StatusOr<std::vector<core::DayCounts>> excluded_daily = analytics_.DailyTotals(
      {.tenant_id = tenant_id, .days = agents.data, .agent_ids = agents.excluded});
  if (!excluded_daily.ok()) return excluded_daily.status();
  counts.excluded_daily = *std::move(excluded_daily);
  return counts;
}

grpc::Status TrainingService::HandleGetProgramImpact(
    const storage::Principal& principal, const tnps::v1::GetProgramImpactRequest* request,
    tnps::v1::GetProgramImpactResponse* response) {
  std::vector<core::FieldViolation> violations;
  const ImpactOptions options =
      CheckImpactRequest(*request, TenantToday(principal.time_zone), violations);
  ReadAfterToken(request->consistency_token(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);

  const int64_t tenant = principal.tenant_id;
  absl::StatusOr<storage::Program> program = store_.GetProgram(tenant, request->program_id());
  if (!program.ok()) return ToGrpcStatus(program.status());
  absl::StatusOr<std::vector<core::Enrollment>> enrollments =
      store_.ProgramEnrollments(tenant, program->program_id);
  if (!enrollments.ok()) return ToGrpcStatus(enrollments.status());
  absl::StatusOr<std::vector<core::AgentPeriodCounts>> counts =
      reads_.AgentBucketCounts(tenant, options.range, options.bucket, {},
                               options.team_id.empty() ? std::vector<std::string>{}
                                                       : std::vector<std::string>{options.team_id});
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  absl::StatusOr<core::ProgramImpact> impact = core::EstimateProgramImpact(
      *enrollments, *counts, options.bucket, options.did,
      {.hours_per_participant = program->hours_per_participant,
       .cost_per_hour_micros = program->cost_per_hour_micros,
       .value_per_point_micros =
           options.value_per_point_micros.value_or(program->value_per_point_micros),
       .confidence_level = options.confidence_level});
  if (!impact.ok()) {
    return grpc::Status(
        grpc::StatusCode::FAILED_PRECONDITION,
        absl::StrCat("cannot estimate the impact of programme ", program->program_id, " from ",
                     options.range.days(), " days of responses: ", impact.status().message(),
                     " (a group needs responses before its training)"));
  }
  absl::StatusOr<storage::ExcludedCounts> excluded = reads_.Excluded(tenant, options.range);
  if (!excluded.ok()) return ToGrpcStatus(excluded.status());
  ImpactToProto(*impact, *program, options, response);
  response->mutable_exclusions()->set_agents(static_cast<int32_t>(excluded->agents));
  response->mutable_exclusions()->set_responses(excluded->responses);
  response->set_time_zone(principal.time_zone);
  return grpc::Status::OK;
}

grpc::Status TrainingService::HandlePlanCohort(const storage::Principal& principal,
                                               const tnps::v1::PlanCohortRequest* request,
                                               tnps::v1::PlanCohortResponse* response) {
  std::vector<core::FieldViolation> violations;
  CheckPlanRequest(*request, violations);
  ReadAfterToken(request->consistency_token(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);

  const absl::CivilDay today = TenantToday(principal.time_zone);
  absl::StatusOr<std::vector<storage::GroupCounts>> groups = analytics_.GroupTotals(
      {.tenant_id = principal.tenant_id, .days = {today - 7 * kPlanHistoryWeeks, today - 1}},
      storage::RollupGroup::kAgentAndTeam);
  if (!groups.ok()) return ToGrpcStatus(groups.status());
  std::map<std::string, core::NpsCounts> per_agent;
  for (const storage::GroupCounts& g : *groups) per_agent[g.key] += g.counts;
  std::vector<core::NpsCounts> agent_counts;
  for (const auto& [agent, counts] : per_agent) agent_counts.push_back(counts);
  const core::ResponseVariance history = core::EstimateResponseVariance(agent_counts);
  const core::CohortDesign design = PlanDesign(*request, history);
  PlanToProto(design, history, core::MinimumDetectableEffect(design, history), response);
  return grpc::Status::OK;
}

// Each RPC runs on the call executor; the handlers above do the work.
grpc::ServerUnaryReactor* TrainingService::UpsertAgents(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::UpsertAgentsRequest, tnps::v1::UpsertAgentsResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::UpsertAgentsRequest* in,
             tnps::v1::UpsertAgentsResponse* out) {
        return HandleUpsertAgents(principal, in, out);
      });
}

grpc::ServerUnaryReactor* TrainingService::CreateProgram(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::CreateProgramRequest, tnps::v1::CreateProgramResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::CreateProgramRequest* in,
             tnps::v1::CreateProgramResponse* out) {
        return HandleCreateProgram(principal, in, out);
      });
}

grpc::ServerUnaryReactor* TrainingService::ListPrograms(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::ListProgramsRequest, tnps::v1::ListProgramsResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::ListProgramsRequest* in,
             tnps::v1::ListProgramsResponse* out) {
        return HandleListPrograms(principal, in, out);
      });
}

grpc::ServerUnaryReactor* TrainingService::CreateCohort(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::CreateCohortRequest, tnps::v1::CreateCohortResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::CreateCohortRequest* in,
             tnps::v1::CreateCohortResponse* out) {
        return HandleCreateCohort(principal, in, out);
      });
}

grpc::ServerUnaryReactor* TrainingService::ListCohorts(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::ListCohortsRequest, tnps::v1::ListCohortsResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::ListCohortsRequest* in,
             tnps::v1::ListCohortsResponse* out) { return HandleListCohorts(principal, in, out); });
}

grpc::ServerUnaryReactor* TrainingService::GetCohort(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::GetCohortRequest, tnps::v1::GetCohortResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::GetCohortRequest* in,
             tnps::v1::GetCohortResponse* out) { return HandleGetCohort(principal, in, out); });
}

grpc::ServerUnaryReactor* TrainingService::EnrollAgents(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::EnrollAgentsRequest, tnps::v1::EnrollAgentsResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::EnrollAgentsRequest* in,
             tnps::v1::EnrollAgentsResponse* out) {
        return HandleEnrollAgents(principal, in, out);
      });
}

grpc::ServerUnaryReactor* TrainingService::RecordCompletions(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::RecordCompletionsRequest, tnps::v1::RecordCompletionsResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::RecordCompletionsRequest* in,
             tnps::v1::RecordCompletionsResponse* out) {
        return HandleRecordCompletions(principal, in, out);
      });
}

grpc::ServerUnaryReactor* TrainingService::GetCohortUplift(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::GetCohortUpliftRequest, tnps::v1::GetCohortUpliftResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::GetCohortUpliftRequest* in,
             tnps::v1::GetCohortUpliftResponse* out) {
        return HandleGetCohortUplift(principal, in, out);
      });
}

grpc::ServerUnaryReactor* TrainingService::GetProgramImpact(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::GetProgramImpactRequest, tnps::v1::GetProgramImpactResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::GetProgramImpactRequest* in,
             tnps::v1::GetProgramImpactResponse* out) {
        return HandleGetProgramImpact(principal, in, out);
      });
}

grpc::ServerUnaryReactor* TrainingService::PlanCohort(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::PlanCohortRequest, tnps::v1::PlanCohortResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::PlanCohortRequest* in,
             tnps::v1::PlanCohortResponse* out) { return HandlePlanCohort(principal, in, out); });
}

}  // namespace tnps::services
