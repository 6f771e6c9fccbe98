// Between tnps.v1 training messages and their storage and core forms, and
// the request checks the training handlers share.
#ifndef TNPS_SERVICES_TRAINING_TRAINING_MAPPING_H_
#define TNPS_SERVICES_TRAINING_TRAINING_MAPPING_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/field_violation.h"
#include "storage/training_store.h"
#include "tnps/v1/training_service.pb.h"

namespace tnps::services {

// The documented limits of TrainingService requests.
inline constexpr int kMaxTrainingBatch = 1000;
inline constexpr size_t kMaxTrainingIdBytes = 128;
inline constexpr size_t kMaxNameBytes = 200;
inline constexpr size_t kMaxDescriptionBytes = 4000;
inline constexpr int kMaxWindowDays = 366;

// An id of 1..128 bytes under the rules of core/text_rules.h.
void CheckId(const std::string& id, const std::string& field,
             std::vector<core::FieldViolation>& violations);

void ProgramToProto(const storage::Program& program, tnps::v1::Program* out);
void CohortToProto(const storage::Cohort& cohort, tnps::v1::Cohort* out);
void EnrollmentToProto(const core::Enrollment& enrollment, tnps::v1::Enrollment* out);

// Today in the tenant's time zone.
absl::CivilDay TenantToday(const std::string& time_zone);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_TRAINING_TRAINING_MAPPING_H_
