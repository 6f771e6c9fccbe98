#include "storage/response_store.h"

#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/alert_store.h"
#include "storage/pg_text.h"
#include "storage/response_counting.h"

namespace tnps::storage {
namespace {

// The twelve columns of a response, passed as one array literal each and
// turned back into rows by unnest. One statement stores any number of rows.
constexpr char kInputRows[] = R"sql(
  unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[],
         $7::text[], $8::smallint[], $9::text[], $10::timestamptz[], $11::timestamptz[],
         $12::jsonb[])
  WITH ORDINALITY AS i(tenant_id, external_id, interaction_id, agent_id, team_id, channel,
                       customer_ref, score, comment, interaction_time, response_time,
                       attributes, ord))sql";

// Agents on first sight, and the responses whose external_id is neither
// stored nor suppressed (storage/response_records.h), with their counts
// where they are counted (storage/response_counting.h): conflicting rows
// are skipped and counted nowhere. Appending change rows takes no lock
// another writer waits on. Rows and agents are visited in a fixed order so
// that concurrent writers lock them in the same order. Runs after the
// tenants' counting locks are taken.
constexpr char kInsertResponses[] = "responses_insert";
const std::string kInsertResponsesSql = absl::StrCat(
    R"sql(
WITH input AS (SELECT * FROM )sql",
    kInputRows, R"sql(),
-- The agents of the write this server has not seen yet, each once, with
-- the team of its first response.
new_agents AS (
  INSERT INTO agents (tenant_id, agent_id, team_id)
  SELECT tenant_id, agent_id, team_id
  FROM unnest($13::bigint[], $14::text[], $15::text[]) AS a(tenant_id, agent_id, team_id)
  ORDER BY tenant_id, agent_id
  ON CONFLICT (tenant_id, agent_id) DO NOTHING
),
inserted AS (
  INSERT INTO responses (tenant_id, external_id, interaction_id, agent_id, team_id, channel,
                         customer_ref, score, comment, interaction_time, response_time,
                         local_day, attributes)
  SELECT i.tenant_id, i.external_id, i.interaction_id, i.agent_id, i.team_id, i.channel,
         i.customer_ref, i.score, i.comment, i.interaction_time, i.response_time,
         (i.interaction_time AT TIME ZONE t.time_zone)::date, i.attributes
  FROM input i JOIN tenants t USING (tenant_id)
  WHERE NOT EXISTS (
    SELECT 1 FROM suppressed_external_ids s
    WHERE s.tenant_id = i.tenant_id
      AND s.external_id_digest = sha256(t.id_key || convert_to(i.external_id, 'UTF8')))
  ORDER BY i.tenant_id, i.external_id
  ON CONFLICT (tenant_id, external_id) DO NOTHING
  RETURNING tenant_id, external_id, response_id, local_day, agent_id, team_id, channel, score,
            attributes
))sql",
    MoveCountsCtes("inserted", +1), RaiseAlertEventsCte("inserted", "response.created"),
    R"sql(
SELECT tenant_id, external_id, response_id FROM inserted)sql");

// For rows whose external_id is already stored: the stored id, and which
// fields of the stored payload differ from the submitted one (in
// kPayloadFields order).
constexpr char kCompareResponses[] = "responses_compare";
const std::string kCompareResponsesSql = absl::StrCat(R"sql(
SELECT i.ord, r.response_id,
       r.interaction_id <> i.interaction_id, r.agent_id <> i.agent_id, r.team_id <> i.team_id,
       r.channel <> i.channel, r.customer_ref <> i.customer_ref, r.score <> i.score,
       r.comment <> i.comment, r.interaction_time <> i.interaction_time,
       r.response_time <> i.response_time, r.attributes <> i.attributes
FROM )sql",
                                                      kInputRows, R"sql(
JOIN responses r ON r.tenant_id = i.tenant_id AND r.external_id = i.external_id)sql");

constexpr const char* kPayloadFields[] = {
    "interaction_id", "agent_id", "team_id",          "channel",       "customer_ref",
    "score",          "comment",  "interaction_time", "response_time", "attributes"};

// Of rows neither stored nor found: those whose external_id is suppressed.
constexpr char kSuppressedResponses[] = "responses_suppressed";
const std::string kSuppressedResponsesSql = absl::StrCat(R"sql(
SELECT i.ord FROM )sql",
                                                         kInputRows, R"sql(
