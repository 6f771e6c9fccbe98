#include "core/alert_filter.h"

#include <algorithm>

namespace tnps::core {
namespace {

template <typename T>
bool AnyOrContains(const std::vector<T>& allowed, const T& value) {
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

}  // namespace

bool Matches(const AlertFilter& filter, const SurveyResponse& response) {
  if (!response.score || *response.score < filter.min_score || *response.score > filter.max_score) {
    return false;
  }
  if (!AnyOrContains(filter.agent_ids, response.agent_id) ||
      !AnyOrContains(filter.team_ids, response.team_id) ||
      !AnyOrContains(filter.channels, response.channel)) {
    return false;
  }
  for (const auto& [key, values] : filter.attributes) {
    auto found = std::find_if(response.attributes.begin(), response.attributes.end(),
                              [&key = key](const auto& a) { return a.first == key; });
    if (found == response.attributes.end() ||
        std::find(values.begin(), values.end(), found->second) == values.end()) {
      return false;
    }
  }
  return true;
}

}  // namespace tnps::core
