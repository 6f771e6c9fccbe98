#include "storage/response_records.h"

#include <algorithm>
#include <pqxx/pqxx>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/alert_store.h"
#include "storage/audit_log.h"
#include "storage/pg_text.h"
#include "storage/response_counting.h"

namespace tnps::storage {
namespace {

// The columns StoredResponseFromRow reads, from `responses r` left-joined
// with `excluded_agents e`. Attributes come as one array of key, value,
// key, value...
constexpr char kColumns[] = R"sql(
  r.response_id, r.external_id, r.interaction_id, r.agent_id, r.team_id, r.channel,
  r.customer_ref, r.score, r.comment,
  (extract(epoch FROM r.interaction_time) * 1000000)::bigint,
  (extract(epoch FROM r.response_time) * 1000000)::bigint,
  (extract(epoch FROM r.received_at) * 1000000)::bigint,
  (extract(epoch FROM r.changed_at) * 1000000)::bigint,
  (extract(epoch FROM r.redacted_at) * 1000000)::bigint,
  r.version, r.excluded OR e.agent_id IS NOT NULL,
  CASE WHEN r.excluded THEN r.exclusion_reason ELSE coalesce(e.reason, '') END,
  r.changed_xid::text,
  ARRAY(SELECT x FROM jsonb_each_text(r.attributes) AS j(k, v)
        CROSS JOIN LATERAL unnest(ARRAY[k, v]) WITH ORDINALITY AS u(x, n)
        ORDER BY k COLLATE "C", n)
FROM responses r
LEFT JOIN excluded_agents e ON e.tenant_id = r.tenant_id AND e.agent_id = r.agent_id)sql";

absl::Time MicrosToTime(const pqxx::field& f) { return absl::FromUnixMicros(f.as<int64_t>()); }

StoredResponse StoredResponseFromRow(const pqxx::row& row) {
  StoredResponse out;
  out.response_id = row[0].as<int64_t>();
  core::SurveyResponse& r = out.response;
  r.external_id = row[1].as<std::string>();
  r.interaction_id = row[2].as<std::string>();
  r.agent_id = row[3].as<std::string>();
  r.team_id = row[4].as<std::string>();
  r.channel = row[5].as<int>();
  r.customer_ref = row[6].as<std::string>();
  r.score = row[7].as<int>();
  r.comment = row[8].as<std::string>();
  r.interaction_time = MicrosToTime(row[9]);
  r.response_time = MicrosToTime(row[10]);
  out.received_at = MicrosToTime(row[11]);
  out.changed_at = MicrosToTime(row[12]);
  if (!row[13].is_null()) out.redacted_at = MicrosToTime(row[13]);
  out.version = row[14].as<int64_t>();
  out.excluded = row[15].as<bool>();
  out.exclusion_reason = row[16].as<std::string>();
  if (!row[17].is_null()) out.change_xid = row[17].as<std::string>();
  pqxx::array_parser attributes = row[18].as_array();
  std::optional<std::string> key;
  for (auto [juncture, value] = attributes.get_next(); juncture != pqxx::array_parser::done;
       std::tie(juncture, value) = attributes.get_next()) {
    if (juncture != pqxx::array_parser::string_value) continue;
    if (key) {
      r.attributes.emplace_back(*std::move(key), std::move(value));
      key.reset();
    } else {
      key = std::move(value);
    }
  }
  return out;
}

std::vector<StoredResponse> StoredResponsesFromResult(const pqxx::result& result) {
  std::vector<StoredResponse> out;
  out.reserve(result.size());
  for (const auto& row : result) out.push_back(StoredResponseFromRow(row));
  return out;
}

// Positional parameters of a statement built piece by piece.
class Params {
 public:
  std::string Add(std::string value) {
    values_.push_back(std::move(value));
    return absl::StrCat("$", values_.size());
  }
  const std::vector<std::string>& values() const { return values_; }

