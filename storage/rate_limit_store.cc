#include "storage/rate_limit_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/audit_log.h"
#include "storage/pg_text.h"

namespace tnps::storage {
namespace {

constexpr char kUpsert[] = "rate_limits_upsert";
constexpr char kUpsertSql[] = R"sql(
INSERT INTO tenant_rate_limits
  (tenant_id, calls_per_second, call_burst, rows_per_second, row_burst)
SELECT tenant_id, $2, $3, $4, $5 FROM tenants WHERE name = $1
ON CONFLICT (tenant_id) DO UPDATE SET
  calls_per_second = excluded.calls_per_second, call_burst = excluded.call_burst,
  rows_per_second = excluded.rows_per_second, row_burst = excluded.row_burst,
  updated_at = now()
RETURNING tenant_id)sql";
constexpr char kSelect[] = "rate_limits_of_tenant";
constexpr char kSelectSql[] = R"sql(
SELECT l.calls_per_second, l.call_burst, l.rows_per_second, l.row_burst
FROM tenants t LEFT JOIN tenant_rate_limits l USING (tenant_id)
WHERE t.name = $1)sql";
constexpr char kDelete[] = "rate_limits_delete";
constexpr char kDeleteSql[] = R"sql(
WITH tenant AS (SELECT tenant_id FROM tenants WHERE name = $1),
     gone AS (DELETE FROM tenant_rate_limits WHERE tenant_id IN (SELECT tenant_id FROM tenant))
SELECT tenant_id FROM tenant)sql";

absl::Status NoTenant(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("no tenant named ", name));
}

}  // namespace

RateLimitStore::RateLimitStore(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kUpsert, kUpsertSql);
  pool_.Prepare(kSelect, kSelectSql);
  pool_.Prepare(kDelete, kDeleteSql);
}

absl::Status RateLimitStore::Set(absl::string_view tenant_name, const core::RateLimits& limits) {
  if (std::optional<std::string> problem = core::RateLimitsProblem(limits)) {
    return absl::InvalidArgumentError(*problem);
  }
  return pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    const pqxx::result r =
        txn.exec_prepared(kUpsert, std::string(tenant_name), limits.calls_per_second,
                          limits.call_burst, limits.rows_per_second, limits.row_burst);
    if (r.empty()) return NoTenant(tenant_name);
    AppendAudit(txn, {.tenant_id = r[0][0].as<int64_t>(),
                      .action = "rate_limit.set",
                      .target = std::string(tenant_name),
                      .summary_json = JsonObjectText(
                          {{"calls_per_second", absl::StrCat(limits.calls_per_second)},
                           {"call_burst", absl::StrCat(limits.call_burst)},
                           {"rows_per_second", absl::StrCat(limits.rows_per_second)},
                           {"row_burst", absl::StrCat(limits.row_burst)}})});
    txn.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<core::RateLimits>> RateLimitStore::Get(absl::string_view tenant_name) {
  return pool_.Run(
      [&](pqxx::connection_base& conn) -> absl::StatusOr<std::optional<core::RateLimits>> {
        pqxx::read_transaction txn(conn);
        pqxx::result r = txn.exec_prepared(kSelect, std::string(tenant_name));
        if (r.empty()) return NoTenant(tenant_name);
        if (r[0][0].is_null()) return std::nullopt;
        return core::RateLimits{r[0][0].as<double>(), r[0][1].as<int64_t>(), r[0][2].as<double>(),
                                r[0][3].as<int64_t>()};
      });
}

absl::Status RateLimitStore::Clear(absl::string_view tenant_name) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    const pqxx::result r = txn.exec_prepared(kDelete, std::string(tenant_name));
    if (r.empty()) return NoTenant(tenant_name);
    AppendAudit(txn, {.tenant_id = r[0][0].as<int64_t>(),
                      .action = "rate_limit.clear",
                      .target = std::string(tenant_name)});
    txn.commit();
    return absl::OkStatus();
  });
}

}  // namespace tnps::storage
