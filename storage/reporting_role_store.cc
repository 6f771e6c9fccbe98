#include "storage/reporting_role_store.h"

#include <optional>
#include <pqxx/pqxx>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "storage/sha256.h"

namespace tnps::storage {
namespace {

constexpr char kTenantByName[] = "reporting_tenant_by_name";
constexpr char kTenantByNameSql[] = "SELECT tenant_id FROM tenants WHERE name = $1";
constexpr char kRoleExists[] = "reporting_role_exists";
constexpr char kRoleExistsSql[] = "SELECT count(*) FROM pg_roles WHERE rolname = $1";
constexpr char kRecordRole[] = "reporting_role_record";
constexpr char kRecordRoleSql[] =
    "INSERT INTO reporting_roles (role_name, tenant_id) VALUES ($1, $2)";

std::string DefaultRoleName(absl::string_view tenant) {
  std::string name = absl::StrCat("tnps_bi_", absl::AsciiStrToLower(tenant));
  for (char& c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

}  // namespace

ReportingRoleStore::ReportingRoleStore(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kTenantByName, kTenantByNameSql);
  pool_.Prepare(kRoleExists, kRoleExistsSql);
  pool_.Prepare(kRecordRole, kRecordRoleSql);
}

absl::StatusOr<ReportingRole> ReportingRoleStore::Create(absl::string_view tenant_name,
                                                         std::string role_name) {
  ReportingRole role{role_name.empty() ? DefaultRoleName(tenant_name) : std::move(role_name),
                     HexEncode(RandomBytes(16))};
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<ReportingRole> {
    pqxx::work txn(conn);
    pqxx::result tenant = txn.exec_prepared(kTenantByName, std::string(tenant_name));
    if (tenant.empty()) return absl::NotFoundError(absl::StrCat("no tenant named ", tenant_name));
    const int64_t tenant_id = tenant[0][0].as<int64_t>();
    if (txn.exec_prepared1(kRoleExists, role.role_name)[0].as<int>() > 0) {
      return absl::AlreadyExistsError(absl::StrCat("role ", role.role_name, " exists"));
    }
    // Role names and passwords cannot be statement parameters: quoted here.
    const std::string name = txn.quote_name(role.role_name);
    txn.exec0(absl::StrCat("CREATE ROLE ", name, " LOGIN PASSWORD ", txn.quote(role.password),
                           " NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"));
    txn.exec0(absl::StrCat("GRANT USAGE ON SCHEMA reporting TO ", name));
    txn.exec0(absl::StrCat("GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO ", name));
    txn.exec0(absl::StrCat(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO ", name));
    txn.exec_prepared0(kRecordRole, role.role_name, tenant_id);
    txn.commit();
    return role;
  });
}

}  // namespace tnps::storage
