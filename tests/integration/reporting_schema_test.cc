// The reporting schema seen through a BI role: its own tenant's counts, and
// nothing it must not see or change.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/connection_pool.h"
#include "storage/reporting_role_store.h"
#include "storage/response_store.h"
#include "storage/rollup_compactor.h"
#include "storage/tenant_store.h"
#include "storage/training_store.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

using tnps::testing::ClusterUrl;
using tnps::testing::TestDatabase;

core::SurveyResponse Response(std::string id, int score, std::string agent) {
  core::SurveyResponse r;
  r.external_id = std::move(id);
  r.interaction_id = "i";
  r.agent_id = std::move(agent);
  r.team_id = "t1";
  r.channel = 2;
  r.score = score;
  r.customer_ref = "secret-customer";
  r.comment = "secret comment";
  r.interaction_time =
      absl::FromCivil(absl::CivilSecond(2026, 5, 4, 10, 0, 0), absl::UTCTimeZone());
  r.response_time = *r.interaction_time + absl::Minutes(5);
  return r;
}

class ReportingSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tenants_.Create("a", "UTC").ok());
    absl::StatusOr<Tenant> b = tenants_.Create("b", "UTC");
    ASSERT_TRUE(b.ok());
    std::vector<core::SurveyResponse> a_rows = {Response("1", 10, "x"), Response("2", 0, "x"),
                                                Response("3", 9, "y")};
    std::vector<core::SurveyResponse> b_rows = {Response("1", 5, "z")};
    std::vector<TenantResponse> items;
    for (const auto& r : a_rows) items.push_back({b->tenant_id - 1, &r});
    for (const auto& r : b_rows) items.push_back({b->tenant_id, &r});
    ASSERT_TRUE(responses_.Write(items).ok());
    role_name_ = absl::StrCat("tnps_bi_", db_.name());
    absl::StatusOr<ReportingRole> role = roles_.Create("a", role_name_);
    ASSERT_TRUE(role.ok()) << role.status();
    bi_ = std::make_unique<pqxx::connection>(db_.UrlAs(role_name_));
  }

  void TearDown() override {
    bi_.reset();
    db_.DropLogin(role_name_);
  }

  // How a statement fails as the BI role ("denied" for insufficient
  // privilege, SQLSTATE 42501), or "" if it works. libpqxx 6.4 maps the
  // SQLSTATE to the exception type and does not keep it.
  std::string FailureOf(const std::string& sql) {
    std::string failure;
    try {
      pqxx::nontransaction txn(*bi_);
      txn.exec(sql);
    } catch (const pqxx::insufficient_privilege&) {
      failure = "denied";
    } catch (const pqxx::sql_error& e) {
      failure = absl::StrCat("other error: ", e.what());
    }
    // Ends a transaction that `sql` began (a warning when there is none).
    pqxx::nontransaction(*bi_).exec0("ROLLBACK");
    return failure;
  }

  TestDatabase db_;
  ConnectionPool pool_{{.database_url = db_.url(), .size = 2}};
  // Tenants and BI logins are made by the operator's role.
  ConnectionPool owner_pool_{{.database_url = db_.owner_url(), .size = 1}};
  TenantStore tenants_{owner_pool_};
  ResponseStore responses_{pool_};
  ReportingRoleStore roles_{owner_pool_};
  RollupCompactor compactor_{pool_};
  std::string role_name_;
  std::unique_ptr<pqxx::connection> bi_;
};

