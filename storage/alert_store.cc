#include "storage/alert_store.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "storage/audit_log.h"
#include "storage/pg_text.h"

namespace tnps::storage {
namespace {

constexpr char kColumns[] = R"sql(
  subscription_id, name, event_types, min_score, max_score, agent_ids, team_ids, channels,
  attribute_keys, attribute_values, url, include_customer_ref, paused,
  (extract(epoch FROM created_at) * 1000000)::bigint)sql";

std::vector<std::string> TextArrayOf(const pqxx::field& f) {
  std::vector<std::string> out;
  pqxx::array_parser parser = f.as_array();
  for (auto [juncture, value] = parser.get_next(); juncture != pqxx::array_parser::done;
       std::tie(juncture, value) = parser.get_next()) {
    if (juncture == pqxx::array_parser::string_value) out.push_back(std::move(value));
  }
  return out;
}

AlertSubscription SubscriptionFromRow(const pqxx::row& row) {
  AlertSubscription s;
  s.subscription_id = row[0].as<int64_t>();
  s.name = row[1].as<std::string>();
  s.event_types = TextArrayOf(row[2]);
  core::AlertFilter& f = s.filter;
  f.min_score = row[3].as<int>();
  f.max_score = row[4].as<int>();
  f.agent_ids = TextArrayOf(row[5]);
  f.team_ids = TextArrayOf(row[6]);
  for (const std::string& c : TextArrayOf(row[7])) f.channels.push_back(std::stoi(c));
  const std::vector<std::string> keys = TextArrayOf(row[8]);
  const std::vector<std::string> values = TextArrayOf(row[9]);
  for (size_t i = 0; i < keys.size() && i < values.size(); ++i) {
    if (f.attributes.empty() || f.attributes.back().first != keys[i]) {
      f.attributes.push_back({keys[i], {}});
    }
    f.attributes.back().second.push_back(values[i]);
  }
  s.url = row[10].as<std::string>();
  s.include_customer_ref = row[11].as<bool>();
  s.paused = row[12].as<bool>();
  s.created_at = absl::FromUnixMicros(row[13].as<int64_t>());
  return s;
}

// What the audit trail says about a subscription: never its secret.
std::string SummaryOf(const AlertSubscription& s) {
  return JsonObjectText({{"name", s.name},
                         {"url", s.url},
                         {"event_types", absl::StrJoin(s.event_types, ",")},
                         {"scores", absl::StrCat(s.filter.min_score, "..", s.filter.max_score)},
                         {"include_customer_ref", s.include_customer_ref ? "true" : "false"}});
}

absl::Status NotFound(int64_t subscription_id) {
  return absl::NotFoundError(absl::StrCat("no alert subscription ", subscription_id));
}

}  // namespace

std::string RaiseAlertEventsCte(absl::string_view source, absl::string_view event_type) {
  // A subscription's attribute filter: for every key it lists, the
  // response's attribute has one of the values listed with that key. Keys
  // with one value are tested at once by containment; the others pair by
  // pair, counting the keys that matched (values are distinct per key).
  return absl::StrReplaceAll(R"sql(,
$S_alerts AS (
  INSERT INTO alert_events (tenant_id, subscription_id, event_type, response_id)
  SELECT n.tenant_id, s.subscription_id, '$T', n.response_id
  FROM $S n JOIN alert_subscriptions s ON s.tenant_id = n.tenant_id
  WHERE '$T' = ANY (s.event_types)
    AND n.score BETWEEN s.min_score AND s.max_score
    AND (cardinality(s.agent_ids) = 0 OR n.agent_id = ANY (s.agent_ids))
    AND (cardinality(s.team_ids) = 0 OR n.team_id = ANY (s.team_ids))
    AND (cardinality(s.channels) = 0 OR n.channel = ANY (s.channels))
    AND n.attributes @> s.attribute_required
    AND (s.attribute_choice_count = 0 OR
         (SELECT count(*) FROM unnest(s.attribute_choice_keys, s.attribute_choice_values)
                                 AS p(key, value)
          WHERE n.attributes ->> p.key = p.value) = s.attribute_choice_count)
  ORDER BY n.tenant_id, s.subscription_id, n.response_id
))sql",
                             {{"$S", source}, {"$T", event_type}});
}

AlertStore::AlertStore(ConnectionPool& pool) : pool_(pool) {}