 private:
  std::vector<std::string> values_;
};

std::string SampleJson(const std::vector<std::string>& ids) {
  std::vector<std::string> sample(ids.begin(), ids.begin() + std::min<size_t>(ids.size(), 5));
  return absl::StrCat("[\"", absl::StrJoin(sample, "\",\""), "\"]");
}

}  // namespace

std::vector<StoredResponse> StoredResponsesById(
    pqxx::transaction_base& txn, const std::vector<std::pair<int64_t, int64_t>>& ids) {
  PgArrayLiteral tenants, responses;
  for (const auto& [tenant_id, response_id] : ids) {
    tenants.Add(static_cast<long long>(tenant_id));
    responses.Add(static_cast<long long>(response_id));
  }
  // By the primary key (tenant, id): the id alone is not indexed.
  return StoredResponsesFromResult(txn.exec_params(
      absl::StrCat("SELECT", kColumns,
                   " WHERE (r.tenant_id, r.response_id) IN (SELECT * FROM unnest($1::bigint[], "
                   "$2::bigint[]))"),
      std::move(tenants).Finish(), std::move(responses).Finish()));
}

ResponseRecords::ResponseRecords(ConnectionPool& pool) : pool_(pool) {}

absl::StatusOr<StoredResponse> ResponseRecords::Get(int64_t tenant_id,
                                                    const std::string& external_id) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<StoredResponse> {
    pqxx::read_transaction txn(conn);
    const pqxx::result rows = txn.exec_params(
        absl::StrCat("SELECT", kColumns, " WHERE r.tenant_id = $1 AND r.external_id = $2"),
        tenant_id, external_id);
    if (rows.empty()) {
      return absl::NotFoundError(absl::StrCat("no response with external_id ", external_id));
    }
    return StoredResponseFromRow(rows[0]);
  });
}

