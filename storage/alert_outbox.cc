#include "storage/alert_outbox.h"

#include <pqxx/pqxx>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/audit_log.h"
#include "storage/pg_text.h"

namespace tnps::storage {
namespace {

// Up to `per_subscription` due events of every unpaused subscription
// (locked, skipping those another server is claiming), of which each takes
// as many as it has free slots (one if failing), the oldest due first;
// leased.
constexpr char kClaimSql[] = R"sql(
WITH known AS (
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::boolean[])
    AS k(tenant, subscription, in_flight, failing)),
candidates AS (
  SELECT s.tenant_id, e.event_seq, e.next_attempt_at,
         row_number() OVER (PARTITION BY s.tenant_id, s.subscription_id
                            ORDER BY e.next_attempt_at, e.event_seq) AS rank,
         CASE WHEN coalesce(k.failing, false) THEN 1 ELSE $5 END - coalesce(k.in_flight, 0)
           AS slots
  FROM alert_subscriptions s
  CROSS JOIN LATERAL (
    SELECT d.event_seq, d.next_attempt_at FROM alert_events d
    WHERE d.tenant_id = s.tenant_id AND d.subscription_id = s.subscription_id
      AND d.state = 'pending' AND d.next_attempt_at <= now()
    ORDER BY d.next_attempt_at
    LIMIT $5
    FOR UPDATE SKIP LOCKED) e
  LEFT JOIN known k ON k.tenant = s.tenant_id AND k.subscription = s.subscription_id
  WHERE NOT s.paused),
picked AS (
  SELECT tenant_id, event_seq FROM candidates WHERE rank <= slots
  ORDER BY next_attempt_at LIMIT $6)
UPDATE alert_events e
SET attempts = e.attempts + 1, last_attempt_at = now(),
    first_attempt_at = coalesce(e.first_attempt_at, now()),
    next_attempt_at = now() + $7::bigint * interval '1 microsecond'
FROM picked WHERE e.tenant_id = picked.tenant_id AND e.event_seq = picked.event_seq
RETURNING e.event_seq, e.tenant_id, e.subscription_id, e.event_type, e.response_id,
          (extract(epoch FROM e.occurred_at) * 1000000)::bigint, e.attempts,
          (extract(epoch FROM e.first_attempt_at) * 1000000)::bigint)sql";

// An outcome applies only to the attempt it is about, still pending and
// not redelivered since (Redeliver clears first_attempt_at and attempts).
constexpr char kRecordSql[] = R"sql(
UPDATE alert_events e
SET state = CASE WHEN o.delivered THEN 'delivered'
                 WHEN o.next_at IS NULL THEN 'dead' ELSE 'pending' END,
    delivered_at = CASE WHEN o.delivered THEN now() ELSE e.delivered_at END,
    next_attempt_at = coalesce(to_timestamp(o.next_at / 1000000.0), e.next_attempt_at),
    last_result = o.result
FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::boolean[], $5::text[], $6::bigint[])
  AS o(tenant, seq, attempt, delivered, result, next_at)
WHERE e.tenant_id = o.tenant AND e.event_seq = o.seq AND e.attempts = o.attempt
  AND e.state = 'pending' AND e.first_attempt_at IS NOT NULL)sql";

// Where the claimed events go and how they are signed: the previous
// secret only while its overlap lasts.
constexpr char kTargetsSql[] = R"sql(
SELECT s.tenant_id, s.subscription_id, t.name, encode(t.id_key, 'hex'), s.url,
       s.include_customer_ref, s.secret,
       CASE WHEN s.previous_secret_until > now() THEN s.previous_secret END
FROM unnest($1::bigint[], $2::bigint[]) AS c(tenant, subscription)
JOIN alert_subscriptions s ON s.tenant_id = c.tenant AND s.subscription_id = c.subscription
JOIN tenants t ON t.tenant_id = s.tenant_id)sql";

constexpr char kTrainingSql[] = R"sql(
SELECT en.tenant_id, en.agent_id, p.program_id, p.name, c.cohort_id, c.name,
       (extract(epoch FROM en.enrolled_at) * 1000000)::bigint,
       (extract(epoch FROM en.completed_at) * 1000000)::bigint
