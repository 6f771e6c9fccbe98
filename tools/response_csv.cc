#include "tools/response_csv.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace tnps::tools {
namespace {

struct NamedColumn {
  const char* name;
  bool required;
};

constexpr NamedColumn kColumns[] = {
    {"external_id", true},      {"interaction_id", true}, {"agent_id", true}, {"team_id", true},
    {"channel", true},          {"customer_ref", false},  {"score", true},    {"comment", false},
    {"interaction_time", true}, {"response_time", true},
};

constexpr absl::string_view kAttributePrefix = "attr.";

bool ParseChannel(absl::string_view text, tnps::v1::Channel* channel) {
  std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  if (!absl::StartsWith(name, "CHANNEL_")) name = absl::StrCat("CHANNEL_", name);
  return tnps::v1::Channel_Parse(name, channel) && *channel != tnps::v1::CHANNEL_UNSPECIFIED;
}

bool ParseTimestamp(absl::string_view text, google::protobuf::Timestamp* out) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(absl::StripAsciiWhitespace(text)), &time,
                       &error)) {
    return false;
  }
  // Seconds and the rest apart: nanoseconds since 1970 overflow int64 after
  // 2262, and a CSV may hold any year (the server judges the range).
  const int64_t seconds = absl::ToUnixSeconds(time);
  out->set_seconds(seconds);
  out->set_nanos(
      static_cast<int32_t>(absl::ToInt64Nanoseconds(time - absl::FromUnixSeconds(seconds))));
  return true;
}

}  // namespace

absl::StatusOr<ResponseCsvFormat> ResponseCsvFormat::FromHeader(
    const std::vector<std::string>& header) {
  ResponseCsvFormat format;
  std::vector<bool> seen(std::size(kColumns), false);
  for (const std::string& raw : header) {
    const std::string name(absl::StripAsciiWhitespace(raw));
    if (absl::StartsWith(name, kAttributePrefix) && name.size() > kAttributePrefix.size()) {
      if (std::find(format.names_.begin(), format.names_.end(), name) != format.names_.end()) {
        return absl::InvalidArgumentError(absl::StrCat("column ", name, " appears twice"));
      }
      format.columns_.push_back(Column::kAttribute);
      format.names_.push_back(name);
      continue;
    }
    auto it = std::find_if(std::begin(kColumns), std::end(kColumns),
                           [&](const NamedColumn& c) { return name == c.name; });
    if (it == std::end(kColumns)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown column \"", name, "\"; expected ",
          absl::StrJoin(std::begin(kColumns), std::end(kColumns), ", ",
                        [](std::string* out, const NamedColumn& c) { out->append(c.name); }),
          " or attr.KEY"));
    }
    const size_t index = static_cast<size_t>(it - std::begin(kColumns));
    if (seen[index])
      return absl::InvalidArgumentError(absl::StrCat("column ", name, " appears twice"));
    seen[index] = true;
    format.columns_.push_back(static_cast<Column>(index));
    format.names_.push_back(name);
  }
  for (size_t i = 0; i < std::size(kColumns); ++i) {
    if (kColumns[i].required && !seen[i]) {
      return absl::InvalidArgumentError(
          absl::StrCat("the header lacks the required column ", kColumns[i].name));
    }
  }
  return format;
}

absl::StatusOr<tnps::v1::SurveyResponse> ResponseCsvFormat::Parse(
    const std::vector<std::string>& record) const {
  if (record.size() != columns_.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("has ", record.size(), " fields; the header has ", columns_.size()));
  }
  tnps::v1::SurveyResponse r;
  for (size_t i = 0; i < record.size(); ++i) {
    const std::string& value = record[i];
    switch (columns_[i]) {
      case Column::kExternalId:
        r.set_external_id(value);
        break;
      case Column::kInteractionId:
        r.set_interaction_id(value);
        break;
      case Column::kAgentId:
        r.set_agent_id(value);
        break;
      case Column::kTeamId:
        r.set_team_id(value);
        break;
      case Column::kChannel: {
        tnps::v1::Channel channel;
        if (!ParseChannel(value, &channel)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "channel \"", value, "\" is not one of phone, chat, email, branch, video, other"));
        }
        r.set_channel(channel);
        break;
      }
      case Column::kCustomerRef:
        r.set_customer_ref(value);
        break;
      case Column::kScore: {
        int score;
        if (absl::StripAsciiWhitespace(value).empty()) break;  // absent: the server says so
        if (!absl::SimpleAtoi(value, &score)) {
          return absl::InvalidArgumentError(absl::StrCat("score \"", value, "\" is not a number"));
        }
        r.set_score(score);
        break;
      }
      case Column::kComment:
        r.set_comment(value);
        break;
      case Column::kInteractionTime:
      case Column::kResponseTime: {
        if (absl::StripAsciiWhitespace(value).empty()) break;
        auto* ts = columns_[i] == Column::kInteractionTime ? r.mutable_interaction_time()
                                                           : r.mutable_response_time();
        if (!ParseTimestamp(value, ts)) {
          return absl::InvalidArgumentError(absl::StrCat(
              names_[i], " \"", value, "\" is not an RFC 3339 time such as 2026-03-01T09:30:00Z"));
        }
        break;
      }
      case Column::kAttribute:
        if (!value.empty()) {
          (*r.mutable_attributes())[names_[i].substr(kAttributePrefix.size())] = value;
        }
        break;
    }
  }
  return r;
}

}  // namespace tnps::tools
