// Reads NPS counts for analytics from the rollups (storage/rollup_reader.h),
// aggregated in PostgreSQL to as few rows as each question needs.
#ifndef TNPS_STORAGE_ANALYTICS_STORE_H_
#define TNPS_STORAGE_ANALYTICS_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "core/nps_statistics.h"
#include "core/time_buckets.h"
#include "storage/connection_pool.h"
#include "storage/rollup_reader.h"

namespace tnps::storage {

enum class RollupGroup { kAgentAndTeam, kTeam, kChannel, kAttribute };

struct GroupCounts {
  // Agent id, team id, the channel number as text, or the attribute value.
  std::string key;
  // For kAgentAndTeam: the team of these responses.
  std::string team_id;
  core::NpsCounts counts;
};

class AnalyticsStore {
 public:
  explicit AnalyticsStore(ConnectionPool& pool);

  absl::StatusOr<core::NpsCounts> Totals(const RollupFilter& filter);
  // Counts of responses matching both filters (same tenant).
  absl::StatusOr<core::NpsCounts> OverlapTotals(const RollupFilter& a, const RollupFilter& b);
  // One entry per day that has responses, in day order.
  absl::StatusOr<std::vector<core::DayCounts>> DailyTotals(const RollupFilter& filter);
  // One entry per group that has responses.
  // `attribute_key`: the key kAttribute groups by.
  absl::StatusOr<std::vector<GroupCounts>> GroupTotals(const RollupFilter& filter,
                                                       RollupGroup group,
                                                       const std::string& attribute_key = "");

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_ANALYTICS_STORE_H_
