#include "services/ingest/survey_response_mapping.h"

#include "core/response_validation.h"

namespace tnps::services {
namespace {

// google.protobuf.Timestamp's documented range: 0001-01-01 to 9999-12-31.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;

std::optional<absl::Time> MapTimestamp(bool present, const google::protobuf::Timestamp& ts,
                                       const char* field,
                                       std::vector<core::FieldViolation>& violations) {
  if (!present) return std::nullopt;
  if (ts.seconds() < kMinTimestampSeconds || ts.seconds() > kMaxTimestampSeconds ||
      ts.nanos() < 0 || ts.nanos() > 999999999) {
    violations.push_back({field, "is not a valid timestamp"});
    return std::nullopt;
  }
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace

CheckedResponse CheckSurveyResponse(const tnps::v1::SurveyResponse& proto, absl::Time now) {
  CheckedResponse checked;
  core::SurveyResponse& r = checked.response;
  r.external_id = proto.external_id();
  r.interaction_id = proto.interaction_id();
  r.agent_id = proto.agent_id();
  r.team_id = proto.team_id();
  r.channel = proto.channel();
  r.customer_ref = proto.customer_ref();
  if (proto.has_score()) r.score = proto.score();
  r.comment = proto.comment();
  std::vector<core::FieldViolation> mapping_violations;
  r.interaction_time = MapTimestamp(proto.has_interaction_time(), proto.interaction_time(),
                                    "interaction_time", mapping_violations);
  r.response_time = MapTimestamp(proto.has_response_time(), proto.response_time(), "response_time",
                                 mapping_violations);
  r.attributes.assign(proto.attributes().begin(), proto.attributes().end());

  checked.violations = core::ValidateSurveyResponse(r, now);
  // A malformed timestamp is reported as such, not as "is required".
  for (const core::FieldViolation& mv : mapping_violations) {
    std::erase_if(checked.violations,
                  [&](const core::FieldViolation& v) { return v.field == mv.field; });
    checked.violations.push_back(mv);
  }
  if (checked.violations.empty()) core::NormalizeSurveyResponse(r);
  return checked;
}

}  // namespace tnps::services
