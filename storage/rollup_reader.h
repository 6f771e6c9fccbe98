// Reads NPS counts of one tenant from the rollups, from the coarsest table
// that can answer: per tenant and day, team and day, agent and week, agent
// and day, or daily_rollups (migrations/0005_coarse_rollups.up.sql). Every
// table holds the change rows the compactor has added so far
// (storage/rollup_compactor.h); the pending ones of the range are added
// from rollup_changes in the same snapshot, so every answer counts exactly
// the responses committed before it began.
#ifndef TNPS_STORAGE_ROLLUP_READER_H_
#define TNPS_STORAGE_ROLLUP_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "core/nps_statistics.h"
#include "core/time_buckets.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

// Responses whose attribute `key` (a declared dimension) has one of
// `values`.
struct AttributeCondition {
  std::string key;
  std::vector<std::string> values;
  bool operator==(const AttributeCondition&) const = default;
};

// Responses of one tenant whose local day is in `days`; an empty list
// means no restriction on that dimension.
struct RollupFilter {
  int64_t tenant_id = 0;
  core::DayRange days;
  // Default initializers, so that designated initializers that leave these
  // out do not trip -Wmissing-field-initializers.
  std::vector<std::string> agent_ids = {};
  std::vector<std::string> team_ids = {};
  std::vector<int> channels = {};
  // Agents enrolled in every one of these training cohorts.
  std::vector<int64_t> cohort_ids = {};
  // Read from the attribute rollups, which hold one key at a time: at most
  // one condition, on the key a breakdown by attribute groups by, if any.
  std::optional<AttributeCondition> attribute = std::nullopt;
};

// The responses matching both filters (of one tenant), or nullopt if no
// response can match both. Attribute conditions on two different keys
// cannot be intersected from the rollups: callers refuse them first.
std::optional<RollupFilter> IntersectFilters(const RollupFilter& a, const RollupFilter& b);

// What the counts are grouped by, besides time.
enum class RollupBy { kNothing, kAgentAndTeam, kAgent, kTeam, kChannel, kAttribute };
// Time buckets (weeks start on Monday), or one total over the range.
enum class RollupTime { kTotal, kDay, kWeek, kMonth };

struct RollupRow {
  // Agent id, team id, the channel number as text or the attribute's
  // value; empty for kNothing.
  std::string key;
  // The team, for kAgentAndTeam.
  std::string team_id;
  // The bucket's first day; `days.first` of the filter for kTotal.
  absl::CivilDay bucket;
  core::NpsCounts counts;
};

// Which days of a range come from which table.
struct RollupReadPlan {
  // Whole weeks from the per-week table: ranges of week starts (Mondays).
  std::vector<core::DayRange> weeks;
  // Days from the per-day table.
  std::vector<core::DayRange> days;
};

// Splits `range`: with `use_weeks`, every Monday-to-Sunday week inside it is
// read from the per-week table, the days around them per day.
RollupReadPlan PlanRollupRead(const core::DayRange& range, bool use_weeks);

// Rows with responses only; NotFound if a cohort of the filter does not
// exist in its tenant; FailedPrecondition naming the key if an attribute
// key of the query is not a declared dimension or is still being
// back-filled. Ordered by bucket, then key and team, except per agent and
// time bucket (kAgent or kAgentAndTeam with kDay, kWeek or kMonth), where
// there can be hundreds of thousands and order is left to the caller.
// `attribute_key` is the key kAttribute groups by.
absl::StatusOr<std::vector<RollupRow>> ReadRollups(ConnectionPool& pool, const RollupFilter& filter,
                                                   RollupBy by, RollupTime time,
                                                   const std::string& attribute_key = "");

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_ROLLUP_READER_H_
