#include "storage/rollup_compactor.h"

#include <algorithm>
#include <pqxx/pqxx>
#include <string>

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

// One statement, so that the change rows it deletes are exactly those whose
// counts it adds: every change row is added once, by the round that deletes
// it. Rows are taken oldest first, and a round's cost follows the rows it
// takes, not the days they fall on. Each INSERT groups its rows by the
// target's key, so no statement touches a cell twice.
constexpr char kCompactSql[] = R"sql(
WITH taken AS (
  DELETE FROM rollup_changes
  WHERE change_id IN (SELECT change_id FROM rollup_changes ORDER BY change_id LIMIT $1)
  RETURNING tenant_id, local_day, agent_id, team_id, channel, promoters, passives, detractors
),
daily AS (
  INSERT INTO daily_rollups AS r (tenant_id, local_day, agent_id, team_id, channel,
                                  promoters, passives, detractors)
  SELECT tenant_id, local_day, agent_id, team_id, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM taken
  GROUP BY 1, 2, 3, 4, 5
  ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (tenant_id, local_day, agent_id, team_id, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
agent_days AS (
  INSERT INTO rollup_agent_days AS r (tenant_id, local_day, agent_id, team_id,
                                      promoters, passives, detractors)
  SELECT tenant_id, local_day, agent_id, team_id, sum(promoters), sum(passives), sum(detractors)
  FROM taken
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, local_day, agent_id, team_id) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
agent_weeks AS (
  INSERT INTO rollup_agent_weeks AS r (tenant_id, week_start, agent_id, team_id,
                                       promoters, passives, detractors)
  SELECT tenant_id, date_trunc('week', local_day::timestamp)::date, agent_id, team_id,
         sum(promoters), sum(passives), sum(detractors)
  FROM taken
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, week_start, agent_id, team_id) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
team_days AS (
  INSERT INTO rollup_team_days AS r (tenant_id, local_day, team_id, channel,
                                     promoters, passives, detractors)
  SELECT tenant_id, local_day, team_id, channel, sum(promoters), sum(passives), sum(detractors)
  FROM taken
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, local_day, team_id, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
team_weeks AS (
  INSERT INTO rollup_team_weeks AS r (tenant_id, week_start, team_id, channel,
                                      promoters, passives, detractors)
  SELECT tenant_id, date_trunc('week', local_day::timestamp)::date, team_id, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM taken
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, week_start, team_id, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
team_months AS (
  INSERT INTO rollup_team_months AS r (tenant_id, month_start, team_id, channel,
                                       promoters, passives, detractors)
  SELECT tenant_id, date_trunc('month', local_day::timestamp)::date, team_id, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM taken
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, month_start, team_id, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
tenant_days AS (
  INSERT INTO rollup_tenant_days AS r (tenant_id, local_day, channel,
                                       promoters, passives, detractors)
  SELECT tenant_id, local_day, channel, sum(promoters), sum(passives), sum(detractors)
  FROM taken
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT (tenant_id, local_day, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
)
SELECT count(*) FROM taken)sql";

// The same for the attribute change rows (migrations/0020).
constexpr char kCompactAttributes[] = "attribute_compact";
constexpr char kCompactAttributesSql[] = R"sql(
WITH taken AS (
  DELETE FROM attribute_changes
  WHERE change_id IN (SELECT change_id FROM attribute_changes ORDER BY change_id LIMIT $1)
  RETURNING tenant_id, attr_key, local_day, attr_value, agent_id, team_id, channel,
            promoters, passives, detractors
),
finest AS (
  INSERT INTO attribute_rollups AS r (tenant_id, attr_key, agent_id, local_day, attr_value,
                                      team_id, channel, promoters, passives, detractors)
  SELECT tenant_id, attr_key, agent_id, local_day, attr_value, team_id, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM taken
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  ORDER BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT (tenant_id, attr_key, agent_id, local_day, attr_value, team_id, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
team_days AS (
  INSERT INTO attribute_team_days AS r (tenant_id, attr_key, team_id, local_day, attr_value,
                                        channel, promoters, passives, detractors)
  SELECT tenant_id, attr_key, team_id, local_day, attr_value, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM taken
  GROUP BY 1, 2, 3, 4, 5, 6
  ORDER BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (tenant_id, attr_key, team_id, local_day, attr_value, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
days AS (
  INSERT INTO attribute_days AS r (tenant_id, attr_key, local_day, attr_value, channel,
                                   promoters, passives, detractors)
  SELECT tenant_id, attr_key, local_day, attr_value, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM taken
  GROUP BY 1, 2, 3, 4, 5
  ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (tenant_id, attr_key, local_day, attr_value, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
)
SELECT count(*) FROM taken)sql";

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
constexpr char kBackfillBatchSql[] = R"sql(
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
  SELECT agent_id, local_day, attr_value, team_id, channel,
         count(*) FILTER (WHERE score >= 9) AS promoters,
         count(*) FILTER (WHERE score BETWEEN 7 AND 8) AS passives,
         count(*) FILTER (WHERE score <= 6) AS detractors
  FROM counted
  GROUP BY 1, 2, 3, 4, 5
),
finest AS (
  INSERT INTO attribute_rollups AS r (tenant_id, attr_key, agent_id, local_day, attr_value,
                                      team_id, channel, promoters, passives, detractors)
  SELECT $1, $2, agent_id, local_day, attr_value, team_id, channel, promoters, passives,
         detractors
  FROM cells
  ORDER BY 3, 4, 5, 6, 7
  ON CONFLICT (tenant_id, attr_key, agent_id, local_day, attr_value, team_id, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
team_days AS (
  INSERT INTO attribute_team_days AS r (tenant_id, attr_key, team_id, local_day, attr_value,
                                        channel, promoters, passives, detractors)
  SELECT $1, $2, team_id, local_day, attr_value, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM cells
  GROUP BY 3, 4, 5, 6
  ORDER BY 3, 4, 5, 6
  ON CONFLICT (tenant_id, attr_key, team_id, local_day, attr_value, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
days AS (
  INSERT INTO attribute_days AS r (tenant_id, attr_key, local_day, attr_value, channel,
                                   promoters, passives, detractors)
  SELECT $1, $2, local_day, attr_value, channel, sum(promoters), sum(passives), sum(detractors)
  FROM cells
  GROUP BY 3, 4, 5
  ORDER BY 3, 4, 5
  ON CONFLICT (tenant_id, attr_key, local_day, attr_value, channel) DO UPDATE
  SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
      detractors = r.detractors + excluded.detractors
),
moved AS (
  UPDATE attribute_dimensions
  SET backfilled_below = CASE WHEN (SELECT count(*) FROM batch) < $5 THEN $4
                              ELSE (SELECT max(response_id) + 1 FROM batch) END,
      backfilled_responses = backfilled_responses + (SELECT count(*) FROM counted),
      backfill_done_at = CASE WHEN (SELECT count(*) FROM batch) < $5 THEN now() END
  WHERE tenant_id = $1 AND attr_key = $2
)
SELECT (SELECT count(*) FROM batch), (SELECT count(*) FROM counted))sql";

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
