#include "storage/retention.h"

#include <cstdio>
#include <pqxx/pqxx>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "core/text_rules.h"
#include "logging/log.h"
#include "storage/audit_log.h"
#include "storage/pg_text.h"
#include "storage/response_counting.h"

namespace tnps::storage {
namespace {

std::optional<absl::Time> OptionalMicros(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return absl::FromUnixMicros(f.as<int64_t>());
}

// The responses a batch takes: those of `range` (a condition on responses
// with $1 the tenant) in `order`, at most $2, skipping rows another
// transaction holds (that transaction changes them, so a later round sees
// them again).
std::string BatchCte(absl::string_view range, absl::string_view extra, absl::string_view order) {
  return absl::StrCat(R"sql(
WITH batch AS (
  SELECT response_id, local_day, agent_id, team_id, channel, score, attributes, excluded
  FROM responses
  WHERE tenant_id = $1 AND )sql",
                      range, extra, " ORDER BY ", order, R"sql(
  LIMIT $2 FOR UPDATE SKIP LOCKED
))sql");
}

// Deletes a batch as an erasure does: rollups corrected, removals recorded.
// Returns the rows deleted and the latest interaction time among them.
std::string DeleteSql(absl::string_view range, absl::string_view order) {
  return absl::StrCat(
      BatchCte(absl::StrReplaceAll(range, {{"{FROM}", "$3"}, {"{TO}", "$4"}}), "", order), R"sql(,
gone AS (
  DELETE FROM responses r USING batch b
  WHERE r.tenant_id = $1 AND r.response_id = b.response_id
  RETURNING r.tenant_id, r.response_id, r.local_day, r.agent_id, r.team_id, r.channel,
            r.score, r.attributes, r.excluded, r.interaction_time
))sql",
      RemovedResponsesCtes("retention"), R"sql(
SELECT count(*), (extract(epoch FROM max(interaction_time)) * 1000000)::bigint FROM gone)sql");
}

// Drops the comment and customer_ref (and the attributes when $3) of a
// batch of responses that still have them.
std::string RedactSql(absl::string_view range, absl::string_view order) {
  return absl::StrCat(
      BatchCte(absl::StrReplaceAll(range, {{"{FROM}", "$4"}, {"{TO}", "$5"}}),
               " AND (comment <> '' OR customer_ref <> '' OR ($3 AND attributes <> '{}'::jsonb))",
               order),
      R"sql(,
-- The attributes as they are, whose counts leave with them: from the
-- locked rows, which FOR UPDATE returns at their latest version (the
-- statement's snapshot may predate an amendment that committed since).
unattributed AS (
  SELECT $1::bigint AS tenant_id, b.response_id, b.local_day, b.agent_id, b.team_id, b.channel,
         b.score, b.attributes,
         EXISTS (SELECT 1 FROM excluded_agents e
                 WHERE e.tenant_id = $1 AND e.agent_id = b.agent_id) AS agent_excluded
  FROM batch b
  WHERE $3 AND NOT b.excluded AND b.attributes <> '{}'::jsonb
),
done AS (
  UPDATE responses r
  SET comment = '', customer_ref = '',
      attributes = CASE WHEN $3 THEN '{}'::jsonb ELSE r.attributes END,
      redacted_at = now(), version = r.version + 1, changed_at = now(),
      changed_xid = pg_current_xact_id()
  FROM batch b
  WHERE r.tenant_id = $1 AND r.response_id = b.response_id
  RETURNING r.interaction_time
))sql",
      MoveAttributeCountsCtes("unattributed", -1), R"sql(
SELECT count(*), (extract(epoch FROM max(interaction_time)) * 1000000)::bigint FROM done)sql");
}

// The lock between a tenant's retention batches (shared) and a change of
// its policy (exclusive). ("tnpt" in ASCII, beside the counting lock's
// "tnps".)
void LockPolicy(pqxx::transaction_base& txn, int64_t tenant_id, bool exclusive) {
  txn.exec_params(
      absl::StrCat("SELECT ", exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared",
                   "(1953394804, mod($1::bigint, 2147483647)::integer)"),
      tenant_id);
}

