#include "storage/response_counting.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace tnps::storage {

void LockCounting(pqxx::transaction_base& txn, int64_t tenant_id, bool exclusive) {
  txn.exec_params(
      absl::StrCat("SELECT ", exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared",
                   "(1953394803, mod($1::bigint, 2147483647)::integer)"),
      tenant_id);
}

void LockAttributes(pqxx::transaction_base& txn, int64_t tenant_id, bool exclusive) {
  txn.exec_params(
      absl::StrCat("SELECT ", exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared",
                   "(1953394785, mod($1::bigint, 2147483647)::integer)"),
      tenant_id);
}

std::string MoveAttributeCountsCtes(absl::string_view source, int sign) {
  // A response is covered for a key declared after it was written once
  // the back-fill has passed it. Only string values count (the API writes
  // no other; a number or null put there by hand would not be a value).
  return absl::StrReplaceAll(
      R"sql(,
$S_to_attributes AS (
  INSERT INTO attribute_changes (tenant_id, attr_key, attr_value, local_day, agent_id, team_id,
                                 channel, promoters, passives, detractors)
  SELECT s.tenant_id, d.attr_key, s.attributes ->> d.attr_key, s.local_day, s.agent_id,
         s.team_id, s.channel,
         $N * count(*) FILTER (WHERE s.score >= 9),
         $N * count(*) FILTER (WHERE s.score BETWEEN 7 AND 8),
         $N * count(*) FILTER (WHERE s.score <= 6)
  FROM $S s
  JOIN attribute_dimensions d
    ON d.tenant_id = s.tenant_id AND jsonb_typeof(s.attributes -> d.attr_key) = 'string'
   AND (s.response_id >= d.counted_from OR s.response_id < d.backfilled_below)
  WHERE NOT s.agent_excluded
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  ORDER BY 1, 2, 3, 4, 5, 6, 7
))sql",
      {{"$S", source}, {"$N", sign < 0 ? "-1" : "1"}});
}

std::string MoveCountsCtes(absl::string_view source, int sign) {
  // The category thresholds are those of core/nps_category.h. Rows are
  // grouped by the target's key and sorted, so that no statement touches a
  // cell twice and concurrent ones lock cells in the same order.
  return absl::StrReplaceAll(
             R"sql(,
$S_routed AS (
  SELECT s.tenant_id, s.response_id, s.local_day, s.agent_id, s.team_id, s.channel, s.score,
         s.attributes,
         EXISTS (SELECT 1 FROM excluded_agents e
                 WHERE e.tenant_id = s.tenant_id AND e.agent_id = s.agent_id) AS agent_excluded
  FROM $S s
),
$S_to_rollups AS (
  INSERT INTO rollup_changes (tenant_id, local_day, agent_id, team_id, channel,
                              promoters, passives, detractors)
  SELECT tenant_id, local_day, agent_id, team_id, channel,
         $N * count(*) FILTER (WHERE score >= 9),
         $N * count(*) FILTER (WHERE score BETWEEN 7 AND 8),
         $N * count(*) FILTER (WHERE score <= 6)
  FROM $S_routed WHERE NOT agent_excluded
  GROUP BY tenant_id, local_day, agent_id, team_id, channel
  ORDER BY tenant_id, local_day, agent_id, team_id, channel
),
$S_to_excluded AS (
  INSERT INTO excluded_agent_counts AS c (tenant_id, agent_id, local_day, team_id, channel,
                                          promoters, passives, detractors)
  SELECT tenant_id, agent_id, local_day, team_id, channel,
         $N * count(*) FILTER (WHERE score >= 9),
         $N * count(*) FILTER (WHERE score BETWEEN 7 AND 8),
         $N * count(*) FILTER (WHERE score <= 6)
  FROM $S_routed WHERE agent_excluded
  GROUP BY tenant_id, agent_id, local_day, team_id, channel
  ORDER BY tenant_id, agent_id, local_day, team_id, channel
  ON CONFLICT (tenant_id, agent_id, local_day, team_id, channel) DO UPDATE
  SET promoters = c.promoters + excluded.promoters, passives = c.passives + excluded.passives,
      detractors = c.detractors + excluded.detractors
))sql",
             {{"$S", source}, {"$N", sign < 0 ? "-1" : "1"}}) +
         MoveAttributeCountsCtes(absl::StrCat(source, "_routed"), sign);
}

std::string RemovedResponsesCtes(absl::string_view reason) {
  return absl::StrCat(",\ngone_counted AS (SELECT * FROM gone WHERE NOT excluded)",
                      MoveCountsCtes("gone_counted", -1), R"sql(,
gone_recorded AS (
  INSERT INTO response_tombstones (tenant_id, response_id, reason)
  SELECT tenant_id, response_id, ')sql",
                      reason, R"sql(' FROM gone
))sql");
}

}  // namespace tnps::storage
