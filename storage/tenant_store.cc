#include "storage/tenant_store.h"

#include <optional>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "core/time_zone_name.h"
#include "storage/audit_log.h"
#include "storage/pg_text.h"
#include "storage/rollup_compactor.h"

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

namespace {

// Children first, so that every foreign key is satisfied at each step.
constexpr const char* kTenantTables[] = {"alert_events",
                                         "alert_subscriptions",
                                         "alert_subscription_numbers",
                                         "training_completion_log",
                                         "training_enrollments",
                                         "training_cohorts",
                                         "training_programs",
                                         "excluded_agent_counts",
                                         "excluded_agents",
                                         "response_tombstones",
                                         "suppressed_external_ids",
                                         "retention_progress",
                                         "retention_policies",
                                         "attribute_changes",
                                         "attribute_rollups",
                                         "attribute_team_days",
                                         "attribute_days",
                                         "attribute_dimensions",
                                         "rollup_changes",
                                         "rollup_team_weeks",
                                         "rollup_team_months",
                                         "rollup_agent_days",
                                         "rollup_agent_weeks",
                                         "rollup_team_days",
                                         "rollup_tenant_days",
                                         "daily_rollups",
                                         "responses",
                                         "agents",
                                         "api_keys",
                                         "tenant_rate_limits",
                                         "reporting_roles"};

std::vector<std::pair<std::string, int64_t>> CountRows(pqxx::transaction_base& txn,
                                                       int64_t tenant_id) {
  std::vector<std::pair<std::string, int64_t>> counts;
  for (const char* table : kTenantTables) {
    counts.emplace_back(table, txn.exec_params1(absl::StrCat("SELECT count(*) FROM ", table,
                                                             " WHERE tenant_id = $1"),
                                                tenant_id)[0]
                                   .as<int64_t>());
  }
  return counts;
}

}  // namespace

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> TenantStore::Contents(
    absl::string_view name) {
  return pool_.Run([&](pqxx::connection_base& conn)
                       -> absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> {
    pqxx::read_transaction txn(conn);
    const pqxx::result tenant =
        txn.exec_params("SELECT tenant_id FROM tenants WHERE name = $1", std::string(name));
    if (tenant.empty()) return absl::NotFoundError(absl::StrCat("no tenant named ", name));
    return CountRows(txn, tenant[0][0].as<int64_t>());
  });
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> TenantStore::Delete(
    absl::string_view name) {
  return pool_.Run([&](pqxx::connection_base& conn)
                       -> absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> {
    pqxx::work txn(conn);
    // No compaction round may add rollups of the tenant after they are
    // deleted; and the row lock waits for the tenant's writes in flight
    // (their foreign-key checks hold a share lock on it) and holds back new
    // ones, so that every row of the tenant is committed before the deletes
    // read it.
    txn.exec_params("SELECT pg_advisory_xact_lock($1)", kCompactionLock);
    const pqxx::result tenant = txn.exec_params(
        "SELECT tenant_id FROM tenants WHERE name = $1 FOR UPDATE", std::string(name));
    if (tenant.empty()) return absl::NotFoundError(absl::StrCat("no tenant named ", name));
    const int64_t tenant_id = tenant[0][0].as<int64_t>();
    const std::vector<std::pair<std::string, int64_t>> counts = CountRows(txn, tenant_id);
    for (const auto& row :
         txn.exec_params("SELECT r.role_name FROM reporting_roles r WHERE r.tenant_id = $1 "
                         "AND EXISTS (SELECT 1 FROM pg_auth_members m "
                         "JOIN pg_roles member ON member.oid = m.member "
                         "JOIN pg_roles grp ON grp.oid = m.roleid "
                         "WHERE member.rolname = r.role_name AND grp.rolname = 'tnps_reporting') "
                         "ORDER BY r.role_name",
                         tenant_id)) {
      txn.exec_params("SELECT tnps_admin.drop_reporting_role($1)", row[0].as<std::string>());
    }
    for (const char* table : kTenantTables) {
      txn.exec_params0(absl::StrCat("DELETE FROM ", table, " WHERE tenant_id = $1"), tenant_id);
    }
    txn.exec_params0("DELETE FROM tenants WHERE tenant_id = $1", tenant_id);
    std::vector<std::pair<std::string, std::string>> summary;
    for (const auto& [table, count] : counts) summary.emplace_back(table, absl::StrCat(count));
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = "tenant.delete",
                      .target = std::string(name),
                      .summary_json = JsonObjectText(summary)});
    txn.commit();
    return counts;
  });
}

}  // namespace tnps::storage