FROM unnest($1::bigint[], $2::text[]) AS a(tenant, agent)
JOIN training_enrollments en ON en.tenant_id = a.tenant AND en.agent_id = a.agent
JOIN training_cohorts c ON c.tenant_id = en.tenant_id AND c.cohort_id = en.cohort_id
JOIN training_programs p ON p.tenant_id = en.tenant_id AND p.program_id = en.program_id
ORDER BY en.enrolled_at, p.program_id)sql";

constexpr char kDeliveryColumns[] = R"sql(
  event_seq, subscription_id, event_type, response_id,
  (extract(epoch FROM occurred_at) * 1000000)::bigint, state, attempts,
  (extract(epoch FROM last_attempt_at) * 1000000)::bigint, last_result,
  (extract(epoch FROM CASE WHEN state = 'pending' THEN next_attempt_at END) * 1000000)::bigint,
  (extract(epoch FROM delivered_at) * 1000000)::bigint)sql";

absl::Time TimeOf(const pqxx::field& f) { return absl::FromUnixMicros(f.as<int64_t>()); }

std::optional<absl::Time> OptionalTimeOf(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return TimeOf(f);
}

DeliveryRecord DeliveryFromRow(const pqxx::row& row) {
  return {.event_seq = row[0].as<int64_t>(),
          .subscription_id = row[1].as<int64_t>(),
          .event_type = row[2].as<std::string>(),
          .response_id = row[3].as<int64_t>(),
          .occurred_at = TimeOf(row[4]),
          .state = row[5].as<std::string>(),
          .attempts = row[6].as<int>(),
          .last_attempt_at = OptionalTimeOf(row[7]),
          .last_result = row[8].as<std::string>(),
          .next_attempt_at = OptionalTimeOf(row[9]),
          .delivered_at = OptionalTimeOf(row[10])};
}

std::string BigintArray(const std::vector<int64_t>& values) {
  PgArrayLiteral array;
  for (int64_t v : values) array.Add(static_cast<long long>(v));
  return std::move(array).Finish();
}

// Claims and outcomes commit without waiting for the WAL flush: one lost
// in a crash only makes an event due again, and it is delivered once more
// with the same id (at least once either way). The event itself was
// committed durably with its response. Without this, two flushes per
// delivery capped one subscription at a few dozen deliveries a second.
void RelaxDurability(pqxx::transaction_base& txn) {
  txn.exec("SET LOCAL synchronous_commit = off");
}

}  // namespace

AlertOutbox::AlertOutbox(ConnectionPool& pool) : pool_(pool) {}