absl::StatusOr<std::vector<StoredResponse>> ResponseRecords::List(const ResponseListQuery& query) {
  const RollupFilter& f = query.filter;
  Params params;
  const std::string tenant = params.Add(absl::StrCat(f.tenant_id));
  const std::string first = params.Add(DateText(f.days.first));
  const std::string last = params.Add(DateText(f.days.last));
  // The local days as a range of instants (so that the index on
  // interaction_time serves it), and exactly.
  std::string sql = absl::StrCat(
      "SELECT", kColumns, " WHERE r.tenant_id = ", tenant, " AND r.interaction_time >= (", first,
      "::date::timestamp AT TIME ZONE (SELECT time_zone FROM tenants WHERE tenant_id = ", tenant,
      ")) AND r.interaction_time < ((", last,
      "::date + 1)::timestamp AT TIME ZONE (SELECT time_zone FROM tenants WHERE tenant_id = ",
      tenant, ")) AND r.local_day BETWEEN ", first, "::date AND ", last, "::date");
  if (query.min_score > 0 || query.max_score < 10) {
    absl::StrAppend(&sql, " AND r.score BETWEEN ", params.Add(absl::StrCat(query.min_score)),
                    "::smallint AND ", params.Add(absl::StrCat(query.max_score)), "::smallint");
  }
  if (!f.agent_ids.empty()) {
    absl::StrAppend(&sql, " AND r.agent_id = ANY(", params.Add(TextArrayLiteral(f.agent_ids)),
                    "::text[])");
  }
  if (!f.team_ids.empty()) {
    absl::StrAppend(&sql, " AND r.team_id = ANY(", params.Add(TextArrayLiteral(f.team_ids)),
                    "::text[])");
  }
  if (!f.channels.empty()) {
    PgArrayLiteral channels;
    for (int c : f.channels) channels.Add(static_cast<long long>(c));
    absl::StrAppend(&sql, " AND r.channel = ANY(", params.Add(std::move(channels).Finish()),
                    "::smallint[])");
  }
  for (int64_t cohort : f.cohort_ids) {
    absl::StrAppend(&sql,
                    " AND r.agent_id IN (SELECT agent_id FROM training_enrollments WHERE "
                    "tenant_id = ",
                    tenant, " AND cohort_id = ", params.Add(absl::StrCat(cohort)), "::bigint)");
  }
  if (!query.customer_ref.empty()) {
    absl::StrAppend(&sql, " AND r.customer_ref = ", params.Add(query.customer_ref),
                    " AND r.customer_ref <> ''");
  }
  if (query.response_from) {
    absl::StrAppend(&sql,
                    " AND r.response_time >= ", params.Add(TimestampText(*query.response_from)),
                    "::timestamptz");
  }
  if (query.response_before) {
    absl::StrAppend(&sql, " AND r.response_time < ",
                    params.Add(TimestampText(*query.response_before)), "::timestamptz");
  }
  switch (query.exclusion) {
    case ExclusionFilter::kAny:
      break;
    case ExclusionFilter::kIncluded:
      absl::StrAppend(&sql, " AND NOT r.excluded AND e.agent_id IS NULL");
      break;
    case ExclusionFilter::kExcludedItself:
      absl::StrAppend(&sql, " AND r.excluded");
      break;
  }
  const char* direction = query.newest_first ? "DESC" : "ASC";
  if (query.after) {
    absl::StrAppend(&sql, " AND (r.interaction_time, r.response_id) ",
                    query.newest_first ? "<" : ">", " (",
                    params.Add(TimestampText(query.after->interaction_time)), "::timestamptz, ",
                    params.Add(absl::StrCat(query.after->response_id)), "::bigint)");
  }
  absl::StrAppend(&sql, " ORDER BY r.interaction_time ", direction, ", r.response_id ", direction,
                  " LIMIT ", params.Add(absl::StrCat(query.limit)), "::integer");
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<StoredResponse>> {
    pqxx::read_transaction txn(conn);
    for (int64_t cohort : f.cohort_ids) {
      if (txn.exec_params("SELECT 1 FROM training_cohorts WHERE tenant_id = $1 AND "
                          "cohort_id = $2",
                          f.tenant_id, cohort)
              .empty()) {
        return absl::NotFoundError(absl::StrCat("no training cohort ", cohort));
      }
    }
    return StoredResponsesFromResult(
        txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params.values())));
  });
}

absl::StatusOr<std::string> ResponseRecords::CurrentSnapshot() {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<std::string> {
    pqxx::read_transaction txn(conn);
    return txn.exec("SELECT pg_current_snapshot()::text")[0][0].as<std::string>();
  });
}