// Responses interacted in [{FROM}, {TO}), oldest first.
constexpr char kDueRange[] =
    "interaction_time >= {FROM}::timestamptz AND interaction_time < {TO}::timestamptz";
constexpr char kDueOrder[] = "interaction_time";
// Responses interacted before {TO} and changed by transactions from {FROM}
// on (late arrivals, amendments).
constexpr char kLateRange[] =
    "changed_xid >= {FROM}::xid8 AND interaction_time < {TO}::timestamptz";
constexpr char kLateOrder[] = "changed_xid";

}  // namespace

absl::Status RetentionPolicies::Set(int64_t tenant_id,
                                    const std::optional<RetentionPolicy>& policy) {
  absl::StatusOr<bool> done = pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<bool> {
    pqxx::work txn(conn);
    // Waits for the batch under the old policy that may be running.
    LockPolicy(txn, tenant_id, /*exclusive=*/true);
    // A new policy starts over: responses already passed by the old one may
    // be due under this one.
    txn.exec_params("DELETE FROM retention_progress WHERE tenant_id = $1", tenant_id);
    if (!policy) {
      txn.exec_params("DELETE FROM retention_policies WHERE tenant_id = $1", tenant_id);
    } else {
      const auto days = [](const std::optional<int>& d) {
        return d ? absl::StrCat(*d) : std::string();
      };
      txn.exec_params(
          R"sql(
INSERT INTO retention_policies (tenant_id, redact_after_days, redact_attributes,
                                delete_after_days, updated_at)
VALUES ($1, NULLIF($2, '')::integer, $3, NULLIF($4, '')::integer, now())
ON CONFLICT (tenant_id) DO UPDATE
SET redact_after_days = excluded.redact_after_days,
    redact_attributes = excluded.redact_attributes,
    delete_after_days = excluded.delete_after_days, updated_at = now())sql",
          tenant_id, days(policy->redact_after_days), policy->redact_attributes,
          days(policy->delete_after_days));
    }
    std::vector<std::pair<std::string, std::string>> summary;
    if (policy) {
      if (policy->redact_after_days) {
        summary.push_back({"redact_after_days", absl::StrCat(*policy->redact_after_days)});
        summary.push_back({"redact_attributes", policy->redact_attributes ? "true" : "false"});
      }
      if (policy->delete_after_days) {
        summary.push_back({"delete_after_days", absl::StrCat(*policy->delete_after_days)});
      }
    }
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = policy ? "retention.set" : "retention.clear",
                      .target = absl::StrCat(tenant_id),
                      .summary_json = JsonObjectText(summary)});
    txn.commit();
    return true;
  });
  return done.status();
}

absl::StatusOr<std::optional<RetentionPolicy>> RetentionPolicies::Get(int64_t tenant_id) {
  return pool_.Run(
      [&](pqxx::connection_base& conn) -> absl::StatusOr<std::optional<RetentionPolicy>> {
        pqxx::read_transaction txn(conn);
        const pqxx::result rows = txn.exec_params(
            "SELECT redact_after_days, redact_attributes, delete_after_days "
            "FROM retention_policies WHERE tenant_id = $1",
            tenant_id);
        if (rows.empty()) return std::nullopt;
        RetentionPolicy policy;
        if (!rows[0][0].is_null()) policy.redact_after_days = rows[0][0].as<int>();
        policy.redact_attributes = rows[0][1].as<bool>();
        if (!rows[0][2].is_null()) policy.delete_after_days = rows[0][2].as<int>();
        return policy;
      });
}

