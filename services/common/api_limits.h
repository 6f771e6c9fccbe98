// The documented limits of requests that more than one service accepts
// (docs/api.md, "NpsFilter"): what an analytics filter may ask for.
#ifndef TNPS_SERVICES_COMMON_API_LIMITS_H_
#define TNPS_SERVICES_COMMON_API_LIMITS_H_

#include <cstdint>

namespace tnps::services {

// Days in one query's date range (five years).
inline constexpr int64_t kMaxRangeDays = 1830;
// Ids in one filter list (agents, teams, cohorts).
inline constexpr int kMaxFilterIds = 1000;
inline constexpr int kMaxRollingWindowDays = 366;

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_API_LIMITS_H_
