#include "storage/rollup_compactor.h"

#include <algorithm>
#include <pqxx/pqxx>
#include <string>

#include "logging/log.h"

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

}  // namespace

RollupCompactor::RollupCompactor(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kLock, "SELECT pg_advisory_xact_lock($1)");
  pool_.Prepare(kCompact, kCompactSql);
  // By the primary key's order, which is the order rows were written in.
  pool_.Prepare(kOldestPending,
                "SELECT extract(epoch FROM clock_timestamp() - changed_at)::float8 "
                "FROM rollup_changes ORDER BY change_id LIMIT 1");
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
    const int64_t taken = txn.exec_prepared1(kCompact, max_changes)[0].as<int64_t>();
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
    done.taken = txn.exec_prepared1(kCompact, max_changes)[0].as<int64_t>();
    pqxx::result oldest = txn.exec_prepared(kOldestPending);
    if (!oldest.empty()) {
      done.oldest_pending_age = absl::Seconds(std::max(0.0, oldest[0][0].as<double>()));
    }
    txn.commit();
    return done;
  });
  CompactionRound result = round.ok() ? *round : CompactionRound{.status = round.status()};
  result.duration = absl::Now() - start;
  return result;
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
      if (round.status.ok() && round.taken >= schedule.max_changes_per_round) {
        // A backlog: the next round after a pause that keeps compaction to
        // its share of the time, so that ingest keeps the rest.
        stop_.WaitForNotificationWithTimeout(round.duration * (1 / schedule.busy_share - 1));
        continue;
      }
      stop_.WaitForNotificationWithTimeout(schedule.idle_period);
    }
  });
}

}  // namespace tnps::storage
