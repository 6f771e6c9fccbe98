// The documented limits of what the read services share (docs/api.md,
// "NpsFilter"): an analytics filter, which TrainingService reads too, and
// rolling windows.
#ifndef TNPS_SERVICES_COMMON_API_LIMITS_H_
#define TNPS_SERVICES_COMMON_API_LIMITS_H_

#include <cstdint>

namespace tnps::services {

// Days in one query's date range (five years).
inline constexpr int64_t kMaxRangeDays = 1830;
// Values an attribute condition of a filter may list.
inline constexpr int kMaxAttributeConditionValues = 100;
// Ids in one filter list (agent_ids, team_ids).
inline constexpr int kMaxFilterIds = 1000;
// GetNpsTrend's rolling_window_days.
inline constexpr int kMaxRollingWindowDays = 366;

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_API_LIMITS_H_
