// tnps.v1.TrainingService: HR's roster, training programmes, cohorts and
// completions, and the uplift estimates built on them.
#ifndef TNPS_SERVICES_TRAINING_TRAINING_SERVICE_H_
#define TNPS_SERVICES_TRAINING_TRAINING_SERVICE_H_

#include "core/cohort_uplift.h"
#include "services/common/authenticator.h"
#include "services/common/call_executor.h"
#include "storage/analytics_store.h"
#include "storage/training_store.h"
#include "tnps/v1/training_service.grpc.pb.h"

namespace tnps::services {

// Every RPC is registered raw: its request is decoded after the key is
// verified, by CallExecutor::RunRaw, so that bytes that are not the
// request are INVALID_ARGUMENT rather than gRPC's own answer.
using TrainingServiceBase = tnps::v1::TrainingService::WithRawCallbackMethod_UpsertAgents<
    tnps::v1::TrainingService::WithRawCallbackMethod_CreateProgram<
        tnps::v1::TrainingService::WithRawCallbackMethod_ListPrograms<
            tnps::v1::TrainingService::WithRawCallbackMethod_CreateCohort<
                tnps::v1::TrainingService::WithRawCallbackMethod_ListCohorts<
                    tnps::v1::TrainingService::WithRawCallbackMethod_GetCohort<
                        tnps::v1::TrainingService::WithRawCallbackMethod_EnrollAgents<
                            tnps::v1::TrainingService::WithRawCallbackMethod_RecordCompletions<
                                tnps::v1::TrainingService::WithRawCallbackMethod_GetCohortUplift<
                                    tnps::v1::TrainingService::
                                        WithRawCallbackMethod_GetProgramImpact<
                                            tnps::v1::TrainingService::
                                                WithRawCallbackMethod_PlanCohort<
                                                    tnps::v1::TrainingService::Service>>>>>>>>>>>;

class TrainingService final : public TrainingServiceBase {
 public:
  // `store` records and lists. The estimates (GetCohortUplift,
  // GetProgramImpact, PlanCohort) look up what they are about (cohort,
  // programme, enrolments: small, and just recorded by HR) through `store`
  // too, and read their counts through `reads` and `analytics`, which may
  // reach a standby (--read_database_url).
  TrainingService(storage::TrainingStore& store, storage::TrainingStore& reads,
                  storage::AnalyticsStore& analytics, CallExecutor& executor);

  grpc::ServerUnaryReactor* UpsertAgents(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CreateProgram(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListPrograms(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CreateCohort(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListCohorts(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetCohort(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request,
                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* EnrollAgents(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RecordCompletions(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetCohortUplift(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetProgramImpact(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PlanCohort(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;

 private:
  // The handlers, run on the call executor (services/common/call_executor.h).
  grpc::Status HandleUpsertAgents(const storage::Principal& principal,
                                  const tnps::v1::UpsertAgentsRequest* request,
                                  tnps::v1::UpsertAgentsResponse* response);
  grpc::Status HandleCreateProgram(const storage::Principal& principal,
                                   const tnps::v1::CreateProgramRequest* request,
                                   tnps::v1::CreateProgramResponse* response);
  grpc::Status HandleListPrograms(const storage::Principal& principal,
                                  const tnps::v1::ListProgramsRequest* request,
                                  tnps::v1::ListProgramsResponse* response);
  grpc::Status HandleCreateCohort(const storage::Principal& principal,
                                  const tnps::v1::CreateCohortRequest* request,
                                  tnps::v1::CreateCohortResponse* response);
  grpc::Status HandleListCohorts(const storage::Principal& principal,
                                 const tnps::v1::ListCohortsRequest* request,
                                 tnps::v1::ListCohortsResponse* response);
  grpc::Status HandleGetCohort(const storage::Principal& principal,
                               const tnps::v1::GetCohortRequest* request,
                               tnps::v1::GetCohortResponse* response);
  grpc::Status HandleEnrollAgents(const storage::Principal& principal,
                                  const tnps::v1::EnrollAgentsRequest* request,
                                  tnps::v1::EnrollAgentsResponse* response);
  grpc::Status HandleRecordCompletions(const storage::Principal& principal,
                                       const tnps::v1::RecordCompletionsRequest* request,
                                       tnps::v1::RecordCompletionsResponse* response);
  grpc::Status HandleGetCohortUplift(const storage::Principal& principal,
                                     const tnps::v1::GetCohortUpliftRequest* request,
                                     tnps::v1::GetCohortUpliftResponse* response);
  grpc::Status HandleGetProgramImpact(const storage::Principal& principal,
                                      const tnps::v1::GetProgramImpactRequest* request,
                                      tnps::v1::GetProgramImpactResponse* response);
  grpc::Status HandlePlanCohort(const storage::Principal& principal,
                                const tnps::v1::PlanCohortRequest* request,
                                tnps::v1::PlanCohortResponse* response);

  // What GetCohortUplift reads for the agents it compares.
  absl::StatusOr<core::UpliftCounts> ReadUpliftCounts(int64_t tenant_id,
                                                      const core::UpliftAgents& agents);

  storage::TrainingStore& store_;
  storage::TrainingStore& reads_;
  storage::AnalyticsStore& analytics_;
  CallExecutor& executor_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_TRAINING_TRAINING_SERVICE_H_