TEST_F(ReportingSchemaTest, BiRoleReadsItsOwnTenantsCountsOnly) {
  // The views add the change rows the compactor has not taken yet to
  // daily_rollups: the same answers before, during and after compaction.
  const auto expect_counts = [&](const std::string& when) {
    SCOPED_TRACE(when);
    pqxx::nontransaction txn(*bi_);
    EXPECT_EQ(txn.exec1("SELECT sum(responses) FROM reporting.daily_counts")[0].as<int>(), 3);
    EXPECT_EQ(txn.exec1("SELECT count(*) FROM reporting.daily_counts")[0].as<int>(), 2);
    pqxx::row agent_x = txn.exec1(
        "SELECT responses, promoters, detractors, nps FROM reporting.daily_nps_by_agent "
        "WHERE agent_id = 'x'");
    EXPECT_EQ(agent_x[0].as<int>(), 2);
    EXPECT_EQ(agent_x[1].as<int>(), 1);
    EXPECT_EQ(agent_x[2].as<int>(), 1);
    EXPECT_EQ(agent_x[3].as<double>(), 0.0);
    EXPECT_EQ(txn.exec1("SELECT count(*) FROM reporting.daily_nps_by_agent WHERE agent_id = 'z'")[0]
                  .as<int>(),
              0);
    EXPECT_EQ(txn.exec1("SELECT channel FROM reporting.daily_nps_by_channel")[0].as<std::string>(),
              "chat");
    EXPECT_EQ(txn.exec1("SELECT nps FROM reporting.daily_nps_by_team")[0].as<double>(), 33.33);
  };
  expect_counts("pending");
  ASSERT_TRUE(compactor_.CompactOnce(1).ok());
  ASSERT_EQ(db_.QueryInt("SELECT count(*) FROM rollup_changes"), 2);
  expect_counts("one change row compacted");
  ASSERT_TRUE(compactor_.CompactAll(100).ok());
  ASSERT_EQ(db_.QueryInt("SELECT count(*) FROM rollup_changes"), 0);
  expect_counts("compacted");
}

// Training records, one tenant's, in currency units and local days.
TEST_F(ReportingSchemaTest, BiRoleReadsItsOwnTenantsTrainingRecords) {
  // A pool of its own: a pool prepares the statements of the stores made
  // before its first query.
  ConnectionPool training_pool({.database_url = db_.url(), .size = 1});
  TrainingStore training(training_pool);
  absl::StatusOr<Tenant> a = tenants_.FindByName("a");
  ASSERT_TRUE(a.ok());
  const int64_t tenant_a = a->tenant_id, tenant_b = tenant_a + 1;
  const auto program_of = [&](int64_t tenant) {
    absl::StatusOr<Program> p =
        training.CreateProgram(tenant, {.name = "Empathy",
                                        .hours_per_participant = 8,
                                        .cost_per_hour_micros = 45'500'000,
                                        .currency_code = "EUR",
                                        .value_per_point_micros = 500'000'000});
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? p->program_id : 0;
  };
  const int64_t program_a = program_of(tenant_a);
  program_of(tenant_b);
  absl::StatusOr<Cohort> cohort =
      training.CreateCohort(tenant_a, {.program_id = program_a,
                                       .name = "Wave 1",
                                       .planned_start = absl::CivilDay(2026, 5, 1),
                                       .planned_end = absl::CivilDay(2026, 5, 8)});
  ASSERT_TRUE(cohort.ok()) << cohort.status();
  const absl::Time enrolled =
      absl::FromCivil(absl::CivilSecond(2026, 4, 1, 0, 0, 0), absl::UTCTimeZone());
  ASSERT_TRUE(training.Enroll(tenant_a, cohort->cohort_id, {"x", "y"}, enrolled).ok());
  // 23:30 UTC on 5 May is 6 May in a UTC+1 zone; this tenant is UTC.
  const absl::Time done =
      absl::FromCivil(absl::CivilSecond(2026, 5, 5, 23, 30, 0), absl::UTCTimeZone());
  ASSERT_TRUE(training.RecordCompletions(tenant_a, cohort->cohort_id, {{"x", done}}).ok());
  ASSERT_TRUE(
      training.RecordCompletions(tenant_a, cohort->cohort_id, {{"x", done + absl::Hours(1)}}).ok());
  db_.Exec(
      absl::StrCat("INSERT INTO excluded_agents (tenant_id, agent_id, reason, excluded_by) "
                   "VALUES (",
                   tenant_a, ", 'y', 'QA', 'test')"));

  pqxx::nontransaction txn(*bi_);
  pqxx::row program = txn.exec1(
      "SELECT count(*) OVER (), name, cost_per_hour, value_per_nps_point, currency_code "
      "FROM reporting.training_programs");
  EXPECT_EQ(program[0].as<int>(), 1);  // not tenant b's
  EXPECT_EQ(program[1].as<std::string>(), "Empathy");
  EXPECT_DOUBLE_EQ(program[2].as<double>(), 45.5);
  EXPECT_DOUBLE_EQ(program[3].as<double>(), 500);
  pqxx::row c = txn.exec1(
      "SELECT name, enrolled_agents, completed_agents, first_completion_day::text "
      "FROM reporting.training_cohorts");
  EXPECT_EQ(c[0].as<std::string>(), "Wave 1");
  EXPECT_EQ(c[1].as<int>(), 2);
  EXPECT_EQ(c[2].as<int>(), 1);
  EXPECT_EQ(c[3].as<std::string>(), "2026-05-06");  // the corrected completion, 00:30 UTC
  pqxx::result e = txn.exec(
      "SELECT agent_id, team_id, completion_day::text, agent_excluded "
      "FROM reporting.training_enrollments ORDER BY agent_id");
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0][1].as<std::string>(), "t1");
  EXPECT_EQ(e[0][2].as<std::string>(), "2026-05-06");
  EXPECT_FALSE(e[0][3].as<bool>());
  EXPECT_TRUE(e[1][2].is_null());
  EXPECT_TRUE(e[1][3].as<bool>());
  EXPECT_EQ(txn.exec1("SELECT count(*) FROM reporting.training_completions")[0].as<int>(), 2);
}

