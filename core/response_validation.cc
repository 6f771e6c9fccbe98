#include "core/response_validation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "core/nps_category.h"
#include "core/text_rules.h"
#include "core/utf8.h"

namespace tnps::core {
namespace {

// Identifiers: required or not, and the rules of core/text_rules.h.
void CheckId(absl::string_view field, absl::string_view value, bool required,
             std::vector<FieldViolation>& out) {
  if (value.empty()) {
    if (required) out.push_back({std::string(field), "is required"});
    return;
  }
  if (std::optional<std::string> problem = IdentifierProblem(value, IngestLimits::kMaxIdBytes)) {
    out.push_back({std::string(field), *std::move(problem)});
  }
}

void CheckAttributes(const SurveyResponse& r, std::vector<FieldViolation>& out) {
  if (r.attributes.size() > IngestLimits::kMaxAttributes) {
    out.push_back(
        {"attributes", absl::StrFormat("has %d entries; the limit is %d", r.attributes.size(),
                                       IngestLimits::kMaxAttributes)});
    return;
  }
  for (const auto& [key, value] : r.attributes) {
    if (key.empty() || IdentifierProblem(key, IngestLimits::kMaxAttributeKeyBytes)) {
      out.push_back({"attributes", absl::StrFormat("key must be 1..%d bytes of printable UTF-8",
                                                   IngestLimits::kMaxAttributeKeyBytes)});
      continue;
    }
    const std::string field = absl::StrCat("attributes[", key, "]");
    if (std::optional<std::string> problem =
            FreeTextProblem(value, IngestLimits::kMaxAttributeValueBytes)) {
      out.push_back({field, *std::move(problem)});
    }
  }
}

void CheckComment(const std::string& comment, std::vector<FieldViolation>& out) {
  if (std::optional<size_t> length = Utf8CodePoints(comment); !length) {
    out.push_back({"comment", "is not valid UTF-8"});
  } else if (comment.find('\0') != std::string::npos) {
    out.push_back({"comment", "contains a NUL character"});
  } else if (*length > IngestLimits::kMaxCommentCodePoints) {
    out.push_back({"comment", absl::StrFormat("is %d characters; the limit is %d", *length,
                                              IngestLimits::kMaxCommentCodePoints)});
  }
}

void CheckTimes(const SurveyResponse& r, absl::Time now, std::vector<FieldViolation>& out) {
  if (!r.interaction_time) {
    out.push_back({"interaction_time", "is required"});
  } else if (std::optional<std::string> problem = TimeProblem(*r.interaction_time, now)) {
    out.push_back({"interaction_time", *std::move(problem)});
  }
  if (!r.response_time) {
    out.push_back({"response_time", "is required"});
  } else if (std::optional<std::string> problem = TimeProblem(*r.response_time, now)) {
    out.push_back({"response_time", *std::move(problem)});
  } else if (r.interaction_time && *r.response_time < *r.interaction_time) {
    out.push_back({"response_time", "is before interaction_time"});
  }
}

}  // namespace

std::vector<FieldViolation> ValidateSurveyResponse(const SurveyResponse& r, absl::Time now) {
  std::vector<FieldViolation> out;
  CheckId("external_id", r.external_id, /*required=*/true, out);
  CheckId("interaction_id", r.interaction_id, /*required=*/true, out);
  CheckId("agent_id", r.agent_id, /*required=*/true, out);
  CheckId("team_id", r.team_id, /*required=*/true, out);
  CheckId("customer_ref", r.customer_ref, /*required=*/false, out);

  if (r.channel == static_cast<int>(Channel::kUnspecified)) {
    out.push_back({"channel", "is required"});
  } else if (r.channel < 0 || r.channel > kMaxChannelValue) {
    out.push_back({"channel", absl::StrCat("has unknown value ", r.channel)});
  }

  if (!r.score) {
    out.push_back({"score", "is required (0 is a valid score; absent is not)"});
  } else if (*r.score < kMinScore || *r.score > kMaxScore) {
    out.push_back({"score", absl::StrCat("is ", *r.score, "; it must be 0..10")});
  }

  CheckComment(r.comment, out);
  CheckTimes(r, now, out);
  CheckAttributes(r, out);
  return out;
}

std::vector<FieldViolation> ValidateAmendment(const SurveyResponse& amended) {
  std::vector<FieldViolation> out;
  CheckComment(amended.comment, out);
  CheckAttributes(amended, out);
  return out;
}

void NormalizeSurveyResponse(SurveyResponse& r) {
  for (std::optional<absl::Time>* t : {&r.interaction_time, &r.response_time}) {
    if (*t) {
      **t = absl::UnixEpoch() +
            absl::Microseconds(absl::ToInt64Microseconds(**t - absl::UnixEpoch()));
    }
  }
  std::sort(r.attributes.begin(), r.attributes.end());
}

}  // namespace tnps::core
