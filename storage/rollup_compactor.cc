#include "storage/rollup_compactor.h"

#include <algorithm>
#include <initializer_list>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "logging/log.h"
#include "storage/response_counting.h"

namespace tnps::storage {
namespace {

// kCompactionLock (rollup_compactor.h) serializes compaction rounds across
// servers, so that a round computed from an older snapshot never overwrites
// a newer one.

constexpr char kLock[] = "rollup_compaction_lock";
constexpr char kCompact[] = "rollup_compact";
constexpr char kOldestPending[] = "rollup_oldest_pending";

// A CTE `name` that adds the counts of CTE `source` (columns promoters,
// passives, detractors) to `table`, grouped by `keys`: each the table's
// column and the expression over `source` that fills it. Rows are grouped
// by the table's key and sorted, so that no statement touches a cell twice
// and concurrent ones lock cells in the same order.
struct KeyColumn {
  const char* column;
  const char* expression;
};

std::string AddCountsCte(const char* name, const char* table, const char* source,
                         std::initializer_list<KeyColumn> keys) {
  std::vector<std::string> columns, expressions, positions;
  for (const KeyColumn& k : keys) {
    columns.push_back(k.column);
    expressions.push_back(k.expression);
    positions.push_back(absl::StrCat(positions.size() + 1));
  }
  const std::string key = absl::StrJoin(columns, ", ");
  const std::string by = absl::StrJoin(positions, ", ");
  return absl::StrCat(",\n", name, " AS (\n  INSERT INTO ", table, " AS r (", key,
                      ", promoters, passives, detractors)\n  SELECT ",
                      absl::StrJoin(expressions, ", "),
                      ", sum(promoters), sum(passives), sum(detractors)\n  FROM ", source,
                      "\n  GROUP BY ", by, "\n  ORDER BY ", by, "\n  ON CONFLICT (", key,
                      ") DO UPDATE\n  SET promoters = r.promoters + excluded.promoters, passives "
                      "= r.passives + excluded.passives,\n      detractors = r.detractors + "
                      "excluded.detractors\n)");
}

constexpr KeyColumn kTenant{"tenant_id", "tenant_id"};
constexpr KeyColumn kDay{"local_day", "local_day"};
constexpr KeyColumn kAgent{"agent_id", "agent_id"};
constexpr KeyColumn kTeam{"team_id", "team_id"};
constexpr KeyColumn kChannel{"channel", "channel"};
constexpr KeyColumn kKey{"attr_key", "attr_key"};
constexpr KeyColumn kValue{"attr_value", "attr_value"};
constexpr KeyColumn kWeek{"week_start", "date_trunc('week', local_day::timestamp)::date"};
constexpr KeyColumn kMonth{"month_start", "date_trunc('month', local_day::timestamp)::date"};

// One statement, so that the change rows it deletes are exactly those whose
// counts it adds: every change row is added once, by the round that deletes
// it. Rows are taken oldest first, and a round's cost follows the rows it
// takes, not the days they fall on.
const std::string kCompactSql = absl::StrCat(
    R"sql(
WITH taken AS (
  DELETE FROM rollup_changes
  WHERE change_id IN (SELECT change_id FROM rollup_changes ORDER BY change_id LIMIT $1)
  RETURNING tenant_id, local_day, agent_id, team_id, channel, promoters, passives, detractors
))sql",
    AddCountsCte("daily", "daily_rollups", "taken", {kTenant, kDay, kAgent, kTeam, kChannel}),
    AddCountsCte("agent_days", "rollup_agent_days", "taken", {kTenant, kDay, kAgent, kTeam}),
    AddCountsCte("agent_weeks", "rollup_agent_weeks", "taken", {kTenant, kWeek, kAgent, kTeam}),
    AddCountsCte("team_days", "rollup_team_days", "taken", {kTenant, kDay, kTeam, kChannel}),
    AddCountsCte("team_weeks", "rollup_team_weeks", "taken", {kTenant, kWeek, kTeam, kChannel}),
    AddCountsCte("team_months", "rollup_team_months", "taken", {kTenant, kMonth, kTeam, kChannel}),
    AddCountsCte("tenant_days", "rollup_tenant_days", "taken", {kTenant, kDay, kChannel}),
    "\nSELECT count(*) FROM taken");

// The three attribute rollups (migrations/0020), filled from `source`.
std::string AddAttributeCountsCtes(const char* source) {
  return absl::StrCat(
      AddCountsCte("finest", "attribute_rollups", source,
                   {kTenant, kKey, kAgent, kDay, kValue, kTeam, kChannel}),
      AddCountsCte("team_days", "attribute_team_days", source,
                   {kTenant, kKey, kTeam, kDay, kValue, kChannel}),
      AddCountsCte("days", "attribute_days", source, {kTenant, kKey, kDay, kValue, kChannel}));
}

// The same for the attribute change rows.
constexpr char kCompactAttributes[] = "attribute_compact";
const std::string kCompactAttributesSql = absl::StrCat(
    R"sql(
WITH taken AS (
  DELETE FROM attribute_changes
  WHERE change_id IN (SELECT change_id FROM attribute_changes ORDER BY change_id LIMIT $1)
  RETURNING tenant_id, attr_key, local_day, attr_value, agent_id, team_id, channel,
            promoters, passives, detractors
))sql",
    AddAttributeCountsCtes("taken"), "\nSELECT count(*) FROM taken");

