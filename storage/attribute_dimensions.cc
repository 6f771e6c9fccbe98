#include "storage/attribute_dimensions.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/audit_log.h"
#include "storage/pg_text.h"
#include "storage/response_counting.h"
#include "storage/rollup_compactor.h"

namespace tnps::storage {

AttributeDimensions::AttributeDimensions(ConnectionPool& pool) : pool_(pool) {}

absl::StatusOr<bool> AttributeDimensions::Declare(int64_t tenant_id, const std::string& key) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<bool> {
    pqxx::work txn(conn);
    // Exclusive, for the time of this statement only: no write of the
    // tenant is in flight, so every response written before has an id below
    // counted_from, and every later one sees the key and is counted as it
    // is written.
    LockCounting(txn, tenant_id, /*exclusive=*/true);
    const pqxx::result existing = txn.exec_params(
        "SELECT count(*), count(*) FILTER (WHERE attr_key = $2) FROM attribute_dimensions "
        "WHERE tenant_id = $1",
        tenant_id, key);
    if (existing[0][1].as<int64_t>() > 0) return false;
    if (existing[0][0].as<int64_t>() >= kMaxAttributeDimensions) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot declare \"", key, "\": the tenant has ", kMaxAttributeDimensions,
                       " attribute dimensions, the limit; remove one before declaring another"));
    }
    // With no earlier response there is nothing to back-fill.
    txn.exec_params(R"sql(
INSERT INTO attribute_dimensions (tenant_id, attr_key, counted_from, backfilled_below,
                                  backfill_done_at)
SELECT $1, $2, m.next, CASE WHEN m.any THEN 0 ELSE m.next END,
       CASE WHEN m.any THEN NULL ELSE now() END
FROM (SELECT coalesce(max(response_id), 0) + 1 AS next, count(*) > 0 AS any
      FROM (SELECT response_id FROM responses WHERE tenant_id = $1
            ORDER BY response_id DESC LIMIT 1) r) m)sql",
                    tenant_id, key);
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = "attribute_dimension.declare",
                      .target = key,
                      .summary_json = "{}"});
    txn.commit();
    return true;
  });
}

absl::StatusOr<std::vector<AttributeDimension>> AttributeDimensions::List(int64_t tenant_id) {
  return pool_.Run(
      [&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<AttributeDimension>> {
        pqxx::read_transaction txn(conn);
        std::vector<AttributeDimension> out;
        for (const auto& row : txn.exec_params(
                 "SELECT attr_key, (extract(epoch FROM declared_at) * 1000000)::bigint, "
                 "backfilled_below >= counted_from, backfilled_responses, "
                 "(extract(epoch FROM backfill_done_at) * 1000000)::bigint "
                 "FROM attribute_dimensions WHERE tenant_id = $1 ORDER BY declared_at, attr_key",
                 tenant_id)) {
          AttributeDimension d;
          d.key = row[0].as<std::string>();
          d.declared_at = absl::FromUnixMicros(row[1].as<int64_t>());
          d.ready = row[2].as<bool>();
          d.backfilled_responses = row[3].as<int64_t>();
          d.backfill_done_at =
              row[4].is_null() ? absl::InfinitePast() : absl::FromUnixMicros(row[4].as<int64_t>());
          out.push_back(std::move(d));
        }
        return out;
      });
}

absl::Status AttributeDimensions::Remove(int64_t tenant_id, const std::string& key) {
  return pool_
      .Run([&](pqxx::connection_base& conn) -> absl::StatusOr<bool> {
        pqxx::work txn(conn);
        // No compaction round or back-fill batch may fold the key's rows
        // while they go (first, as a back-fill takes it before the
        // attribute lock), and no statement may count the key.
        txn.exec_params("SELECT pg_advisory_xact_lock($1)", kCompactionLock);
        LockCounting(txn, tenant_id, /*exclusive=*/true);
        LockAttributes(txn, tenant_id, /*exclusive=*/true);
        if (txn.exec_params("DELETE FROM attribute_dimensions WHERE tenant_id = $1 AND "
                            "attr_key = $2 RETURNING 1",
                            tenant_id, key)
                .empty()) {
          return absl::NotFoundError(absl::StrCat("no attribute dimension \"", key, "\""));
        }
        for (const char* table :
             {"attribute_changes", "attribute_rollups", "attribute_team_days", "attribute_days"}) {
          txn.exec_params(
              absl::StrCat("DELETE FROM ", table, " WHERE tenant_id = $1 AND attr_key = $2"),
              tenant_id, key);
        }
        AppendAudit(txn, {.tenant_id = tenant_id,
                          .action = "attribute_dimension.remove",
                          .target = key,
                          .summary_json = "{}"});
        txn.commit();
        return true;
      })
      .status();
}

}  // namespace tnps::storage