absl::StatusOr<ExportPage> ResponseRecords::Export(int64_t tenant_id, const ExportSince& since,
                                                   const std::string& until_snapshot,
                                                   const ExportPosition& from, int limit) {
  ExportPosition position = from;
  // Responses stored before changes were tracked are older than any
  // snapshot an export can start from.
  if (position.phase == ExportPhase::kUntracked && since.kind == ExportSince::Kind::kSnapshot) {
    position = {ExportPhase::kChanged, "0", 0};
  }
  if (position.phase == ExportPhase::kRemovals && since.kind == ExportSince::Kind::kEverything) {
    position = {ExportPhase::kDone, "0", 0};
  }
  ExportPage page;
  page.phase = position.phase;
  page.next = position;
  if (position.phase == ExportPhase::kDone) return page;

  // Parameters are numbered as the statement first uses them: PostgreSQL
  // refuses one it cannot type because the statement never uses it.
  Params params;
  const auto lazy = [&params](std::string value) {
    return [&params, value = std::move(value), name = std::string()]() mutable {
      if (name.empty()) name = params.Add(value);
      return name;
    };
  };
  const std::string tenant = params.Add(absl::StrCat(tenant_id));
  auto until_param = lazy(until_snapshot);
  auto after_xid_param = lazy(position.xid);
  auto after_id_param = lazy(absl::StrCat(position.id));
  auto since_time_param = lazy(TimestampText(since.time));
  auto since_snapshot_param = lazy(since.snapshot);
  auto limit_param = lazy(absl::StrCat(limit));
  // Changes by transactions after `since` (a snapshot, or the last xid mark
  // before a time) and visible in `until`.
  const auto xid_window = [&](absl::string_view column) {
    const std::string until = until_param();
    std::string window = absl::StrCat(" AND ", column, " < pg_snapshot_xmax(", until,
                                      "::pg_snapshot) AND pg_visible_in_snapshot(", column, ", ",
                                      until, "::pg_snapshot)");
    if (since.kind == ExportSince::Kind::kSnapshot) {
      const std::string snapshot = since_snapshot_param();
      absl::StrAppend(&window, " AND ", column, " >= pg_snapshot_xmin(", snapshot,
                      "::pg_snapshot) AND NOT pg_visible_in_snapshot(", column, ", ", snapshot,
                      "::pg_snapshot)");
    } else if (since.kind == ExportSince::Kind::kTime) {
      absl::StrAppend(
          &window, " AND ", column,
          " >= coalesce((SELECT oldest_xid FROM xid_marks WHERE marked_at <= ", since_time_param(),
          "::timestamptz ORDER BY marked_at DESC LIMIT 1), '0'::xid8)");
    }
    return window;
  };

  std::string sql;
  switch (position.phase) {
    case ExportPhase::kUntracked:
      sql = absl::StrCat("SELECT", kColumns, " WHERE r.tenant_id = ", tenant,
                         " AND r.changed_xid IS NULL AND r.response_id > ", after_id_param(),
                         "::bigint");
      if (since.kind == ExportSince::Kind::kTime) {
        absl::StrAppend(&sql, " AND r.changed_at >= ", since_time_param(), "::timestamptz");
      }
      absl::StrAppend(&sql, " ORDER BY r.response_id LIMIT ", limit_param(), "::integer");
      break;
    case ExportPhase::kChanged:
      // NULLS FIRST as in the index, which then yields the rows in order.
      sql = absl::StrCat("SELECT", kColumns, " WHERE r.tenant_id = ", tenant,
                         " AND (r.changed_xid, r.response_id) > (", after_xid_param(), "::xid8, ",
                         after_id_param(), "::bigint)", xid_window("r.changed_xid"));
      if (since.kind == ExportSince::Kind::kTime) {
        absl::StrAppend(&sql, " AND r.changed_at >= ", since_time_param(), "::timestamptz");
      }
      absl::StrAppend(&sql, " ORDER BY r.changed_xid NULLS FIRST, r.response_id LIMIT ",
                      limit_param(), "::integer");
      break;
    case ExportPhase::kRemovals:
      sql = absl::StrCat(
          "SELECT response_id, (extract(epoch FROM removed_at) * 1000000)::bigint, reason, "
          "removed_xid::text FROM response_tombstones WHERE tenant_id = ",
          tenant, " AND (removed_xid, response_id) > (", after_xid_param(), "::xid8, ",
          after_id_param(), "::bigint)", xid_window("removed_xid"));
      if (since.kind == ExportSince::Kind::kTime) {
        absl::StrAppend(&sql, " AND removed_at >= ", since_time_param(), "::timestamptz");
      }
      absl::StrAppend(&sql, " ORDER BY removed_xid, response_id LIMIT ", limit_param(),
                      "::integer");
      break;
    case ExportPhase::kDone:
      break;
  }
  absl::StatusOr<pqxx::result> result =
      pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<pqxx::result> {
        pqxx::read_transaction txn(conn);
        return txn.exec_params(sql, pqxx::prepare::make_dynamic_params(params.values()));
      });
  if (!result.ok()) return result.status();
  if (position.phase == ExportPhase::kRemovals) {
    for (const auto& row : *result) {
      page.removals.push_back({row[0].as<int64_t>(), MicrosToTime(row[1]), row[2].as<std::string>(),
                               row[3].as<std::string>()});
    }
    if (!page.removals.empty()) {
      page.next = {ExportPhase::kRemovals, page.removals.back().xid,
                   page.removals.back().response_id};
    }
  } else {
    page.responses = StoredResponsesFromResult(*result);
    if (!page.responses.empty()) {
      const StoredResponse& last = page.responses.back();
      page.next = {position.phase, last.change_xid.empty() ? "0" : last.change_xid,
                   last.response_id};
    }
  }
  if (static_cast<int>(result->size()) < limit) {
    // The phase is exhausted: the next page starts the next phase.
    page.next = {static_cast<ExportPhase>(static_cast<int>(position.phase) + 1), "0", 0};
  }
  return page;
}

