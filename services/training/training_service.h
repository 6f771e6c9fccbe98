// tnps.v1.TrainingService: HR's roster, training programmes, cohorts and
// completions, and the uplift estimates built on them.
#ifndef TNPS_SERVICES_TRAINING_TRAINING_SERVICE_H_
#define TNPS_SERVICES_TRAINING_TRAINING_SERVICE_H_

#include "core/cohort_uplift.h"
#include "services/common/authenticator.h"
#include "storage/analytics_store.h"
#include "storage/training_store.h"
#include "tnps/v1/training_service.grpc.pb.h"

namespace tnps::services {

class TrainingService final : public tnps::v1::TrainingService::Service {
 public:
  TrainingService(Authenticator& authenticator, storage::TrainingStore& store,
                  storage::AnalyticsStore& analytics);

  grpc::Status UpsertAgents(grpc::ServerContext* context,
                            const tnps::v1::UpsertAgentsRequest* request,
                            tnps::v1::UpsertAgentsResponse* response) override;
  grpc::Status CreateProgram(grpc::ServerContext* context,
                             const tnps::v1::CreateProgramRequest* request,
                             tnps::v1::CreateProgramResponse* response) override;
  grpc::Status ListPrograms(grpc::ServerContext* context,
                            const tnps::v1::ListProgramsRequest* request,
                            tnps::v1::ListProgramsResponse* response) override;
  grpc::Status CreateCohort(grpc::ServerContext* context,
                            const tnps::v1::CreateCohortRequest* request,
                            tnps::v1::CreateCohortResponse* response) override;
  grpc::Status ListCohorts(grpc::ServerContext* context,
                           const tnps::v1::ListCohortsRequest* request,
                           tnps::v1::ListCohortsResponse* response) override;
  grpc::Status GetCohort(grpc::ServerContext* context, const tnps::v1::GetCohortRequest* request,
                         tnps::v1::GetCohortResponse* response) override;
  grpc::Status EnrollAgents(grpc::ServerContext* context,
                            const tnps::v1::EnrollAgentsRequest* request,
                            tnps::v1::EnrollAgentsResponse* response) override;
  grpc::Status RecordCompletions(grpc::ServerContext* context,
                                 const tnps::v1::RecordCompletionsRequest* request,
                                 tnps::v1::RecordCompletionsResponse* response) override;
  grpc::Status GetCohortUplift(grpc::ServerContext* context,
                               const tnps::v1::GetCohortUpliftRequest* request,
                               tnps::v1::GetCohortUpliftResponse* response) override;
  grpc::Status GetProgramImpact(grpc::ServerContext* context,
                                const tnps::v1::GetProgramImpactRequest* request,
                                tnps::v1::GetProgramImpactResponse* response) override;
  grpc::Status PlanCohort(grpc::ServerContext* context, const tnps::v1::PlanCohortRequest* request,
                          tnps::v1::PlanCohortResponse* response) override;

 private:
  // What GetCohortUplift reads for the agents it compares.
  absl::StatusOr<core::UpliftCounts> ReadUpliftCounts(int64_t tenant_id,
                                                      const core::UpliftAgents& agents);

  Authenticator& authenticator_;
  storage::TrainingStore& store_;
  storage::AnalyticsStore& analytics_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_TRAINING_TRAINING_SERVICE_H_