TEST_F(ReportingSchemaTest, BiRoleCannotReadRawTablesCommentsOrCustomerRefs) {
  EXPECT_EQ(pqxx::nontransaction(*bi_).exec1("SELECT current_user")[0].as<std::string>(),
            role_name_);
  EXPECT_EQ(FailureOf("SELECT comment, customer_ref FROM public.responses"), "denied");
  EXPECT_EQ(FailureOf("SELECT * FROM public.daily_rollups"), "denied");
  EXPECT_EQ(FailureOf("SELECT * FROM public.rollup_changes"), "denied");
  EXPECT_EQ(FailureOf("SELECT * FROM public.reporting_roles"), "denied");
  EXPECT_EQ(FailureOf("SELECT * FROM public.api_keys"), "denied");
}

TEST_F(ReportingSchemaTest, BiRoleCannotWrite) {
  // Its sessions are read-only; a session that turns that off still lacks
  // every privilege to write. (The views sum two tables, so PostgreSQL
  // refuses writes to them before it checks privileges.)
  EXPECT_NE(FailureOf("CREATE TABLE reporting.mine (x int)"), "");
  const std::string read_write = "BEGIN READ WRITE; ";
  EXPECT_NE(FailureOf(read_write + "UPDATE reporting.daily_counts SET promoters = 100"), "");
  EXPECT_NE(FailureOf(read_write + "DELETE FROM reporting.daily_counts"), "");
  EXPECT_EQ(FailureOf(read_write + "UPDATE public.daily_rollups SET promoters = 100"), "denied");
  EXPECT_EQ(FailureOf(read_write + "DELETE FROM public.rollup_changes"), "denied");
  EXPECT_EQ(FailureOf(read_write + "INSERT INTO public.responses (tenant_id) VALUES (1)"),
            "denied");
  EXPECT_EQ(FailureOf(read_write + "CREATE TABLE reporting.mine (x int)"), "denied");
  EXPECT_EQ(FailureOf(read_write + "CREATE TABLE public.mine (x int)"), "denied");
  EXPECT_EQ(db_.QueryInt("SELECT sum(promoters) FROM rollup_changes"), 2);
}

