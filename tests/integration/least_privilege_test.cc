// The database roles of storage/database_setup.h, tried as an attacker who
// holds one of their connection strings would.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>

#include "absl/strings/str_cat.h"
#include "storage/database_setup.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

using tnps::testing::TestDatabase;

// "denied" when PostgreSQL refuses for lack of privilege (SQLSTATE 42501),
// "ok" when the statement runs, otherwise the error. Each statement runs in
// a transaction that is rolled back.
std::string Try(const std::string& url, const std::string& sql) {
  try {
    pqxx::connection conn(url);
    pqxx::work txn(conn);
    txn.exec(sql);
    return "ok";
  } catch (const pqxx::insufficient_privilege&) {
    return "denied";
  } catch (const pqxx::sql_error& e) {
    return absl::StrCat("error: ", e.what());
  }
}

class LeastPrivilegeTest : public ::testing::Test {
 protected:
  TestDatabase db_;
};

TEST_F(LeastPrivilegeTest, RuntimeRoleCannotEscalateReadSecretsOrChangeTheSchema) {
  const std::string& app = db_.url();
  // Roles and programs: the path from CREATEROLE to a shell.
  EXPECT_EQ(Try(app, "CREATE ROLE intruder LOGIN"), "denied");
  EXPECT_EQ(Try(app, "GRANT pg_execute_server_program TO tnps_app"), "denied");
  EXPECT_EQ(Try(app, "COPY (SELECT 1) TO PROGRAM 'id'"), "denied");
  EXPECT_EQ(Try(app, "CREATE TEMP TABLE t (x text); COPY t FROM PROGRAM 'id'"), "denied");
  EXPECT_EQ(Try(app, "SELECT pg_read_file('/etc/passwd')"), "denied");
  EXPECT_EQ(Try(app, "SET ROLE tnps_owner"), "denied");
  EXPECT_EQ(Try(app, "SET ROLE tnps_role_admin"), "denied");
  // Secrets of other schemas and of the cluster.
  EXPECT_EQ(Try(app, "SELECT rolpassword FROM pg_authid"), "denied");
  EXPECT_EQ(Try(app, "SELECT * FROM reporting_roles"), "denied");
  EXPECT_EQ(Try(app, "SELECT * FROM schema_migrations"), "denied");
  EXPECT_EQ(Try(app, "SELECT * FROM reporting.daily_counts"), "denied");
  EXPECT_EQ(Try(app,
                "SELECT tnps_admin.create_reporting_role('tnps_bi_x', 'SCRAM-SHA-256$4096:', 1, "
                "1000)"),
            "denied");
  // The schema: tables belong to tnps_owner.
  EXPECT_EQ(Try(app, "ALTER TABLE responses ADD COLUMN x int"), "denied");
  EXPECT_EQ(Try(app, "DROP TABLE responses"), "denied");
  EXPECT_EQ(Try(app, "CREATE TABLE public.mine (x int)"), "denied");
  EXPECT_EQ(Try(app, "CREATE SCHEMA mine"), "denied");
  EXPECT_EQ(Try(app, "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS 'SELECT 1'"),
            "denied");
  // Rows it never changes: the facts of stored responses (it may erase
  // them, amend their comment and attributes, redact and exclude them),
  // keys, tenants, suppressions, retention policies.
  EXPECT_EQ(Try(app, "UPDATE responses SET score = 0"), "denied");
  EXPECT_EQ(Try(app, "UPDATE responses SET agent_id = 'x'"), "denied");
  EXPECT_EQ(Try(app, "UPDATE responses SET interaction_time = now()"), "denied");
  EXPECT_EQ(Try(app, "TRUNCATE responses"), "denied");
  EXPECT_EQ(Try(app, "DELETE FROM suppressed_external_ids"), "denied");
  EXPECT_EQ(Try(app, "UPDATE retention_policies SET delete_after_days = 1"), "denied");
  EXPECT_EQ(Try(app, "INSERT INTO retention_policies (tenant_id, delete_after_days) VALUES (1, 1)"),
            "denied");
  EXPECT_EQ(Try(app, "UPDATE response_tombstones SET reason = 'erasure'"), "denied");
  EXPECT_EQ(Try(app, "TRUNCATE daily_rollups"), "denied");
  EXPECT_EQ(Try(app, "INSERT INTO tenants (name, time_zone) VALUES ('x', 'UTC')"), "denied");
  EXPECT_EQ(Try(app, "UPDATE api_keys SET revoked_at = NULL"), "denied");
  EXPECT_EQ(Try(app, "DELETE FROM tenant_rate_limits"), "denied");
  // What it is there for still works.
  EXPECT_EQ(Try(app, "SELECT count(*) FROM responses"), "ok");
  EXPECT_EQ(Try(app, "SELECT count(*) FROM rollup_changes"), "ok");
  EXPECT_EQ(Try(app, "UPDATE responses SET comment = comment WHERE false"), "ok");
  EXPECT_EQ(Try(app, "DELETE FROM responses WHERE false"), "ok");
}