absl::StatusOr<RetentionProgress> RetentionPolicies::Progress(int64_t tenant_id) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<RetentionProgress> {
    pqxx::read_transaction txn(conn);
    const pqxx::result rows = txn.exec_params(
        "SELECT (extract(epoch FROM redacted_through) * 1000000)::bigint, "
        "(extract(epoch FROM deleted_through) * 1000000)::bigint, "
        "(extract(epoch FROM last_round_at) * 1000000)::bigint, redacted_total, deleted_total "
        "FROM retention_progress WHERE tenant_id = $1",
        tenant_id);
    RetentionProgress progress;
    if (rows.empty()) return progress;
    progress.redacted_through = OptionalMicros(rows[0][0]);
    progress.deleted_through = OptionalMicros(rows[0][1]);
    progress.last_round_at = OptionalMicros(rows[0][2]);
    progress.redacted_total = rows[0][3].as<int64_t>();
    progress.deleted_total = rows[0][4].as<int64_t>();
    return progress;
  });
}

RetentionWorker::RetentionWorker(ConnectionPool& pool) : pool_(pool) {}

RetentionWorker::~RetentionWorker() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

bool RetentionWorker::Pause(absl::Duration batch, const RetentionSchedule& schedule) {
  return !stop_.WaitForNotificationWithTimeout(batch * (1 / schedule.busy_share - 1));
}

