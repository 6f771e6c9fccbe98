#include "storage/reporting_role_store.h"

#include <optional>
#include <pqxx/pqxx>
#include <regex>

#include "absl/strings/str_cat.h"
#include "storage/audit_log.h"
#include "storage/database_setup.h"
#include "storage/pg_text.h"
#include "storage/sha256.h"

namespace tnps::storage {
namespace {

constexpr char kTenantByName[] = "reporting_tenant_by_name";
constexpr char kTenantByNameSql[] = "SELECT tenant_id FROM tenants WHERE name = $1";
constexpr char kRoleExists[] = "reporting_role_exists";
constexpr char kRoleExistsSql[] = "SELECT count(*) FROM pg_roles WHERE rolname = $1";
constexpr char kCreateRole[] = "reporting_role_create";
constexpr char kCreateRoleSql[] =
    "SELECT tnps_admin.create_reporting_role($1, $2, $3::integer, $4::integer)";
constexpr char kRecordRole[] = "reporting_role_record";
constexpr char kRecordRoleSql[] =
    "INSERT INTO reporting_roles (role_name, tenant_id) VALUES ($1, $2)";
constexpr char kForgetRole[] = "reporting_role_forget";
constexpr char kForgetRoleSql[] =
    "DELETE FROM reporting_roles WHERE role_name = $1 RETURNING tenant_id";
constexpr char kDropRole[] = "reporting_role_drop";
constexpr char kDropRoleSql[] = "SELECT tnps_admin.drop_reporting_role($1)";
constexpr char kIsReportingRole[] = "reporting_role_is_member";
constexpr char kIsReportingRoleSql[] =
    "SELECT count(*) FROM pg_auth_members m JOIN pg_roles member ON member.oid = m.member "
    "JOIN pg_roles grp ON grp.oid = m.roleid WHERE member.rolname = $1 AND grp.rolname = $2";
constexpr char kListRoles[] = "reporting_role_list";
constexpr char kListRolesSql[] =
    "SELECT r.role_name, t.name, (extract(epoch FROM r.created_at) * 1000000)::bigint "
    "FROM reporting_roles r JOIN tenants t USING "
    "(tenant_id) WHERE $1 = '' OR t.name = $1 ORDER BY r.role_name";

bool ValidRoleName(const std::string& name) {
  static const std::regex kPattern("tnps_bi_[a-z0-9_]{1,40}");
  return std::regex_match(name, kPattern);
}

}  // namespace

ReportingRoleStore::ReportingRoleStore(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kTenantByName, kTenantByNameSql);
  pool_.Prepare(kRoleExists, kRoleExistsSql);
  pool_.Prepare(kCreateRole, kCreateRoleSql);
  pool_.Prepare(kRecordRole, kRecordRoleSql);
  pool_.Prepare(kForgetRole, kForgetRoleSql);
  pool_.Prepare(kDropRole, kDropRoleSql);
  pool_.Prepare(kIsReportingRole, kIsReportingRoleSql);
  pool_.Prepare(kListRoles, kListRolesSql);
}

absl::StatusOr<ReportingRole> ReportingRoleStore::Create(absl::string_view tenant_name,
                                                         std::string role_name,
                                                         const ReportingRoleLimits& limits) {
  ReportingRole role{role_name.empty() ? absl::StrCat("tnps_bi_", HexEncode(RandomBytes(6)))
                                       : std::move(role_name),
                     HexEncode(RandomBytes(16))};
  if (!ValidRoleName(role.role_name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a reporting role name is tnps_bi_ and 1 to 40 of a-z, 0-9 and _, not ", role.role_name));
  }
  const int64_t timeout_ms = absl::ToInt64Milliseconds(limits.statement_timeout);
  if (limits.connection_limit < 1 || limits.connection_limit > 100 || timeout_ms < 100 ||
      timeout_ms > 3600000) {
    return absl::InvalidArgumentError(
        "a reporting role has 1 to 100 connections and a statement timeout of 100ms to 1h");
  }
  const std::string verifier = ScramSha256Verifier(role.password, RandomBytes(16));
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<ReportingRole> {
    pqxx::work txn(conn);
    pqxx::result tenant = txn.exec_prepared(kTenantByName, std::string(tenant_name));
    if (tenant.empty()) return absl::NotFoundError(absl::StrCat("no tenant named ", tenant_name));
    const int64_t tenant_id = tenant[0][0].as<int64_t>();
    if (txn.exec_prepared1(kRoleExists, role.role_name)[0].as<int>() > 0) {
      return absl::AlreadyExistsError(absl::StrCat("role ", role.role_name, " exists"));
    }
    txn.exec_prepared(kCreateRole, role.role_name, verifier,
                      static_cast<long long>(limits.connection_limit),
                      static_cast<long long>(timeout_ms));
    txn.exec_prepared0(kRecordRole, role.role_name, tenant_id);
    AppendAudit(txn,
                {.tenant_id = tenant_id,
                 .action = "reporting_role.create",
                 .target = role.role_name,
                 .summary_json = JsonObjectText(
                     {{"connection_limit", absl::StrCat(limits.connection_limit)},
                      {"statement_timeout", absl::FormatDuration(limits.statement_timeout)}})});
    txn.commit();
    return role;
  });
}

absl::Status ReportingRoleStore::Drop(const std::string& role_name) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::Status {
    pqxx::work txn(conn);
    if (!ValidRoleName(role_name) ||
        txn.exec_prepared1(kIsReportingRole, role_name, kReportingGroup)[0].as<int>() == 0) {
      return absl::NotFoundError(absl::StrCat(
          "no reporting role ", role_name,
          " (roles made before migration 0009 are dropped by hand: docs/security.md)"));
    }
    const pqxx::result forgotten = txn.exec_prepared(kForgetRole, role_name);
    txn.exec_prepared(kDropRole, role_name);
    std::optional<int64_t> tenant_id;
    if (!forgotten.empty()) tenant_id = forgotten[0][0].as<int64_t>();
    AppendAudit(txn,
                {.tenant_id = tenant_id, .action = "reporting_role.drop", .target = role_name});
    txn.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<ReportingRoleInfo>> ReportingRoleStore::List(
    absl::string_view tenant_name) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::read_transaction txn(conn);
    std::vector<ReportingRoleInfo> roles;
    for (const auto& row : txn.exec_prepared(kListRoles, std::string(tenant_name))) {
      roles.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                       absl::FromUnixMicros(row[2].as<int64_t>())});
    }
    return roles;
  });
}

}  // namespace tnps::storage
