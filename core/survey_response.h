// The domain form of one survey response, independent of the wire format.
#ifndef TNPS_CORE_SURVEY_RESPONSE_H_
#define TNPS_CORE_SURVEY_RESPONSE_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace tnps::core {

// Values match tnps.v1.Channel on the wire and the `channel` column.
enum class Channel : int {
  kUnspecified = 0,
  kPhone = 1,
  kChat = 2,
  kEmail = 3,
  kBranch = 4,
  kVideo = 5,
  kOther = 6,
};
inline constexpr int kMaxChannelValue = 6;

struct SurveyResponse {
  std::string external_id;
  std::string interaction_id;
  std::string agent_id;
  std::string team_id;
  // The raw wire value, so that an unknown value can be reported rather than lost.
  int channel = 0;
  std::string customer_ref;
  // Absent is an error; 0 is a valid score.
  std::optional<int> score;
  std::string comment;
  std::optional<absl::Time> interaction_time;
  std::optional<absl::Time> response_time;
  // Sorted by key, keys unique.
  std::vector<std::pair<std::string, std::string>> attributes;

  friend bool operator==(const SurveyResponse&, const SurveyResponse&) = default;
};

}  // namespace tnps::core

#endif  // TNPS_CORE_SURVEY_RESPONSE_H_
