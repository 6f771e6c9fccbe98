#include "storage/rollup_compactor.h"

#include <cstdio>
#include <pqxx/pqxx>
#include <string>

namespace tnps::storage {
namespace {

// Serializes compaction rounds across servers, so that a round computed from
// an older snapshot never overwrites a newer one. ("tnps" in ASCII.)
constexpr int64_t kCompactionLock = 0x746e7073;

constexpr char kLock[] = "rollup_compaction_lock";
constexpr char kCompact[] = "rollup_compact";

// One statement, so that the change rows it deletes and the cells it
// recomputes come from one snapshot: every response counted by a deleted
// change row is in the recomputed cells. Cells are recomputed whole (not
// incremented), so a round that takes two change rows of one day, or a day
// that already was compacted, is harmless. A round takes whole (tenant,
// week)s, oldest change first: its cost follows the days it recomputes,
// not the change rows, so a backlog of a large tenant's history is worked
// off in rounds that each finish well within the statement timeout.
constexpr char kCompactSql[] = R"sql(
WITH picked AS (
  SELECT tenant_id, date_trunc('week', local_day::timestamp)::date AS week_start
  FROM rollup_changes
  GROUP BY 1, 2
  ORDER BY min(change_id)
  LIMIT $1
),
taken AS (
  DELETE FROM rollup_changes c USING picked p
  WHERE c.tenant_id = p.tenant_id AND c.local_day BETWEEN p.week_start AND p.week_start + 6
  RETURNING c.tenant_id, c.local_day
),
days AS (SELECT DISTINCT tenant_id, local_day FROM taken),
weeks AS (SELECT DISTINCT tenant_id, date_trunc('week', local_day::timestamp)::date AS week_start FROM days),
agent_days AS (
  INSERT INTO rollup_agent_days AS r (tenant_id, local_day, agent_id, team_id,
                                      promoters, passives, detractors)
  SELECT d.tenant_id, d.local_day, d.agent_id, d.team_id,
         sum(d.promoters), sum(d.passives), sum(d.detractors)
  FROM daily_rollups d JOIN days USING (tenant_id, local_day)
  GROUP BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, local_day, agent_id, team_id) DO UPDATE
  SET promoters = excluded.promoters, passives = excluded.passives,
      detractors = excluded.detractors
),
agent_weeks AS (
  INSERT INTO rollup_agent_weeks AS r (tenant_id, week_start, agent_id, team_id,
                                       promoters, passives, detractors)
  SELECT d.tenant_id, w.week_start, d.agent_id, d.team_id,
         sum(d.promoters), sum(d.passives), sum(d.detractors)
  FROM weeks w JOIN daily_rollups d
    ON d.tenant_id = w.tenant_id AND d.local_day BETWEEN w.week_start AND w.week_start + 6
  GROUP BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, week_start, agent_id, team_id) DO UPDATE
  SET promoters = excluded.promoters, passives = excluded.passives,
      detractors = excluded.detractors
),
team_days AS (
  INSERT INTO rollup_team_days AS r (tenant_id, local_day, team_id, channel,
                                     promoters, passives, detractors)
  SELECT d.tenant_id, d.local_day, d.team_id, d.channel,
         sum(d.promoters), sum(d.passives), sum(d.detractors)
  FROM daily_rollups d JOIN days USING (tenant_id, local_day)
  GROUP BY 1, 2, 3, 4
  ON CONFLICT (tenant_id, local_day, team_id, channel) DO UPDATE
  SET promoters = excluded.promoters, passives = excluded.passives,
      detractors = excluded.detractors
),
tenant_days AS (
  INSERT INTO rollup_tenant_days AS r (tenant_id, local_day, channel,
                                       promoters, passives, detractors)
  SELECT d.tenant_id, d.local_day, d.channel,
         sum(d.promoters), sum(d.passives), sum(d.detractors)
  FROM daily_rollups d JOIN days USING (tenant_id, local_day)
  GROUP BY 1, 2, 3
  ON CONFLICT (tenant_id, local_day, channel) DO UPDATE
  SET promoters = excluded.promoters, passives = excluded.passives,
      detractors = excluded.detractors
)
SELECT count(DISTINCT (tenant_id, date_trunc('week', local_day::timestamp))) FROM taken)sql";

}  // namespace

RollupCompactor::RollupCompactor(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kLock, "SELECT pg_advisory_xact_lock($1)");
  pool_.Prepare(kCompact, kCompactSql);
}

RollupCompactor::~RollupCompactor() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<int64_t> RollupCompactor::CompactOnce(int64_t max_weeks) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    // The lock comes first, so that the compaction statement's snapshot is
    // taken after the previous round committed.
    txn.exec_prepared(kLock, kCompactionLock);
    const int64_t taken = txn.exec_prepared1(kCompact, max_weeks)[0].as<int64_t>();
    txn.commit();
    return taken;
  });
}

absl::StatusOr<int64_t> RollupCompactor::CompactAll(int64_t max_weeks_per_round) {
  int64_t total = 0;
  while (true) {
    absl::StatusOr<int64_t> taken = CompactOnce(max_weeks_per_round);
    if (!taken.ok()) return taken.status();
    total += *taken;
    if (*taken < max_weeks_per_round) return total;
  }
}

void RollupCompactor::Start(absl::Duration idle_period, int64_t max_weeks_per_round) {
  thread_ = std::thread([this, idle_period, max_weeks_per_round] {
    bool failing = false;
    while (!stop_.HasBeenNotified()) {
      absl::StatusOr<int64_t> taken = CompactOnce(max_weeks_per_round);
      if (!taken.ok() && !failing) {
        std::fprintf(stderr, "rollup compaction failed (will retry): %s\n",
                     std::string(taken.status().message()).c_str());
      }
      failing = !taken.ok();
      if (taken.ok() && *taken >= max_weeks_per_round) continue;
      stop_.WaitForNotificationWithTimeout(idle_period);
    }
  });
}

}  // namespace tnps::storage
