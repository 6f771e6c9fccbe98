#include "services/ingest/survey_response_mapping.h"

#include "core/response_validation.h"
#include "services/common/proto_time.h"

namespace tnps::services {

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
  if (proto.has_interaction_time()) {
    r.interaction_time =
        MapTimestamp(proto.interaction_time(), "interaction_time", mapping_violations);
  }
  if (proto.has_response_time()) {
    r.response_time = MapTimestamp(proto.response_time(), "response_time", mapping_violations);
  }
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