absl::StatusOr<AmendResult> ResponseRecords::Amend(const AmendRequest& request) {
  const std::string attributes =
      request.attributes ? JsonObjectText(*request.attributes) : std::string("{}");
  const std::string expected =
      request.expected_version ? absl::StrCat(*request.expected_version) : std::string();
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<AmendResult> {
    pqxx::work txn(conn);
    // An amendment raises response.updated for the subscriptions the
    // amended response matches.
    // Changed attributes move the response's attribute counts: the old
    // values' out, the new ones' in, decided under both locks like any
    // other statement that moves counts.
    LockCounting(txn, request.tenant_id, /*exclusive=*/false);
    LockAttributes(txn, request.tenant_id, /*exclusive=*/false);
    // The row first, in a statement of its own: the next statement's
    // snapshot then has its latest version, which no one can change
    // before this transaction ends, so `before` below is what the update
    // replaces.
    txn.exec_params("SELECT 1 FROM responses WHERE tenant_id = $1 AND external_id = $2 FOR UPDATE",
                    request.tenant_id, request.external_id);
    const pqxx::result updated = txn.exec_params(
        absl::StrCat(R"sql(
WITH before AS (
  SELECT r.tenant_id, r.response_id, r.local_day, r.agent_id, r.team_id, r.channel, r.score,
         r.attributes, r.excluded
  FROM responses r WHERE r.tenant_id = $1 AND r.external_id = $2
),
amended AS (
  UPDATE responses r
  SET comment = CASE WHEN $3 THEN $4 ELSE r.comment END,
      attributes = CASE WHEN $5 THEN $6::jsonb ELSE r.attributes END,
      version = r.version + 1, changed_at = now(), changed_xid = pg_current_xact_id()
  WHERE r.tenant_id = $1 AND r.external_id = $2
    AND (($3 AND r.comment <> $4) OR ($5 AND r.attributes <> $6::jsonb))
    AND (NULLIF($7, '') IS NULL OR r.version = NULLIF($7, '')::bigint)
  RETURNING r.tenant_id, r.response_id, r.local_day, r.agent_id, r.team_id, r.channel,
            r.score, r.attributes, r.excluded
),
moved_out AS (
  SELECT b.*, EXISTS (SELECT 1 FROM excluded_agents e
                      WHERE e.tenant_id = b.tenant_id AND e.agent_id = b.agent_id) AS agent_excluded
  FROM before b JOIN amended a USING (tenant_id, response_id)
  WHERE NOT b.excluded AND b.attributes <> a.attributes
),
moved_in AS (
  SELECT a.*, o.agent_excluded FROM amended a JOIN moved_out o USING (tenant_id, response_id)
))sql",
                     MoveAttributeCountsCtes("moved_out", -1),
                     MoveAttributeCountsCtes("moved_in", +1),
                     RaiseAlertEventsCte("amended", "response.updated"), R"sql(
SELECT response_id FROM amended)sql"),
        request.tenant_id, request.external_id, request.comment.has_value(),
        request.comment.value_or(""), request.attributes.has_value(), attributes, expected);
    const pqxx::result rows = txn.exec_params(
        absl::StrCat("SELECT", kColumns, " WHERE r.tenant_id = $1 AND r.external_id = $2"),
        request.tenant_id, request.external_id);
    if (rows.empty()) {
      return absl::NotFoundError(
          absl::StrCat("no response with external_id ", request.external_id));
    }
    AmendResult result{StoredResponseFromRow(rows[0]), !updated.empty()};
    if (!result.changed) {
      const bool in_place =
          (!request.comment || *request.comment == result.response.response.comment) &&
          (!request.attributes || *request.attributes == result.response.response.attributes);
      if (!in_place) {
        return absl::AbortedError(
            absl::StrCat("the response is at version ", result.response.version, ", not ",
                         request.expected_version.value_or(0), "; read it again and retry"));
      }
    }
    txn.commit();
    return result;
  });
}

