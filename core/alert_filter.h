// Which responses an alert subscription or a WatchResponses call wants.
// The outbox applies the same rule in SQL (storage/alert_store.cc,
// RaiseAlertEventsCte); WatchResponses applies it here.
#ifndef TNPS_CORE_ALERT_FILTER_H_
#define TNPS_CORE_ALERT_FILTER_H_

#include <string>
#include <utility>
#include <vector>

#include "core/survey_response.h"

namespace tnps::core {

// Empty lists mean "any".
struct AlertFilter {
  // Both included.
  int min_score = 0;
  int max_score = 10;
  std::vector<std::string> agent_ids = {};
  std::vector<std::string> team_ids = {};
  std::vector<int> channels = {};
  // Key, and the values one of which the response's attribute must have;
  // every key listed must match. Keys sorted.
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes = {};
};

bool Matches(const AlertFilter& filter, const SurveyResponse& response);

}  // namespace tnps::core

#endif  // TNPS_CORE_ALERT_FILTER_H_
