// deploy/backup.sh and deploy/restore.sh, round trip: a database with
// responses, training records and a BI login is backed up, dropped with
// the login, restored, and must hold every row it held, answer the same
// NPS, and give the BI login back its grants and settings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/e2e/ingest_fixture.h"
#include "tnps/v1/analytics_service.grpc.pb.h"

namespace tnps::testing {
namespace {

// PGHOST, PGPORT and PGUSER of the test cluster's superuser, for the
// scripts, which connect through libpq's variables.
std::vector<std::string> SuperuserEnvironment(const std::string& url) {
  std::vector<std::string> env;
  for (const auto& [key, variable] : std::vector<std::pair<std::string, std::string>>{
           {"host", "PGHOST"}, {"port", "PGPORT"}, {"user", "PGUSER"}}) {
    std::smatch match;
    if (std::regex_search(url, match, std::regex("(^| )" + key + "=([^ ]+)"))) {
      env.push_back(variable + "=" + match[2].str());
    }
  }
  return env;
}

class BackupE2eTest : public IngestFixture {
 protected:
  // Every table of the schema, as an md5 of its sorted rows.
  std::map<std::string, std::string> TableDigests() {
    std::map<std::string, std::string> out;
    for (absl::string_view table : absl::StrSplit(
             db_->QueryText("SELECT string_agg(schemaname || '.' || tablename, ',' ORDER BY 1) "
                            "FROM pg_tables WHERE schemaname IN ('public', 'reporting')"),
             ',')) {
      out[std::string(table)] = db_->QueryText(
          absl::StrCat("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM ",
                       table, " t"));
    }
    return out;
  }

  std::string NpsAnswer() {
    auto stub = tnps::v1::AnalyticsService::NewStub(server_->NewChannel());
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter()->mutable_start_date() = ProtoDate(absl::CivilDay(2025, 1, 1));
    *request.mutable_filter()->mutable_end_date() = ProtoDate(absl::CivilDay(2027, 12, 31));
    tnps::v1::GetNpsResponse out;
    grpc::Status status = stub->GetNps(Context(admin_key_a_).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return out.DebugString();
  }
};

TEST_F(BackupE2eTest, RoundTripKeepsEveryRowTheAnswersAndTheBiLogin) {
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse(absl::StrCat("bk-", i), i % 11)).ok());
  }
  // Roles are the cluster's: one of this database's own.
  const std::string bi_role = absl::StrCat("tnps_bi_", db_->name());
  const std::string ctl = TNPSCTL_BIN;
  CommandResult login = RunCommand({ctl, "reporting-role", "create", "--tenant=tenant-a",
                                    "--role-name=" + bi_role, "--connection-limit=3"},
                                   {"TNPS_DATABASE_URL=" + db_->owner_url()});
  ASSERT_EQ(login.exit_code, 0) << login.stderr_text;
  // The answer first: a key's first use is recorded (api_keys.last_used_at).
  const std::string nps_before = NpsAnswer();
  const std::map<std::string, std::string> before = TableDigests();
  ASSERT_GT(before.size(), 20u);

  const std::vector<std::string> env = SuperuserEnvironment(db_->superuser_url());
  const std::string dir = ::testing::TempDir() + "/tnps-backup-" + db_->name();
  CommandResult backup = RunCommand({TNPS_BACKUP_SCRIPT, db_->name(), dir}, env);
  ASSERT_EQ(backup.exit_code, 0) << backup.stderr_text;

  // Lose the database and the BI login.
  server_.reset();
  pool_.reset();
  CommandResult drop =
      RunCommand({"/usr/bin/psql", "--dbname=postgres", "-v", "ON_ERROR_STOP=1", "-c",
                  absl::StrCat("DROP DATABASE \"", db_->name(), "\" WITH (FORCE)"), "-c",
                  "DROP ROLE " + bi_role},
                 env);
  ASSERT_EQ(drop.exit_code, 0) << drop.stderr_text;

  CommandResult restore = RunCommand({TNPS_RESTORE_SCRIPT, dir}, env);
  ASSERT_EQ(restore.exit_code, 0) << restore.stderr_text;
  EXPECT_EQ(TableDigests(), before);
  server_ = std::make_unique<ServerProcess>(db_->url(), ServerFlags());
  EXPECT_EQ(NpsAnswer(), nps_before);
  // The login, its limits and settings, its group, and its right to
  // connect to this database.
  EXPECT_EQ(db_->QueryText(absl::StrCat("SELECT rolconnlimit || ' ' || rolcanlogin FROM pg_roles "
                                        "WHERE rolname = '",
                                        bi_role, "'")),
            "3 true");
  EXPECT_EQ(db_->QueryInt(absl::StrCat(
                "SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                "JOIN pg_roles r ON r.oid = m.member WHERE g.rolname = 'tnps_reporting' AND "
                "r.rolname = '",
                bi_role, "'")),
            1);
  EXPECT_THAT(db_->QueryText(absl::StrCat("SELECT array_to_string(s.setconfig, ',') FROM "
                                          "pg_db_role_setting s JOIN pg_roles r ON r.oid = "
                                          "s.setrole WHERE r.rolname = '",
                                          bi_role, "'")),
              ::testing::HasSubstr("default_transaction_read_only=on"));
  EXPECT_EQ(db_->QueryInt(absl::StrCat("SELECT count(*) FROM pg_database WHERE datname = '",
                                       db_->name(), "' AND has_database_privilege(",
                                       "'tnps_reporting', oid, 'CONNECT')")),
            1);
  // The login is the cluster's: leave none behind.
  CommandResult cleanup = RunCommand({"/usr/bin/psql", "--dbname=" + db_->name(), "-c",
                                      "DROP OWNED BY " + bi_role, "-c", "DROP ROLE " + bi_role},
                                     env);
  EXPECT_EQ(cleanup.exit_code, 0) << cleanup.stderr_text;
}

}  // namespace
}  // namespace tnps::testing
