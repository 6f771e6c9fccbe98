// The checks of TrainingService's write requests, and what each request
// becomes once it passes: every violation is collected, none needs the
// database, so the handlers stay thin and the checks can be fuzzed alone.
#ifndef TNPS_SERVICES_TRAINING_TRAINING_REQUESTS_H_
#define TNPS_SERVICES_TRAINING_TRAINING_REQUESTS_H_

#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "core/field_violation.h"
#include "storage/training_store.h"
#include "tnps/v1/training_service.pb.h"

namespace tnps::services {

std::vector<storage::RosterAgent> CheckUpsertAgentsRequest(
    const tnps::v1::UpsertAgentsRequest& request, std::vector<core::FieldViolation>& violations);

storage::Program CheckCreateProgramRequest(const tnps::v1::CreateProgramRequest& request,
                                           std::vector<core::FieldViolation>& violations);

// nullopt exactly when it added violations.
std::optional<storage::Cohort> CheckCreateCohortRequest(
    const tnps::v1::CreateCohortRequest& request, std::vector<core::FieldViolation>& violations);

void CheckListCohortsRequest(const tnps::v1::ListCohortsRequest& request,
                             std::vector<core::FieldViolation>& violations);

void CheckGetCohortRequest(const tnps::v1::GetCohortRequest& request,
                           std::vector<core::FieldViolation>& violations);

// The enrolment time: the request's, or `now` without one.
absl::Time CheckEnrollAgentsRequest(const tnps::v1::EnrollAgentsRequest& request, absl::Time now,
                                    std::vector<core::FieldViolation>& violations);

std::vector<storage::CompletionRecord> CheckRecordCompletionsRequest(
    const tnps::v1::RecordCompletionsRequest& request, absl::Time now,
    std::vector<core::FieldViolation>& violations);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_TRAINING_TRAINING_REQUESTS_H_