TEST_F(LeastPrivilegeTest, OwnerRoleHasNoCreateRoleAndTheRoleFunctionsStayInTheirLane) {
  const std::string& owner = db_.owner_url();
  EXPECT_EQ(Try(owner, "CREATE ROLE intruder LOGIN"), "denied");
  EXPECT_EQ(Try(owner, "COPY (SELECT 1) TO PROGRAM 'id'"), "denied");
  EXPECT_EQ(Try(owner, "SET ROLE tnps_role_admin"), "denied");
  EXPECT_EQ(Try(owner, "SELECT rolpassword FROM pg_authid"), "denied");
  // The functions make and drop BI logins only: no other name, no plain
  // password, no other role.
  const std::string verifier = ScramSha256Verifier("0123456789abcdef", "saltsaltsaltsalt");
  EXPECT_NE(Try(owner, absl::StrCat("SELECT tnps_admin.create_reporting_role('postgres', '",
                                    verifier, "', 1, 1000)")),
            "ok");
  EXPECT_NE(
      Try(owner, "SELECT tnps_admin.create_reporting_role('tnps_bi_x', 'plain password', 1, 1000)"),
      "ok");
  EXPECT_NE(Try(owner, "SELECT tnps_admin.drop_reporting_role('tnps_app')"), "ok");
  EXPECT_NE(Try(owner, "SELECT tnps_admin.drop_reporting_role('tnps_bi_nobody')"), "ok");
  EXPECT_EQ(Try(owner, absl::StrCat("SELECT tnps_admin.create_reporting_role('tnps_bi_probe', '",
                                    verifier, "', 1, 1000)")),
            "ok");
}

TEST_F(LeastPrivilegeTest, RolesHaveExactlyTheirAttributes) {
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM pg_roles WHERE rolname IN ('tnps_owner', "
                         "'tnps_app', 'tnps_reporting', 'tnps_role_admin') AND NOT rolsuper AND "
                         "NOT rolcreatedb AND NOT rolreplication AND NOT rolbypassrls"),
            4);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM pg_roles WHERE rolcreaterole AND rolname LIKE "
                         "'tnps%'"),
            1);  // tnps_role_admin alone
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM pg_roles WHERE rolcanlogin AND rolname IN "
                         "('tnps_reporting', 'tnps_role_admin')"),
            0);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = "
                         "m.roleid WHERE r.rolname = 'tnps_role_admin'"),
            0);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = "
                         "m.member WHERE r.rolname IN ('tnps_owner', 'tnps_app')"),
            0);
  EXPECT_EQ(db_.QueryInt(absl::StrCat("SELECT count(*) FROM pg_database WHERE datname = '",
                                      db_.name(), "' AND pg_get_userbyid(datdba) = 'tnps_owner'")),
            1);
}

TEST_F(LeastPrivilegeTest, SetupRepairsDriftAndSetsPasswordsAsScramVerifiers) {
  db_.Exec("ALTER ROLE tnps_app CREATEROLE; GRANT pg_execute_server_program TO tnps_app");
  ASSERT_TRUE(SetUpDatabase(tnps::testing::ClusterUrl(), {.database = db_.name()}).ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM pg_roles WHERE rolname = 'tnps_app' AND "
                         "rolcreaterole"),
            0);
  EXPECT_EQ(Try(db_.url(), "COPY (SELECT 1) TO PROGRAM 'id'"), "denied");
  EXPECT_TRUE(absl::IsInvalidArgument(SetUpDatabase(
      tnps::testing::ClusterUrl(), {.database = db_.name(), .app_password = "short"})));
  EXPECT_TRUE(absl::IsPermissionDenied(SetUpDatabase(db_.owner_url(), {.database = db_.name()})));
}

TEST(ScramVerifierTest, HasPostgresFormatAndDependsOnPasswordAndSalt) {
  const std::string v = ScramSha256Verifier("pencil", "0123456789abcdef");
  EXPECT_EQ(v.rfind("SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$", 0), 0u) << v;
  EXPECT_EQ(v, ScramSha256Verifier("pencil", "0123456789abcdef"));
  EXPECT_NE(v, ScramSha256Verifier("pencil2", "0123456789abcdef"));
  EXPECT_NE(v, ScramSha256Verifier("pencil", "0123456789abcdeg"));
}

}  // namespace
}  // namespace tnps::storage