JOIN tenants t USING (tenant_id)
WHERE EXISTS (
  SELECT 1 FROM suppressed_external_ids s
  WHERE s.tenant_id = i.tenant_id
    AND s.external_id_digest = sha256(t.id_key || convert_to(i.external_id, 'UTF8')))
)sql");

constexpr char kLockCounting[] = "responses_lock_counting";

// The primary's WAL write position as a byte offset.
constexpr char kCommittedPositionSql[] = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint";

// The twelve array parameters for a subset of the items.
struct ResponseArrays {
  std::string tenant_id, external_id, interaction_id, agent_id, team_id, channel, customer_ref,
      score, comment, interaction_time, response_time, attributes;
};

ResponseArrays BuildArrays(absl::Span<const TenantResponse> items,
                           const std::vector<size_t>& indices) {
  PgArrayLiteral tenant_id, external_id, interaction_id, agent_id, team_id, channel, customer_ref,
      score, comment, interaction_time, response_time, attributes;
  for (size_t index : indices) {
    const core::SurveyResponse& r = *items[index].response;
    tenant_id.Add(static_cast<long long>(items[index].tenant_id));
    external_id.Add(r.external_id);
    interaction_id.Add(r.interaction_id);
    agent_id.Add(r.agent_id);
    team_id.Add(r.team_id);
    channel.Add(static_cast<long long>(r.channel));
    customer_ref.Add(r.customer_ref);
    score.Add(static_cast<long long>(r.score.value_or(-1)));
    comment.Add(r.comment);
    interaction_time.Add(TimestampText(r.interaction_time.value_or(absl::UnixEpoch())));
    response_time.Add(TimestampText(r.response_time.value_or(absl::UnixEpoch())));
    attributes.Add(JsonObjectText(r.attributes));
  }
  return {std::move(tenant_id).Finish(),      std::move(external_id).Finish(),
          std::move(interaction_id).Finish(), std::move(agent_id).Finish(),
          std::move(team_id).Finish(),        std::move(channel).Finish(),
          std::move(customer_ref).Finish(),   std::move(score).Finish(),
          std::move(comment).Finish(),        std::move(interaction_time).Finish(),
          std::move(response_time).Finish(),  std::move(attributes).Finish()};
}

pqxx::result ExecWithArrays(pqxx::work& txn, const char* statement, const ResponseArrays& a) {
  return txn.exec_prepared(statement, a.tenant_id, a.external_id, a.interaction_id, a.agent_id,
                           a.team_id, a.channel, a.customer_ref, a.score, a.comment,
                           a.interaction_time, a.response_time, a.attributes);
}

// Agents to create, as the three array parameters of the insert.
struct AgentArrays {
  std::string tenant_id, agent_id, team_id;
};

constexpr size_t kMaxKnownAgents = 500000;

using Key = std::pair<int64_t, absl::string_view>;

}  // namespace

ResponseStore::ResponseStore(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kInsertResponses, kInsertResponsesSql);
  pool_.Prepare(kCompareResponses, kCompareResponsesSql);
  pool_.Prepare(kSuppressedResponses, kSuppressedResponsesSql);
  pool_.Prepare(kLockCounting, kShareCountingLocksSql);
}

