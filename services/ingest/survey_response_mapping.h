// Between the wire form of a survey response (tnps.v1) and the domain form
// (core), including the checks only the wire form can fail.
#ifndef TNPS_SERVICES_INGEST_SURVEY_RESPONSE_MAPPING_H_
#define TNPS_SERVICES_INGEST_SURVEY_RESPONSE_MAPPING_H_

#include <vector>

#include "absl/time/time.h"
#include "core/field_violation.h"
#include "core/survey_response.h"
#include "tnps/v1/survey_response.pb.h"

namespace tnps::services {

// A submitted response ready to store, or the reasons it cannot be.
struct CheckedResponse {
  core::SurveyResponse response;
  std::vector<core::FieldViolation> violations;
};

// Maps, validates (against `now`) and normalizes one submitted response.
CheckedResponse CheckSurveyResponse(const tnps::v1::SurveyResponse& proto, absl::Time now);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_INGEST_SURVEY_RESPONSE_MAPPING_H_