absl::StatusOr<std::vector<AlertAttempt>> AlertOutbox::Claim(
    int limit, int per_subscription, const std::vector<SubscriptionLoad>& known,
    absl::Duration lease) {
  PgArrayLiteral tenants, subscriptions, in_flight, failing;
  for (const SubscriptionLoad& k : known) {
    tenants.Add(static_cast<long long>(k.tenant_id));
    subscriptions.Add(static_cast<long long>(k.subscription_id));
    in_flight.Add(static_cast<long long>(k.in_flight));
    failing.Add(k.failing ? "t" : "f");
  }
  const std::string known_tenants = std::move(tenants).Finish();
  const std::string known_subscriptions = std::move(subscriptions).Finish();
  const std::string known_in_flight = std::move(in_flight).Finish();
  const std::string known_failing = std::move(failing).Finish();
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<AlertAttempt>> {
    pqxx::work txn(conn);
    RelaxDurability(txn);
    std::vector<AlertAttempt> claimed;
    for (const auto& row : txn.exec_params(kClaimSql, known_tenants, known_subscriptions,
                                           known_in_flight, known_failing, per_subscription, limit,
                                           absl::ToInt64Microseconds(lease))) {
      AlertAttempt a;
      a.event_seq = row[0].as<int64_t>();
      a.tenant_id = row[1].as<int64_t>();
      a.subscription_id = row[2].as<int64_t>();
      a.event_type = row[3].as<std::string>();
      a.response.response_id = row[4].as<int64_t>();
      a.occurred_at = TimeOf(row[5]);
      a.attempt = row[6].as<int>();
      a.first_attempt_at = TimeOf(row[7]);
      claimed.push_back(std::move(a));
    }
    if (claimed.empty()) return claimed;

    std::vector<int64_t> tenants, subscriptions;
    std::vector<std::pair<int64_t, int64_t>> response_ids;
    for (const AlertAttempt& a : claimed) {
      tenants.push_back(a.tenant_id);
      subscriptions.push_back(a.subscription_id);
      response_ids.emplace_back(a.tenant_id, a.response.response_id);
    }
    absl::flat_hash_map<std::pair<int64_t, int64_t>, pqxx::row> targets;
    const pqxx::result target_rows =
        txn.exec_params(kTargetsSql, BigintArray(tenants), BigintArray(subscriptions));
    for (const auto& row : target_rows) {
      targets.emplace(std::pair(row[0].as<int64_t>(), row[1].as<int64_t>()), row);
    }
    absl::flat_hash_map<int64_t, StoredResponse> responses;
    for (StoredResponse& r : StoredResponsesById(txn, response_ids)) {
      responses.emplace(r.response_id, std::move(r));
    }

    std::vector<AlertAttempt> attempts;
    std::vector<int64_t> gone_tenants, gone;
    std::vector<int64_t> agent_tenants;
    std::vector<std::string> agents;
    absl::flat_hash_set<std::pair<int64_t, std::string>> asked;
    for (AlertAttempt& a : claimed) {
      auto response = responses.find(a.response.response_id);
      if (response == responses.end()) {
        gone_tenants.push_back(a.tenant_id);
        gone.push_back(a.event_seq);
        continue;
      }
      const pqxx::row& target = targets.at({a.tenant_id, a.subscription_id});
      a.tenant_name = target[2].as<std::string>();
      a.response_id_key = absl::HexStringToBytes(target[3].as<std::string>());
      a.url = target[4].as<std::string>();
      a.include_customer_ref = target[5].as<bool>();
      a.secrets.push_back(target[6].as<std::string>());
      if (!target[7].is_null()) a.secrets.push_back(target[7].as<std::string>());
      a.response = response->second;
      // Each agent once, however many of its events were claimed.
      if (!a.response.response.agent_id.empty() &&
          asked.insert({a.tenant_id, a.response.response.agent_id}).second) {
        agent_tenants.push_back(a.tenant_id);
        agents.push_back(a.response.response.agent_id);
      }
      attempts.push_back(std::move(a));
    }
    if (!gone.empty()) {
      txn.exec_params(
          "UPDATE alert_events SET state = 'gone', last_result = 'the response was erased', "
          "next_attempt_at = now() WHERE (tenant_id, event_seq) IN "
          "(SELECT * FROM unnest($1::bigint[], $2::bigint[]))",
          BigintArray(gone_tenants), BigintArray(gone));
    }
    if (!agents.empty()) {
      absl::flat_hash_map<std::pair<int64_t, std::string>, std::vector<AgentTrainingStatus>>
          training;
      for (const auto& row :
           txn.exec_params(kTrainingSql, BigintArray(agent_tenants), TextArrayLiteral(agents))) {
        training[{row[0].as<int64_t>(), row[1].as<std::string>()}].push_back(
            {.program_id = row[2].as<int64_t>(),
             .program_name = row[3].as<std::string>(),
             .cohort_id = row[4].as<int64_t>(),
             .cohort_name = row[5].as<std::string>(),
             .enrolled_at = TimeOf(row[6]),
             .completed_at = OptionalTimeOf(row[7])});
      }
      for (AlertAttempt& a : attempts) {
        auto found = training.find(std::pair(a.tenant_id, a.response.response.agent_id));
        if (found != training.end()) a.agent_training = found->second;
      }
    }
    txn.commit();
    return attempts;
  });
}

absl::Status AlertOutbox::Record(const std::vector<AttemptOutcome>& outcomes) {
  if (outcomes.empty()) return absl::OkStatus();
  PgArrayLiteral tenants, seqs, attempts, delivered, results, next_at;
  for (const AttemptOutcome& o : outcomes) {
    tenants.Add(static_cast<long long>(o.tenant_id));
    seqs.Add(static_cast<long long>(o.event_seq));
    attempts.Add(static_cast<long long>(o.attempt));
    delivered.Add(o.delivered ? "t" : "f");
    results.Add(o.result);
    if (o.next_attempt_at) {
      next_at.Add(static_cast<long long>(absl::ToUnixMicros(*o.next_attempt_at)));
    } else {
      next_at.AddNull();
    }
  }
  const std::string tenant_array = std::move(tenants).Finish();
  const std::string seq_array = std::move(seqs).Finish();
  const std::string attempt_array = std::move(attempts).Finish();
  const std::string delivered_array = std::move(delivered).Finish();
  const std::string result_array = std::move(results).Finish();
  const std::string next_array = std::move(next_at).Finish();
  return pool_
      .Run([&](pqxx::connection_base& conn) -> absl::StatusOr<bool> {
        pqxx::work txn(conn);
        RelaxDurability(txn);
        txn.exec_params(kRecordSql, tenant_array, seq_array, attempt_array, delivered_array,
                        result_array, next_array);
        txn.commit();
        return true;
      })
      .status();
}

