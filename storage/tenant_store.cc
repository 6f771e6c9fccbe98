#include "storage/tenant_store.h"

#include <optional>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "core/time_zone_name.h"
#include "storage/audit_log.h"
#include "storage/pg_text.h"

namespace tnps::storage {
namespace {

constexpr char kPgKnowsZone[] = "tenant_zone_known";
constexpr char kPgKnowsZoneSql[] = "SELECT count(*) FROM pg_timezone_names WHERE name = $1";
constexpr char kInsertTenant[] = "tenant_insert";
constexpr char kInsertTenantSql[] = R"sql(
INSERT INTO tenants (name, time_zone) VALUES ($1, $2)
ON CONFLICT (name) DO NOTHING
RETURNING tenant_id)sql";
constexpr char kSelectTenantByName[] = "tenant_by_name";
constexpr char kSelectTenantByNameSql[] =
    "SELECT tenant_id, name, time_zone FROM tenants WHERE name = $1";
constexpr char kSelectTenants[] = "tenants_all";
constexpr char kSelectTenantsSql[] = "SELECT tenant_id, name, time_zone FROM tenants ORDER BY name";

Tenant TenantFromRow(const pqxx::row& row) {
  return Tenant{row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<std::string>()};
}

bool IsValidTenantName(absl::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
  }
  return true;
}

}  // namespace

TenantStore::TenantStore(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kPgKnowsZone, kPgKnowsZoneSql);
  pool_.Prepare(kInsertTenant, kInsertTenantSql);
  pool_.Prepare(kSelectTenantByName, kSelectTenantByNameSql);
  pool_.Prepare(kSelectTenants, kSelectTenantsSql);
}

absl::StatusOr<Tenant> TenantStore::Create(absl::string_view name, absl::string_view time_zone) {
  if (!IsValidTenantName(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("tenant name \"", name,
                     "\" must be 1..63 letters, digits, '_', '.' or '-', starting "
                     "with a letter or digit"));
  }
  if (absl::Status s = core::ValidateTimeZoneName(time_zone); !s.ok()) return s;
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<Tenant> {
    pqxx::work txn(conn);
    if (txn.exec_prepared1(kPgKnowsZone, std::string(time_zone))[0].as<int>() == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("PostgreSQL does not know the time zone \"", time_zone, "\""));
    }
    pqxx::result r = txn.exec_prepared(kInsertTenant, std::string(name), std::string(time_zone));
    if (r.empty()) {
      return absl::AlreadyExistsError(absl::StrCat("tenant ", name, " already exists"));
    }
    const int64_t tenant_id = r[0][0].as<int64_t>();
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = "tenant.create",
                      .target = std::string(name),
                      .summary_json = JsonObjectText({{"time_zone", std::string(time_zone)}})});
    txn.commit();
    return Tenant{tenant_id, std::string(name), std::string(time_zone)};
  });
}

absl::StatusOr<Tenant> TenantStore::FindByName(absl::string_view name) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<Tenant> {
    pqxx::read_transaction txn(conn);
    pqxx::result r = txn.exec_prepared(kSelectTenantByName, std::string(name));
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no tenant named ", name));
    return TenantFromRow(r[0]);
  });
}

absl::StatusOr<std::vector<Tenant>> TenantStore::List() {
  return pool_.Run([&](pqxx::connection_base& conn) {
    std::vector<Tenant> tenants;
    pqxx::read_transaction txn(conn);
    for (const auto& row : txn.exec_prepared(kSelectTenants)) tenants.push_back(TenantFromRow(row));
    return tenants;
  });
}

}  // namespace tnps::storage