absl::Status RetentionWorker::ApplyPolicy(int64_t tenant_id, const RetentionPolicy& policy,
                                          const std::string& policy_version,
                                          const RetentionSchedule& schedule, absl::Time now,
                                          RetentionRound& round) {
  // Set when an operator changes or removes the policy during the round:
  // the round ends for the tenant, and the next applies the new policy.
  bool superseded = false;
  struct Start {
    std::string round_xmin;
    std::optional<std::string> swept_xmin;
    std::optional<absl::Time> redacted_through, deleted_through;
  };
  absl::StatusOr<Start> start = pool_.Run([&](pqxx::connection_base& conn)
                                              -> absl::StatusOr<Start> {
    pqxx::read_transaction txn(conn);
    Start s;
    // Every transaction that changes a response from here on has an xid at
    // least this: the next round's late pass looks from it.
    s.round_xmin =
        txn.exec("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")[0][0].as<std::string>();
    const pqxx::result rows = txn.exec_params(
        "SELECT swept_xmin::text, (extract(epoch FROM redacted_through) * 1000000)::bigint, "
        "(extract(epoch FROM deleted_through) * 1000000)::bigint "
        "FROM retention_progress WHERE tenant_id = $1",
        tenant_id);
    if (!rows.empty()) {
      if (!rows[0][0].is_null()) s.swept_xmin = rows[0][0].as<std::string>();
      s.redacted_through = OptionalMicros(rows[0][1]);
      s.deleted_through = OptionalMicros(rows[0][2]);
    }
    return s;
  });
  if (!start.ok()) return start.status();

  // Runs `sql` in batches until one takes fewer than batch_rows; after each,
  // `progress_sql` records how far it got ($2 the rows, $3 the latest
  // interaction time or the cutoff once done).
  const auto run_batches = [&](const std::string& sql, const std::string& from, absl::Time cutoff,
                               bool redact,
                               std::optional<absl::Time>* through) -> absl::StatusOr<int64_t> {
    int64_t total = 0;
    while (!stop_.HasBeenNotified()) {
      const absl::Time began = absl::Now();
      absl::StatusOr<std::pair<int64_t, bool>> batch =
          pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<std::pair<int64_t, bool>> {
            pqxx::work txn(conn);
            // The policy this round applies, unchanged until the batch
            // commits (RetentionPolicies::Set takes the lock exclusively).
            LockPolicy(txn, tenant_id, /*exclusive=*/false);
            const pqxx::result current = txn.exec_params(
                "SELECT updated_at::text FROM retention_policies WHERE tenant_id = $1", tenant_id);
            if (current.empty() || current[0][0].as<std::string>() != policy_version) {
              superseded = true;
              return std::pair<int64_t, bool>{0, true};
            }
            LockCounting(txn, tenant_id, /*exclusive=*/false);
            LockAttributes(txn, tenant_id, /*exclusive=*/false);
            const pqxx::row r =
                redact ? txn.exec_params1(sql, tenant_id, schedule.batch_rows,
                                          policy.redact_attributes, from, TimestampText(cutoff))
                       : txn.exec_params1(sql, tenant_id, schedule.batch_rows, from,
                                          TimestampText(cutoff));
            const int64_t n = r[0].as<int64_t>();
            const bool finished = n < schedule.batch_rows;
            if (through != nullptr) {
              // The due pass: how far interaction times are done.
              const absl::Time reached = finished ? cutoff : *OptionalMicros(r[1]);
              txn.exec_params(
                  absl::StrCat("INSERT INTO retention_progress (tenant_id, ",
                               redact ? "redacted_through, redacted_total"
                                      : "deleted_through, deleted_total",
                               ") VALUES ($1, $2::timestamptz, $3) ON CONFLICT (tenant_id) DO "
                               "UPDATE SET ",
                               redact ? "redacted_through = excluded.redacted_through, "
                                        "redacted_total = retention_progress.redacted_total + $3"
                                      : "deleted_through = excluded.deleted_through, "
                                        "deleted_total = retention_progress.deleted_total + $3"),
                  tenant_id, TimestampText(reached), n);
              *through = reached;
            } else if (n > 0) {
              txn.exec_params(absl::StrCat("UPDATE retention_progress SET ",
                                           redact ? "redacted_total = redacted_total + $2"
                                                  : "deleted_total = deleted_total + $2",
                                           " WHERE tenant_id = $1"),
                              tenant_id, n);
            }
            txn.commit();
            return std::pair<int64_t, bool>{n, finished};
          });
      if (!batch.ok()) return batch.status();
      total += batch->first;
      if (batch->second || superseded) break;
      if (!Pause(absl::Now() - began, schedule)) break;
    }
    return total;
  };

  // Deletion first: what is deleted need not be redacted.
  const auto apply = [&](bool redact, int days,
                         std::optional<absl::Time> previous_through) -> absl::StatusOr<int64_t> {
    const absl::Time cutoff = now - absl::Hours(24) * days;
    const std::string range_sql =
        redact ? RedactSql(kDueRange, kDueOrder) : DeleteSql(kDueRange, kDueOrder);
    std::optional<absl::Time> through = previous_through;
    const std::string from =
        previous_through ? TimestampText(*previous_through) : std::string("-infinity");
    absl::StatusOr<int64_t> due = run_batches(range_sql, from, cutoff, redact, &through);
    if (!due.ok()) return due.status();
    int64_t total = *due;
    if (start->swept_xmin && previous_through && !superseded) {
      const std::string late_sql =
          redact ? RedactSql(kLateRange, kLateOrder) : DeleteSql(kLateRange, kLateOrder);
      absl::StatusOr<int64_t> late =
          run_batches(late_sql, *start->swept_xmin, *previous_through, redact, nullptr);
      if (!late.ok()) return late.status();
      total += *late;
    }
    return total;
  };

  int64_t redacted = 0, deleted = 0;
  if (policy.delete_after_days) {
    absl::StatusOr<int64_t> n = apply(false, *policy.delete_after_days, start->deleted_through);
    if (!n.ok()) return n.status();
    deleted = *n;
  }
  if (policy.redact_after_days && !superseded) {
    absl::StatusOr<int64_t> n = apply(true, *policy.redact_after_days, start->redacted_through);
    if (!n.ok()) return n.status();
    redacted = *n;
  }
  round.redacted += redacted;
  round.deleted += deleted;
  if (stop_.HasBeenNotified() || superseded) return absl::OkStatus();
  absl::StatusOr<bool> finished =
      pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<bool> {
        pqxx::work txn(conn);
        txn.exec_params(
            "INSERT INTO retention_progress (tenant_id, swept_xmin, last_round_at) "
            "VALUES ($1, $2::xid8, now()) ON CONFLICT (tenant_id) DO UPDATE "
            "SET swept_xmin = excluded.swept_xmin, last_round_at = now()",
            tenant_id, start->round_xmin);
        if (redacted > 0 || deleted > 0) {
          AppendAudit(txn, {.tenant_id = tenant_id,
                            .action = "retention.apply",
                            .target = absl::StrCat(tenant_id),
                            .summary_json = JsonObjectText({{"redacted", absl::StrCat(redacted)},
                                                            {"deleted", absl::StrCat(deleted)}})});
        }
        txn.commit();
        return true;
      });
  return finished.status();
}

