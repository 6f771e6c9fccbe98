// The CSV format `tnpsctl import` reads (documented in docs/import.md): one
// header row naming the columns, then one survey response per record.
#ifndef TNPS_TOOLS_RESPONSE_CSV_H_
#define TNPS_TOOLS_RESPONSE_CSV_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tnps/v1/survey_response.pb.h"

namespace tnps::tools {

class ResponseCsvFormat {
 public:
  // INVALID_ARGUMENT for an unknown or repeated column, or a missing
  // required one (external_id, interaction_id, agent_id, team_id, channel,
  // score, interaction_time, response_time). Columns named `attr.KEY`
  // become attributes.
  static absl::StatusOr<ResponseCsvFormat> FromHeader(const std::vector<std::string>& header);

  // One record as a SurveyResponse; INVALID_ARGUMENT naming the column for a
  // value that cannot be read (the server validates the rest).
  absl::StatusOr<tnps::v1::SurveyResponse> Parse(const std::vector<std::string>& record) const;

 private:
  enum class Column {
    kExternalId,
    kInteractionId,
    kAgentId,
    kTeamId,
    kChannel,
    kCustomerRef,
    kScore,
    kComment,
    kInteractionTime,
    kResponseTime,
    kAttribute,
  };
  std::vector<Column> columns_;
  std::vector<std::string> names_;
};

}  // namespace tnps::tools

#endif  // TNPS_TOOLS_RESPONSE_CSV_H_