absl::StatusOr<std::vector<WriteResult>> ResponseStore::Write(
    absl::Span<const TenantResponse> items) {
  // The first occurrence of each key is inserted; later ones are compared
  // with what is stored once the insert has run, in the same transaction.
  std::vector<size_t> first, repeats;
  {
    absl::flat_hash_map<Key, size_t> seen;
    for (size_t i = 0; i < items.size(); ++i) {
      Key key{items[i].tenant_id, items[i].response->external_id};
      if (seen.emplace(key, i).second) {
        first.push_back(i);
      } else {
        repeats.push_back(i);
      }
    }
  }
  const ResponseArrays first_arrays = BuildArrays(items, first);
  // Agents not known to exist, each with the team of its first response.
  std::vector<std::pair<int64_t, std::string>> new_agents;
  AgentArrays agent_arrays;
  {
    PgArrayLiteral tenant_ids, agent_ids, team_ids;
    absl::flat_hash_set<std::pair<int64_t, absl::string_view>> listed;
    absl::MutexLock lock(&agents_mu_);
    for (size_t index : first) {
      const int64_t tenant = items[index].tenant_id;
      const core::SurveyResponse& r = *items[index].response;
      if (known_agents_.contains(std::pair<int64_t, std::string>{tenant, r.agent_id}) ||
          !listed.insert({tenant, r.agent_id}).second) {
        continue;
      }
      new_agents.emplace_back(tenant, r.agent_id);
      tenant_ids.Add(static_cast<long long>(tenant));
      agent_ids.Add(r.agent_id);
      team_ids.Add(r.team_id);
    }
    agent_arrays = {std::move(tenant_ids).Finish(), std::move(agent_ids).Finish(),
                    std::move(team_ids).Finish()};
  }

  absl::StatusOr<std::vector<WriteResult>> written = pool_.Run([&](pqxx::connection_base& conn) {
    std::vector<WriteResult> results(items.size(), {WriteOutcome::kAccepted, 0, {}});
    pqxx::work txn(conn);
    txn.exec_prepared(kLockCounting, first_arrays.tenant_id);
    absl::flat_hash_map<Key, int64_t> inserted;
    const ResponseArrays& a = first_arrays;
    const pqxx::result rows = txn.exec_prepared(
        kInsertResponses, a.tenant_id, a.external_id, a.interaction_id, a.agent_id, a.team_id,
        a.channel, a.customer_ref, a.score, a.comment, a.interaction_time, a.response_time,
        a.attributes, agent_arrays.tenant_id, agent_arrays.agent_id, agent_arrays.team_id);
    for (const auto& row : rows) {
      inserted.emplace(Key{row[0].as<int64_t>(), row[1].c_str()}, row[2].as<int64_t>());
    }
    std::vector<size_t> compare = repeats;
    for (size_t i : first) {
      auto it = inserted.find(Key{items[i].tenant_id, items[i].response->external_id});
      if (it == inserted.end()) {
        compare.push_back(i);
      } else {
        results[i] = {WriteOutcome::kAccepted, it->second, {}};
      }
    }
    if (!compare.empty()) {
      for (const auto& row : ExecWithArrays(txn, kCompareResponses, BuildArrays(items, compare))) {
        const size_t index = compare[row[0].as<size_t>() - 1];
        WriteResult& result = results[index];
        result = {WriteOutcome::kDuplicate, row[1].as<int64_t>(), {}};
        for (size_t f = 0; f < std::size(kPayloadFields); ++f) {
          if (row[static_cast<int>(2 + f)].as<bool>()) {
            result.differing_fields.push_back(kPayloadFields[f]);
          }
        }
        if (!result.differing_fields.empty()) result.outcome = WriteOutcome::kConflict;
      }
      std::vector<size_t> missing;
      for (size_t i : compare) {
        if (results[i].response_id == 0) missing.push_back(i);
      }
      if (!missing.empty()) {
        for (const auto& row :
             ExecWithArrays(txn, kSuppressedResponses, BuildArrays(items, missing))) {
          results[missing[row[0].as<size_t>() - 1]].outcome = WriteOutcome::kSuppressed;
        }
      }
    }
    txn.commit();
    // Where a standby shows this write: the WAL written so far, which
    // holds the commit record. Should this fail, the call fails although
    // the write committed, as when a connection drops during COMMIT, and
    // as UNAVAILABLE (in doubt), so that nothing writes the items again
    // here: the client's retry finds the responses stored (duplicates),
    // never twice.
    try {
      const auto committed = static_cast<core::WalPosition>(
          pqxx::nontransaction(conn).exec1(kCommittedPositionSql)[0].as<int64_t>());
      for (WriteResult& result : results) result.visible_from = committed;
    } catch (const std::exception& e) {
      return absl::StatusOr<std::vector<WriteResult>>(absl::UnavailableError(
          absl::StrCat("the responses were stored, but their WAL position could not be read (",
                       e.what(), "); a retry finds them stored")));
    }
    return absl::StatusOr<std::vector<WriteResult>>(std::move(results));
  });
  if (!written.ok()) return written.status();
  {
    // Committed: every agent of the write exists now.
    absl::MutexLock lock(&agents_mu_);
    if (known_agents_.size() + new_agents.size() > kMaxKnownAgents) known_agents_.clear();
    for (auto& agent : new_agents) known_agents_.insert(std::move(agent));
  }
  for (const WriteResult& result : *written) {
    if (result.response_id == 0 && result.outcome != WriteOutcome::kSuppressed) {
      return absl::InternalError("a submitted response was neither stored nor found");
    }
  }
  return written;
}

}  // namespace tnps::storage