// The dimension whose back-fill has waited longest.
constexpr char kBackfillNext[] = "attribute_backfill_next";
constexpr char kBackfillNextSql[] =
    "SELECT tenant_id, attr_key FROM attribute_dimensions WHERE backfilled_below < counted_from "
    "ORDER BY declared_at, tenant_id, attr_key LIMIT 1";
// Under the tenant's attribute lock: where the back-fill stands now.
constexpr char kBackfillState[] = "attribute_backfill_state";
constexpr char kBackfillStateSql[] =
    "SELECT backfilled_below, counted_from FROM attribute_dimensions "
    "WHERE tenant_id = $1 AND attr_key = $2 AND backfilled_below < counted_from";
// The next `$5` responses written before the declaration, from $3 up to $4
// (exclusive): the counts of those counted that have the key, added to the
// attribute rollups themselves (a batch of older responses would otherwise
// leave as many change rows as responses for later rounds), and the
// dimension moved past them. Runs under the compaction lock, so the three
// tables get the counts together between rounds. Returns the responses
// read and counted.
constexpr char kBackfillBatch[] = "attribute_backfill_batch";
const std::string kBackfillBatchSql = absl::StrCat(R"sql(
WITH batch AS (
  SELECT response_id, local_day, agent_id, team_id, channel, score, attributes, excluded
  FROM responses
  WHERE tenant_id = $1 AND response_id >= $3 AND response_id < $4
  ORDER BY response_id
  LIMIT $5
),
counted AS (
  SELECT b.local_day, b.agent_id, b.team_id, b.channel, b.attributes ->> $2 AS attr_value,
         b.score
  FROM batch b
  WHERE NOT b.excluded AND jsonb_typeof(b.attributes -> $2) = 'string'
    AND NOT EXISTS (SELECT 1 FROM excluded_agents e
                    WHERE e.tenant_id = $1 AND e.agent_id = b.agent_id)
),
cells AS (
  SELECT $1::bigint AS tenant_id, $2::text AS attr_key, agent_id, local_day, attr_value,
         team_id, channel,
         count(*) FILTER (WHERE score >= 9) AS promoters,
         count(*) FILTER (WHERE score BETWEEN 7 AND 8) AS passives,
         count(*) FILTER (WHERE score <= 6) AS detractors
  FROM counted
  GROUP BY agent_id, local_day, attr_value, team_id, channel
))sql",
                                                   AddAttributeCountsCtes("cells"), R"sql(,
moved AS (
  UPDATE attribute_dimensions
  SET backfilled_below = CASE WHEN (SELECT count(*) FROM batch) < $5 THEN $4
                              ELSE (SELECT max(response_id) + 1 FROM batch) END,
      backfilled_responses = backfilled_responses + (SELECT count(*) FROM counted),
      backfill_done_at = CASE WHEN (SELECT count(*) FROM batch) < $5 THEN now() END
  WHERE tenant_id = $1 AND attr_key = $2
)
SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM counted))sql");

}  // namespace

RollupCompactor::RollupCompactor(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kLock, "SELECT pg_advisory_xact_lock($1)");
  pool_.Prepare(kCompact, kCompactSql);
  pool_.Prepare(kCompactAttributes, kCompactAttributesSql);
  // By the primary keys' order, which is the order rows were written in.
  pool_.Prepare(kOldestPending,
                "SELECT extract(epoch FROM clock_timestamp() - least("
                "(SELECT changed_at FROM rollup_changes ORDER BY change_id LIMIT 1), "
                "(SELECT changed_at FROM attribute_changes ORDER BY change_id LIMIT 1)))::float8");
  pool_.Prepare(kBackfillNext, kBackfillNextSql);
  pool_.Prepare(kBackfillState, kBackfillStateSql);
  pool_.Prepare(kBackfillBatch, kBackfillBatchSql);
}