absl::StatusOr<EraseResult> ResponseRecords::Erase(const EraseRequest& request) {
  const bool by_customer = !request.customer_ref.empty();
  const std::string selector = by_customer ? "r.customer_ref = $2 AND r.customer_ref <> ''"
                                           : "r.external_id = ANY($2::text[])";
  const std::string to_suppress =
      by_customer ? "SELECT external_id FROM gone" : "SELECT DISTINCT unnest($2::text[])";
  const std::string sql = absl::StrCat(R"sql(
WITH gone AS (
  DELETE FROM responses r WHERE r.tenant_id = $1 AND )sql",
                                       selector, R"sql(
  RETURNING r.tenant_id, r.response_id, r.external_id, r.local_day, r.agent_id, r.team_id,
            r.channel, r.score, r.attributes, r.excluded
))sql",
                                       RemovedResponsesCtes("erasure"), R"sql(,
suppressed AS (
  INSERT INTO suppressed_external_ids (tenant_id, external_id_digest)
  SELECT t.tenant_id, sha256(t.id_key || convert_to(x.external_id, 'UTF8'))
  FROM ()sql",
                                       to_suppress, R"sql() AS x(external_id)
  JOIN tenants t ON t.tenant_id = $1
  WHERE $3
  ON CONFLICT DO NOTHING
)
SELECT count(*) FROM gone)sql");
  std::vector<std::string> ids = request.external_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const std::string selector_value = by_customer ? request.customer_ref : TextArrayLiteral(ids);
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<EraseResult> {
    pqxx::work txn(conn);
    LockCounting(txn, request.tenant_id, /*exclusive=*/false);
    LockAttributes(txn, request.tenant_id, /*exclusive=*/false);
    EraseResult result;
    result.erased =
        txn.exec_params1(sql, request.tenant_id, selector_value, request.suppress_resubmission)[0]
            .as<int64_t>();
    if (!by_customer) result.not_found = static_cast<int64_t>(ids.size()) - result.erased;
    std::vector<std::pair<std::string, std::string>> summary = {
        {"erased", absl::StrCat(result.erased)},
        {"suppress_resubmission", request.suppress_resubmission ? "true" : "false"},
        {"request_reference", request.request_reference}};
    if (!by_customer) summary.push_back({"external_ids", absl::StrCat(ids.size())});
    AppendAudit(txn, {.tenant_id = request.tenant_id,
                      .action = "responses.erase",
                      .target = by_customer ? "customer" : "external_ids",
                      .summary_json = JsonObjectText(summary)});
    txn.commit();
    return result;
  });
}

