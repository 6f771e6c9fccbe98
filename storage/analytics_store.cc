#include "storage/analytics_store.h"

#include <utility>

namespace tnps::storage {

AnalyticsStore::AnalyticsStore(ConnectionPool& pool) : pool_(pool) {}

absl::StatusOr<core::NpsCounts> AnalyticsStore::Totals(const RollupFilter& filter) {
  absl::StatusOr<std::vector<RollupRow>> rows =
      ReadRollups(pool_, filter, RollupBy::kNothing, RollupTime::kTotal);
  if (!rows.ok()) return rows.status();
  return rows->empty() ? core::NpsCounts{} : rows->front().counts;
}

absl::StatusOr<core::NpsCounts> AnalyticsStore::OverlapTotals(const RollupFilter& a,
                                                              const RollupFilter& b) {
  const std::optional<RollupFilter> both = IntersectFilters(a, b);
  if (!both) return core::NpsCounts{};
  return Totals(*both);
}

absl::StatusOr<std::vector<core::DayCounts>> AnalyticsStore::DailyTotals(
    const RollupFilter& filter) {
  absl::StatusOr<std::vector<RollupRow>> rows =
      ReadRollups(pool_, filter, RollupBy::kNothing, RollupTime::kDay);
  if (!rows.ok()) return rows.status();
  std::vector<core::DayCounts> days;
  days.reserve(rows->size());
  for (const RollupRow& row : *rows) days.push_back({row.bucket, row.counts});
  return days;
}

absl::StatusOr<std::vector<GroupCounts>> AnalyticsStore::GroupTotals(
    const RollupFilter& filter, RollupGroup group, const std::string& attribute_key) {
  const RollupBy by = group == RollupGroup::kAgentAndTeam ? RollupBy::kAgentAndTeam
                      : group == RollupGroup::kTeam       ? RollupBy::kTeam
                      : group == RollupGroup::kChannel    ? RollupBy::kChannel
                                                          : RollupBy::kAttribute;
  absl::StatusOr<std::vector<RollupRow>> rows =
      ReadRollups(pool_, filter, by, RollupTime::kTotal, attribute_key);
  if (!rows.ok()) return rows.status();
  std::vector<GroupCounts> groups;
  groups.reserve(rows->size());
  for (RollupRow& row : *rows) {
    groups.push_back({std::move(row.key), std::move(row.team_id), row.counts});
  }
  return groups;
}

}  // namespace tnps::storage