absl::StatusOr<AlertSubscription> AlertStore::Create(int64_t tenant_id,
                                                     const AlertSubscription& wanted,
                                                     const std::string& secret) {
  // The definition (every pair), and the form ingest tests
  // (migrations/0016_lighter_outbox.up.sql): keys allowed one value as a
  // JSON object, the pairs of the others.
  std::vector<std::string> keys, values, choice_keys, choice_values;
  std::vector<std::pair<std::string, std::string>> required;
  int choice_count = 0;
  const core::AlertFilter& filter = wanted.filter;
  for (const auto& [key, allowed] : filter.attributes) {
    std::vector<std::string> distinct = allowed;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (const std::string& v : distinct) {
      keys.push_back(key);
      values.push_back(v);
      if (distinct.size() > 1) {
        choice_keys.push_back(key);
        choice_values.push_back(v);
      }
    }
    if (distinct.size() == 1) required.emplace_back(key, distinct[0]);
    if (distinct.size() > 1) ++choice_count;
  }
  PgArrayLiteral channels;
  for (int c : filter.channels) channels.Add(static_cast<long long>(c));
  const std::string channel_array = std::move(channels).Finish();
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<AlertSubscription> {
    pqxx::work txn(conn);
    // Numbered per tenant under the tenant's lock, as programmes are, and
    // never reused (migrations/0016_lighter_outbox.up.sql).
    txn.exec_params("SELECT pg_advisory_xact_lock(-$1::bigint)", tenant_id);
    if (!txn.exec_params("SELECT 1 FROM alert_subscriptions WHERE tenant_id = $1 AND name = $2",
                         tenant_id, wanted.name)
             .empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat("an alert subscription named ", wanted.name, " exists"));
    }
    const pqxx::row row = txn.exec_params1(
        absl::StrCat(R"sql(
WITH number AS (
  INSERT INTO alert_subscription_numbers AS n (tenant_id, last_id) VALUES ($1, 1)
  ON CONFLICT (tenant_id) DO UPDATE SET last_id = n.last_id + 1
  RETURNING last_id)
INSERT INTO alert_subscriptions (tenant_id, subscription_id, name, event_types, min_score,
                                 max_score, agent_ids, team_ids, channels, attribute_keys,
                                 attribute_values, url, include_customer_ref, secret,
                                 attribute_required, attribute_choice_keys,
                                 attribute_choice_values, attribute_choice_count)
SELECT $1, number.last_id, $2, $3::text[], $4, $5, $6::text[], $7::text[], $8::smallint[],
       $9::text[], $10::text[], $11, $12, $13, $14::jsonb, $15::text[], $16::text[], $17
FROM number
RETURNING)sql",
                     kColumns),
        tenant_id, wanted.name, TextArrayLiteral(wanted.event_types), filter.min_score,
        filter.max_score, TextArrayLiteral(filter.agent_ids), TextArrayLiteral(filter.team_ids),
        channel_array, TextArrayLiteral(keys), TextArrayLiteral(values), wanted.url,
        wanted.include_customer_ref, secret, JsonObjectText(required),
        TextArrayLiteral(choice_keys), TextArrayLiteral(choice_values), choice_count);
    AlertSubscription created = SubscriptionFromRow(row);
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = "alert_subscription.create",
                      .target = absl::StrCat(created.subscription_id),
                      .summary_json = SummaryOf(created)});
    txn.commit();
    return created;
  });
}

absl::StatusOr<std::vector<AlertSubscription>> AlertStore::List(int64_t tenant_id) {
  return pool_.Run(
      [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<AlertSubscription>> {
        pqxx::read_transaction txn(conn);
        std::vector<AlertSubscription> out;
        for (const auto& row :
             txn.exec_params(absl::StrCat("SELECT", kColumns,
                                          " FROM alert_subscriptions WHERE tenant_id = $1 "
                                          "ORDER BY subscription_id"),
                             tenant_id)) {
          out.push_back(SubscriptionFromRow(row));
        }
        return out;
      });
}

absl::StatusOr<AlertSubscription> AlertStore::SetPaused(int64_t tenant_id, int64_t subscription_id,
                                                        bool paused) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<AlertSubscription> {
    pqxx::work txn(conn);
    const pqxx::result rows = txn.exec_params(
        absl::StrCat("UPDATE alert_subscriptions SET paused = $3 WHERE tenant_id = $1 AND "
                     "subscription_id = $2 RETURNING",
                     kColumns),
        tenant_id, subscription_id, paused);
    if (rows.empty()) return NotFound(subscription_id);
    AlertSubscription s = SubscriptionFromRow(rows[0]);
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = paused ? "alert_subscription.pause" : "alert_subscription.resume",
                      .target = absl::StrCat(subscription_id)});
    txn.commit();
    return s;
  });
}

absl::Status AlertStore::Delete(int64_t tenant_id, int64_t subscription_id) {
  absl::StatusOr<bool> deleted =
      pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<bool> {
        pqxx::work txn(conn);
        const pqxx::result rows = txn.exec_params(
            "DELETE FROM alert_subscriptions WHERE tenant_id = $1 AND subscription_id = $2 "
            "RETURNING name",
            tenant_id, subscription_id);
        if (rows.empty()) return NotFound(subscription_id);
        // Its events go with it (there is no foreign key to cascade: see
        // migrations/0016_lighter_outbox.up.sql).
        txn.exec_params("DELETE FROM alert_events WHERE tenant_id = $1 AND subscription_id = $2",
                        tenant_id, subscription_id);
        AppendAudit(txn,
                    {.tenant_id = tenant_id,
                     .action = "alert_subscription.delete",
                     .target = absl::StrCat(subscription_id),
                     .summary_json = JsonObjectText({{"name", rows[0][0].as<std::string>()}})});
        txn.commit();
        return true;
      });
  return deleted.status();
}

absl::StatusOr<AlertSubscription> AlertStore::RotateSecret(int64_t tenant_id,
                                                           int64_t subscription_id,
                                                           const std::string& secret,
                                                           absl::Duration overlap) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<AlertSubscription> {
    pqxx::work txn(conn);
    const pqxx::result rows = txn.exec_params(
        absl::StrCat("UPDATE alert_subscriptions SET previous_secret = secret, secret = $3, "
                     "previous_secret_until = now() + $4::bigint * interval '1 microsecond' "
                     "WHERE tenant_id = $1 AND subscription_id = $2 RETURNING",
                     kColumns),
        tenant_id, subscription_id, secret, absl::ToInt64Microseconds(overlap));
    if (rows.empty()) return NotFound(subscription_id);
    AlertSubscription s = SubscriptionFromRow(rows[0]);
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = "alert_subscription.rotate_secret",
                      .target = absl::StrCat(subscription_id),
                      .summary_json = JsonObjectText(
                          {{"previous_secret_overlap", absl::FormatDuration(overlap)}})});
    txn.commit();
    return s;
  });
}

}  // namespace tnps::storage