absl::StatusOr<RetentionRound> RetentionWorker::RunOnce(const RetentionSchedule& schedule,
                                                        absl::Time now) {
  ScopedAuditActor actor("server:retention");
  RetentionRound round;
  struct Applied {
    int64_t tenant_id;
    RetentionPolicy policy;
    // updated_at as text: a batch that finds another stops the round.
    std::string version;
  };
  using Policies = std::vector<Applied>;
  absl::StatusOr<Policies> policies =
      pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<Policies> {
        pqxx::work txn(conn);
        // A mark a minute, for exports that start at a time; and forget what
        // no export may ask for any more. The mark's time is read after the
        // statement's snapshot is taken, so a transaction that starts at or
        // after it (and stamps its changes with its start) gets an xid at
        // least the mark's.
        txn.exec(
            "INSERT INTO xid_marks (marked_at, oldest_xid) "
            "SELECT clock_timestamp(), pg_snapshot_xmin(pg_current_snapshot()) "
            "WHERE NOT EXISTS (SELECT 1 FROM xid_marks WHERE marked_at > now() - interval '50 "
            "seconds') ON CONFLICT DO NOTHING");
        txn.exec_params("DELETE FROM xid_marks WHERE marked_at < now() - make_interval(days => $1)",
                        kRemovalRecordDays + 1);
        round.removal_records_pruned =
            txn.exec_params(
                   "WITH old AS (DELETE FROM response_tombstones WHERE ctid IN ("
                   "SELECT ctid FROM response_tombstones WHERE removed_at < now() - "
                   "make_interval(days => $1) LIMIT $2) RETURNING 1) SELECT count(*) FROM old",
                   kRemovalRecordDays, schedule.batch_rows * 10)[0][0]
                .as<int64_t>();
        Policies out;
        for (const auto& row :
             txn.exec("SELECT tenant_id, redact_after_days, redact_attributes, delete_after_days, "
                      "updated_at::text FROM retention_policies ORDER BY tenant_id")) {
          RetentionPolicy p;
          if (!row[1].is_null()) p.redact_after_days = row[1].as<int>();
          p.redact_attributes = row[2].as<bool>();
          if (!row[3].is_null()) p.delete_after_days = row[3].as<int>();
          out.push_back({row[0].as<int64_t>(), p, row[4].as<std::string>()});
        }
        txn.commit();
        return out;
      });
  if (!policies.ok()) return policies.status();
  for (const Applied& p : *policies) {
    if (stop_.HasBeenNotified()) break;
    if (absl::Status applied = ApplyPolicy(p.tenant_id, p.policy, p.version, schedule, now, round);
        !applied.ok()) {
      return applied;
    }
    ++round.tenants;
  }
  return round;
}

void RetentionWorker::Start(RetentionSchedule schedule) {
  thread_ = std::thread([this, schedule] {
    bool failing = false;
    while (!stop_.HasBeenNotified()) {
      const absl::Time began = absl::Now();
      absl::StatusOr<RetentionRound> round = RunOnce(schedule);
      if (!round.ok() && !failing) {
        logging::Log(logging::LogLevel::kError, "retention round failed; retrying",
                     {{"error", round.status().message()}});
      }
      failing = !round.ok();
      if (round.ok() && (round->redacted > 0 || round->deleted > 0)) {
        logging::Log(logging::LogLevel::kInfo, "retention applied",
                     {{"tenants", round->tenants},
                      {"redacted", round->redacted},
                      {"deleted", round->deleted},
                      {"ms", absl::ToDoubleMilliseconds(absl::Now() - began)}});
      }
      stop_.WaitForNotificationWithTimeout(schedule.period);
    }
  });
}

}  // namespace tnps::storage