absl::StatusOr<bool> ResponseRecords::SetAgentExclusion(int64_t tenant_id,
                                                        const std::string& agent_id, bool excluded,
                                                        const std::string& reason) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<bool> {
    pqxx::work txn(conn);
    // Exclusive: no write may decide where an agent's counts go while they
    // move.
    LockCounting(txn, tenant_id, /*exclusive=*/true);
    LockAttributes(txn, tenant_id, /*exclusive=*/false);
    if (txn.exec_params("SELECT 1 FROM agents WHERE tenant_id = $1 AND agent_id = $2", tenant_id,
                        agent_id)
            .empty()) {
      return absl::NotFoundError(absl::StrCat(
          "no agent ", agent_id, "; agents exist once ingested or synced with UpsertAgents"));
    }
    if (excluded) {
      if (txn.exec_params("INSERT INTO excluded_agents (tenant_id, agent_id, reason, excluded_by) "
                          "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
                          tenant_id, agent_id, reason, CurrentAuditActor())
              .empty()) {
        return false;
      }
      // Its counts, compacted and pending, leave the rollups for
      // excluded_agent_counts.
      txn.exec_params(R"sql(
WITH cells AS (
  SELECT local_day, team_id, channel,
         sum(promoters) AS p, sum(passives) AS s, sum(detractors) AS d
  FROM (SELECT local_day, team_id, channel, promoters, passives, detractors
        FROM daily_rollups WHERE tenant_id = $1 AND agent_id = $2
        UNION ALL
        SELECT local_day, team_id, channel, promoters, passives, detractors
        FROM rollup_changes WHERE tenant_id = $1 AND agent_id = $2) c
  GROUP BY local_day, team_id, channel
  HAVING sum(promoters) <> 0 OR sum(passives) <> 0 OR sum(detractors) <> 0
),
out_of_rollups AS (
  INSERT INTO rollup_changes (tenant_id, local_day, agent_id, team_id, channel,
                              promoters, passives, detractors)
  SELECT $1, local_day, $2, team_id, channel, -p, -s, -d FROM cells
  ORDER BY local_day, team_id, channel
)
INSERT INTO excluded_agent_counts AS c (tenant_id, agent_id, local_day, team_id, channel,
                                        promoters, passives, detractors)
SELECT $1, $2, local_day, team_id, channel, p, s, d FROM cells
ORDER BY local_day, team_id, channel
ON CONFLICT (tenant_id, agent_id, local_day, team_id, channel) DO UPDATE
SET promoters = c.promoters + excluded.promoters, passives = c.passives + excluded.passives,
    detractors = c.detractors + excluded.detractors)sql",
                      tenant_id, agent_id);
      // Its attribute counts leave too; they are recounted from its
      // responses if it is included again.
      txn.exec_params(R"sql(
INSERT INTO attribute_changes (tenant_id, attr_key, attr_value, local_day, agent_id, team_id,
                               channel, promoters, passives, detractors)
SELECT $1, attr_key, attr_value, local_day, $2, team_id, channel, -sum(promoters),
       -sum(passives), -sum(detractors)
FROM (SELECT attr_key, attr_value, local_day, team_id, channel, promoters, passives, detractors
      FROM attribute_rollups WHERE tenant_id = $1 AND agent_id = $2
      UNION ALL
      SELECT attr_key, attr_value, local_day, team_id, channel, promoters, passives, detractors
      FROM attribute_changes WHERE tenant_id = $1 AND agent_id = $2) c
GROUP BY attr_key, attr_value, local_day, team_id, channel
HAVING sum(promoters) <> 0 OR sum(passives) <> 0 OR sum(detractors) <> 0
ORDER BY attr_key, attr_value, local_day, team_id, channel)sql",
                      tenant_id, agent_id);
    } else {
      if (txn.exec_params("DELETE FROM excluded_agents WHERE tenant_id = $1 AND agent_id = $2 "
                          "RETURNING 1",
                          tenant_id, agent_id)
              .empty()) {
        return false;
      }
      txn.exec_params(R"sql(
WITH moved AS (
  DELETE FROM excluded_agent_counts WHERE tenant_id = $1 AND agent_id = $2
  RETURNING local_day, team_id, channel, promoters, passives, detractors
)
INSERT INTO rollup_changes (tenant_id, local_day, agent_id, team_id, channel,
                            promoters, passives, detractors)
SELECT $1, local_day, $2, team_id, channel, promoters, passives, detractors FROM moved
WHERE promoters <> 0 OR passives <> 0 OR detractors <> 0
ORDER BY local_day, team_id, channel)sql",
                      tenant_id, agent_id);
      // Its attribute counts, from its covered responses.
      txn.exec_params(absl::StrCat(R"sql(
WITH covered AS (
  SELECT tenant_id, response_id, local_day, agent_id, team_id, channel, score, attributes,
         false AS agent_excluded
  FROM responses
  WHERE tenant_id = $1 AND agent_id = $2 AND NOT excluded AND attributes <> '{}'::jsonb
))sql",
                                   MoveAttributeCountsCtes("covered", +1), R"sql(
SELECT 1)sql"),
                      tenant_id, agent_id);
    }
    std::vector<std::pair<std::string, std::string>> summary;
    if (excluded) summary.push_back({"reason", reason});
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = excluded ? "agent.exclude" : "agent.include",
                      .target = agent_id,
                      .summary_json = JsonObjectText(summary)});
    txn.commit();
    return true;
  });
}