RollupCompactor::~RollupCompactor() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int64_t> RollupCompactor::CompactOnce(int64_t max_changes) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    // The lock comes first, so that the compaction statement's snapshot is
    // taken after the previous round committed.
    txn.exec_prepared(kLock, kCompactionLock);
    const int64_t taken = txn.exec_prepared1(kCompact, max_changes)[0].as<int64_t>() +
                          txn.exec_prepared1(kCompactAttributes, max_changes)[0].as<int64_t>();
    txn.commit();
    return taken;
  });
}

CompactionRound RollupCompactor::CompactRound(int64_t max_changes) {
  const absl::Time start = absl::Now();
  absl::StatusOr<CompactionRound> round = pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    txn.exec_prepared(kLock, kCompactionLock);
    CompactionRound done;
    done.taken = txn.exec_prepared1(kCompact, max_changes)[0].as<int64_t>() +
                 txn.exec_prepared1(kCompactAttributes, max_changes)[0].as<int64_t>();
    pqxx::result oldest = txn.exec_prepared(kOldestPending);
    if (!oldest.empty() && !oldest[0][0].is_null()) {
      done.oldest_pending_age = absl::Seconds(std::max(0.0, oldest[0][0].as<double>()));
    }
    txn.commit();
    return done;
  });
  CompactionRound result = round.ok() ? *round : CompactionRound{.status = round.status()};
  result.duration = absl::Now() - start;
  return result;
}

absl::StatusOr<BackfillBatch> RollupCompactor::BackfillOnce(int64_t max_responses) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<BackfillBatch> {
    pqxx::work txn(conn);
    const pqxx::result next = txn.exec_prepared(kBackfillNext);
    if (next.empty()) return BackfillBatch{};
    BackfillBatch batch;
    batch.tenant_id = next[0][0].as<int64_t>();
    batch.key = next[0][1].as<std::string>();
    // Between compaction rounds, as a round itself. Then exclusive: no
    // statement that moves counts decides whether a response is covered
    // while this batch covers it. Then the state as it is now.
    txn.exec_prepared(kLock, kCompactionLock);
    LockAttributes(txn, batch.tenant_id, /*exclusive=*/true);
    const pqxx::result state = txn.exec_prepared(kBackfillState, batch.tenant_id, batch.key);
    if (state.empty()) return batch;  // finished or removed meanwhile
    const pqxx::row done =
        txn.exec_prepared1(kBackfillBatch, batch.tenant_id, batch.key, state[0][0].as<int64_t>(),
                           state[0][1].as<int64_t>(), max_responses);
    batch.read = done[0].as<int64_t>();
    batch.counted = done[1].as<int64_t>();
    batch.finished = batch.read < max_responses;
    txn.commit();
    return batch;
  });
}

absl::StatusOr<int64_t> RollupCompactor::CompactAll(int64_t max_changes_per_round) {
  int64_t total = 0;
  while (true) {
    absl::StatusOr<int64_t> taken = CompactOnce(max_changes_per_round);
    if (!taken.ok()) return taken.status();
    total += *taken;
    if (*taken < max_changes_per_round) return total;
  }
}

void RollupCompactor::Start(CompactorSchedule schedule) {
  thread_ = std::thread([this, schedule] {
    bool failing = false;
    while (!stop_.HasBeenNotified()) {
      const CompactionRound round = CompactRound(schedule.max_changes_per_round);
      if (schedule.on_round) schedule.on_round(round);
      if (!round.status.ok() && !failing) {
        logging::Log(logging::LogLevel::kError, "rollup compaction failed; retrying",
                     {{"error", round.status.message()}});
      }
      failing = !round.status.ok();
      // A back-fill batch of a newly declared attribute key, if any.
      absl::Duration busy = round.duration;
      bool backfilling = false;
      if (round.status.ok()) {
        const absl::Time start = absl::Now();
        absl::StatusOr<BackfillBatch> batch = BackfillOnce(schedule.max_backfill_responses);
        busy += absl::Now() - start;
        if (!batch.ok()) {
          logging::Log(logging::LogLevel::kError, "attribute back-fill failed; retrying",
                       {{"error", batch.status().message()}});
        } else if (!batch->key.empty()) {
          backfilling = true;
          if (batch->finished) {
            logging::Log(logging::LogLevel::kInfo, "attribute back-fill done",
                         {{"tenant_id", batch->tenant_id}, {"attr_key", batch->key}});
          }
        }
      }
      if (round.status.ok() && (round.taken >= schedule.max_changes_per_round || backfilling)) {
        // A backlog: the next round after a pause that keeps compaction to
        // its share of the time, so that ingest keeps the rest.
        stop_.WaitForNotificationWithTimeout(busy * (1 / schedule.busy_share - 1));
        continue;
      }
      stop_.WaitForNotificationWithTimeout(schedule.idle_period);
    }
  });
}

}  // namespace tnps::storage