TEST_F(ReportingSchemaTest, BiRoleHasATimeoutAConnectionLimitAndReadOnlySessions) {
  {
    pqxx::nontransaction txn(*bi_);
    EXPECT_EQ(txn.exec1("SHOW statement_timeout")[0].as<std::string>(), "30s");
    EXPECT_EQ(txn.exec1("SHOW default_transaction_read_only")[0].as<std::string>(), "on");
  }
  EXPECT_EQ(db_.QueryInt(absl::StrCat("SELECT rolconnlimit FROM pg_roles WHERE rolname = '",
                                      role_name_, "'")),
            5);
  // A login with a short timeout has its long statements cancelled.
  absl::StatusOr<ReportingRole> quick =
      roles_.Create("a", "", {.connection_limit = 1, .statement_timeout = absl::Milliseconds(200)});
  ASSERT_TRUE(quick.ok()) << quick.status();
  {
    pqxx::connection conn(db_.UrlAs(quick->role_name));
    EXPECT_THROW(pqxx::nontransaction(conn).exec("SELECT pg_sleep(2)"), pqxx::sql_error);
  }
  EXPECT_TRUE(roles_.Drop(quick->role_name).ok());
}

TEST_F(ReportingSchemaTest, ALoginLogsInWithItsPasswordAndNoOther) {
  // tests/run.sh's cluster trusts every login except members of
  // tnps_scram_probe, which must authenticate with SCRAM-SHA-256
  // (deploy/pg-cluster.sh): this proves that the verifier tnpsctl computes
  // is one PostgreSQL accepts.
  const std::string name = absl::StrCat("tnps_bi_scram_", db_.name().substr(10));
  absl::StatusOr<ReportingRole> role = roles_.Create("a", name);
  ASSERT_TRUE(role.ok()) << role.status();
  db_.Exec(
      "DO $$ BEGIN CREATE ROLE tnps_scram_probe; EXCEPTION WHEN duplicate_object THEN NULL; END "
      "$$");
  db_.Exec(absl::StrCat("GRANT tnps_scram_probe TO ", name));
  const std::string url =
      absl::StrCat(ClusterUrl(), " dbname=", db_.name(), " user=", name, " password=");
  {
    pqxx::connection conn(url + role->password);
    EXPECT_EQ(pqxx::nontransaction(conn)
                  .exec1("SELECT sum(responses) FROM reporting.daily_counts")[0]
                  .as<int>(),
              3);
  }
  EXPECT_THROW(pqxx::connection(url + "wrong-password-0123"), pqxx::broken_connection);
  EXPECT_TRUE(roles_.Drop(name).ok());
}

TEST_F(ReportingSchemaTest, RolesAreListedAndDroppedByTheirStore) {
  absl::StatusOr<std::vector<ReportingRoleInfo>> listed = roles_.List("a");
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].role_name, role_name_);
  EXPECT_EQ((*listed)[0].tenant, "a");
  ASSERT_TRUE(roles_.List("b").ok());
  EXPECT_TRUE(roles_.List("b")->empty());
  // A generated name says nothing about the tenant.
  absl::StatusOr<ReportingRole> generated = roles_.Create("b", "");
  ASSERT_TRUE(generated.ok()) << generated.status();
  EXPECT_EQ(generated->role_name.size(), std::string("tnps_bi_").size() + 12);
  EXPECT_TRUE(roles_.Drop(generated->role_name).ok());
  EXPECT_EQ(db_.QueryInt(absl::StrCat("SELECT count(*) FROM pg_roles WHERE rolname = '",
                                      generated->role_name, "'")),
            0);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM reporting_roles"), 1);
  // Only BI logins: not the runtime role, not a name outside the namespace.
  EXPECT_TRUE(absl::IsNotFound(roles_.Drop("tnps_app")));
  EXPECT_TRUE(absl::IsNotFound(roles_.Drop("tnps_bi_nobody")));
  EXPECT_TRUE(absl::IsInvalidArgument(roles_.Create("a", "grafana").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      roles_.Create("a", "", {.connection_limit = 0, .statement_timeout = absl::Seconds(1)})
          .status()));
}

TEST_F(ReportingSchemaTest, RolesWithoutATenantSeeNothing) {
  // The owner of the database is not a BI role: the views show it no rows.
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM reporting.daily_counts"), 0);
}

}  // namespace
}  // namespace tnps::storage