absl::StatusOr<ResponseExclusionResult> ResponseRecords::SetResponseExclusion(
    int64_t tenant_id, const std::vector<std::string>& external_ids, bool excluded,
    const std::string& reason) {
  std::vector<std::string> ids = external_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  // Excluding takes counts away; including adds them back.
  const std::string sql = absl::StrCat(
      R"sql(
WITH changed AS (
  UPDATE responses r
  SET excluded = $3, exclusion_reason = $4, version = r.version + 1, changed_at = now(),
      changed_xid = pg_current_xact_id()
  WHERE r.tenant_id = $1 AND r.external_id = ANY($2::text[]) AND r.excluded <> $3
  RETURNING r.tenant_id, r.response_id, r.local_day, r.agent_id, r.team_id, r.channel, r.score,
            r.attributes
))sql",
      MoveCountsCtes("changed", excluded ? -1 : +1), R"sql(
SELECT count(*) FROM changed)sql");
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<ResponseExclusionResult> {
    pqxx::work txn(conn);
    LockCounting(txn, tenant_id, /*exclusive=*/false);
    LockAttributes(txn, tenant_id, /*exclusive=*/false);
    ResponseExclusionResult result;
    const std::string array = TextArrayLiteral(ids);
    result.changed =
        txn.exec_params1(sql, tenant_id, array, excluded, excluded ? reason : "")[0].as<int64_t>();
    result.not_found =
        txn.exec_params1(
               "SELECT count(*) FROM unnest($2::text[]) AS i(id) WHERE NOT EXISTS "
               "(SELECT 1 FROM responses WHERE tenant_id = $1 AND external_id = i.id)",
               tenant_id, array)[0]
            .as<int64_t>();
    std::vector<std::pair<std::string, std::string>> summary = {
        {"changed", absl::StrCat(result.changed)}, {"external_ids", SampleJson(ids)}};
    if (excluded) summary.push_back({"reason", reason});
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = excluded ? "responses.exclude" : "responses.include",
                      .target = absl::StrCat(ids.size(), " external_ids"),
                      .summary_json = JsonObjectText(summary)});
    txn.commit();
    return result;
  });
}

absl::StatusOr<std::vector<AgentExclusion>> ResponseRecords::ListAgentExclusions(
    int64_t tenant_id, const std::string& after, int limit) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<AgentExclusion>> {
    pqxx::read_transaction txn(conn);
    std::vector<AgentExclusion> out;
    for (const auto& row : txn.exec_params(
             "SELECT agent_id, reason, (extract(epoch FROM excluded_at) * 1000000)::bigint, "
             "excluded_by FROM excluded_agents WHERE tenant_id = $1 AND agent_id > $2 "
             "ORDER BY agent_id LIMIT $3",
             tenant_id, after, limit)) {
      out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), MicrosToTime(row[2]),
                     row[3].as<std::string>()});
    }
    return out;
  });
}

}  // namespace tnps::storage
