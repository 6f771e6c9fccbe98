#include "core/response_validation.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "core/nps_category.h"
#include "core/utf8.h"

namespace tnps::core {
namespace {

bool HasControlCharacter(absl::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; });
}

// Identifiers: required, bounded, printable UTF-8.
void CheckId(absl::string_view field, absl::string_view value, bool required,
             std::vector<FieldViolation>& out) {
  if (value.empty()) {
    if (required) out.push_back({std::string(field), "is required"});
    return;
  }
  if (value.size() > IngestLimits::kMaxIdBytes) {
    out.push_back({std::string(field), absl::StrFormat("is %d bytes; the limit is %d", value.size(),
                                                       IngestLimits::kMaxIdBytes)});
  } else if (!IsValidUtf8(value)) {
    out.push_back({std::string(field), "is not valid UTF-8"});
  } else if (HasControlCharacter(value)) {
    out.push_back({std::string(field), "contains a control character"});
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
    if (key.empty() || key.size() > IngestLimits::kMaxAttributeKeyBytes || !IsValidUtf8(key) ||
        HasControlCharacter(key)) {
      out.push_back({"attributes", absl::StrFormat("key must be 1..%d bytes of printable UTF-8",
                                                   IngestLimits::kMaxAttributeKeyBytes)});
      continue;
    }
    const std::string field = absl::StrCat("attributes[", key, "]");
    if (value.size() > IngestLimits::kMaxAttributeValueBytes) {
      out.push_back({field, absl::StrFormat("is %d bytes; the limit is %d", value.size(),
                                            IngestLimits::kMaxAttributeValueBytes)});
    } else if (!IsValidUtf8(value)) {
      out.push_back({field, "is not valid UTF-8"});
    } else if (value.find('\0') != std::string::npos) {
      out.push_back({field, "contains a NUL character"});
    }
  }
}

void CheckTimes(const SurveyResponse& r, absl::Time now, std::vector<FieldViolation>& out) {
  const absl::Time latest = now + IngestLimits::kMaxClockSkew;
  if (!r.interaction_time) {
    out.push_back({"interaction_time", "is required"});
  } else if (*r.interaction_time < IngestLimits::EarliestInteractionTime()) {
    out.push_back({"interaction_time", "is before 2000-01-01T00:00:00Z"});
  } else if (*r.interaction_time > latest) {
    out.push_back({"interaction_time", "is more than 5 minutes in the future"});
  }
  if (!r.response_time) {
    out.push_back({"response_time", "is required"});
  } else if (*r.response_time > latest) {
    out.push_back({"response_time", "is more than 5 minutes in the future"});
  } else if (r.interaction_time && *r.response_time < *r.interaction_time) {
    out.push_back({"response_time", "is before interaction_time"});
  }
}

}  // namespace

absl::Time IngestLimits::EarliestInteractionTime() {
  return absl::FromCivil(absl::CivilSecond(2000, 1, 1, 0, 0, 0), absl::UTCTimeZone());
}

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

  if (std::optional<size_t> length = Utf8CodePoints(r.comment); !length) {
    out.push_back({"comment", "is not valid UTF-8"});
  } else if (r.comment.find('\0') != std::string::npos) {
    out.push_back({"comment", "contains a NUL character"});
  } else if (*length > IngestLimits::kMaxCommentCodePoints) {
    out.push_back({"comment", absl::StrFormat("is %d characters; the limit is %d", *length,
                                              IngestLimits::kMaxCommentCodePoints)});
  }

  CheckTimes(r, now, out);
  CheckAttributes(r, out);
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