absl::StatusOr<std::vector<DeliveryRecord>> AlertOutbox::ListDeliveries(
    const DeliveryQuery& query) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<DeliveryRecord>> {
    pqxx::read_transaction txn(conn);
    if (query.subscription_id != 0 &&
        txn.exec_params("SELECT 1 FROM alert_subscriptions WHERE tenant_id = $1 AND "
                        "subscription_id = $2",
                        query.tenant_id, query.subscription_id)
            .empty()) {
      return absl::NotFoundError(absl::StrCat("no alert subscription ", query.subscription_id));
    }
    // Conditions that do not apply fold away: the unnamed statement is
    // planned with its parameters' values.
    const std::string sql = absl::StrCat("SELECT", kDeliveryColumns, R"sql(
FROM alert_events
WHERE tenant_id = $1 AND ($2::bigint = 0 OR subscription_id = $2)
  AND ($3::text = '' OR state = $3) AND ($4::bigint = 0 OR event_seq < $4)
ORDER BY event_seq DESC
LIMIT $5)sql");
    std::vector<DeliveryRecord> out;
    for (const auto& row : txn.exec_params(sql, query.tenant_id, query.subscription_id, query.state,
                                           query.before_seq, query.limit)) {
      out.push_back(DeliveryFromRow(row));
    }
    return out;
  });
}

absl::StatusOr<DeliveryRecord> AlertOutbox::Redeliver(int64_t tenant_id, int64_t event_seq) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<DeliveryRecord> {
    pqxx::work txn(conn);
    // One statement: an event being marked gone meanwhile is not revived.
    const pqxx::result rows = txn.exec_params(
        absl::StrCat("UPDATE alert_events SET state = 'pending', next_attempt_at = now(), "
                     "attempts = 0, first_attempt_at = NULL, delivered_at = NULL "
                     "WHERE tenant_id = $1 AND event_seq = $2 AND state <> 'gone' RETURNING",
                     kDeliveryColumns),
        tenant_id, event_seq);
    if (rows.empty()) {
      const bool gone = !txn.exec_params(
                                "SELECT 1 FROM alert_events WHERE tenant_id = $1 AND "
                                "event_seq = $2",
                                tenant_id, event_seq)
                             .empty();
      if (gone) return absl::FailedPreconditionError("the alert event's response was erased");
      return absl::NotFoundError("no such alert event");
    }
    const pqxx::row& row = rows[0];
    DeliveryRecord record = DeliveryFromRow(row);
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = "alert_event.redeliver",
                      .target = absl::StrCat(event_seq),
                      .summary_json = JsonObjectText(
                          {{"subscription_id", absl::StrCat(record.subscription_id)}})});
    txn.commit();
    return record;
  });
}

absl::StatusOr<int64_t> AlertOutbox::PruneFinished(absl::Time before, int limit) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<int64_t> {
    pqxx::work txn(conn);
    RelaxDurability(txn);
    // Finished events old enough, and pending ones of a subscription that
    // was deleted while the ingest that wrote them was under way.
    const pqxx::result deleted = txn.exec_params(R"sql(
DELETE FROM alert_events WHERE (tenant_id, event_seq) IN (
  (SELECT tenant_id, event_seq FROM alert_events
   WHERE state <> 'pending' AND occurred_at < to_timestamp($1::bigint / 1000000.0) LIMIT $2)
  UNION ALL
  (SELECT e.tenant_id, e.event_seq FROM alert_events e
   WHERE e.state = 'pending' AND NOT EXISTS (
     SELECT 1 FROM alert_subscriptions s
     WHERE s.tenant_id = e.tenant_id AND s.subscription_id = e.subscription_id)
   LIMIT $2))
RETURNING 1)sql",
                                                 absl::ToUnixMicros(before), limit);
    txn.commit();
    return static_cast<int64_t>(deleted.size());
  });
}

}  // namespace tnps::storage
