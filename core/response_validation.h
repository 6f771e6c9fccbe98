// What makes a survey response acceptable, and the documented ingest limits.
#ifndef TNPS_CORE_RESPONSE_VALIDATION_H_
#define TNPS_CORE_RESPONSE_VALIDATION_H_

#include <cstddef>
#include <vector>

#include "absl/time/time.h"
#include "core/field_violation.h"
#include "core/survey_response.h"

namespace tnps::core {

// The limits docs/api.md promises. Changing one is an API change.
struct IngestLimits {
  static constexpr size_t kMaxIdBytes = 128;
  static constexpr size_t kMaxCommentCodePoints = 4000;
  static constexpr size_t kMaxAttributes = 32;
  static constexpr size_t kMaxAttributeKeyBytes = 64;
  static constexpr size_t kMaxAttributeValueBytes = 256;
  static constexpr size_t kMaxBatchSize = 1000;
  // Times outside [core::EarliestTime(), now + 5 minutes] are refused
  // (core/text_rules.h): a 1970 time is almost certainly a zero Timestamp.
};

// Every reason `response` cannot be stored; empty when it can. `now` is the
// server's clock, against which future timestamps are judged.
std::vector<FieldViolation> ValidateSurveyResponse(const SurveyResponse& response, absl::Time now);

// The reasons the comment and attributes of `amended` (the only fields an
// amendment may change) cannot replace the stored ones; the other fields
// are not looked at.
std::vector<FieldViolation> ValidateAmendment(const SurveyResponse& amended);

// Brings a response to the form it is stored in: timestamps truncated to
// microseconds (PostgreSQL's precision) and attributes sorted by key, so that
// a retried payload compares equal to the stored one.
void NormalizeSurveyResponse(SurveyResponse& response);

}  // namespace tnps::core

#endif  // TNPS_CORE_RESPONSE_VALIDATION_H_
