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
    bi_ = std::make_unique<pqxx::connection>(
        absl::StrCat(ClusterUrl(), " dbname=", db_.name(), " user=", role_name_));
  }

  void TearDown() override {
    bi_.reset();
    db_.Exec(absl::StrCat("DROP OWNED BY ", role_name_));
    pqxx::connection admin(absl::StrCat(ClusterUrl(), " dbname=postgres"));
    pqxx::nontransaction(admin).exec0(absl::StrCat("DROP ROLE ", role_name_));
  }

  // How a statement fails as the BI role ("denied" for insufficient
  // privilege, SQLSTATE 42501), or "" if it works. libpqxx 6.4 maps the
  // SQLSTATE to the exception type and does not keep it.
  std::string FailureOf(const std::string& sql) {
    try {
      pqxx::nontransaction txn(*bi_);
      txn.exec(sql);
      return "";
    } catch (const pqxx::insufficient_privilege&) {
      return "denied";
    } catch (const pqxx::sql_error& e) {
      return absl::StrCat("other error: ", e.what());
    }
  }

  TestDatabase db_;
  ConnectionPool pool_{{.database_url = db_.url(), .size = 2}};
  TenantStore tenants_{pool_};
  ResponseStore responses_{pool_};
  ReportingRoleStore roles_{pool_};
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
  // The views sum two tables, so PostgreSQL refuses writes to them before
  // it checks privileges; the tables behind them refuse the role.
  EXPECT_NE(FailureOf("UPDATE reporting.daily_counts SET promoters = 100"), "");
  EXPECT_NE(FailureOf("DELETE FROM reporting.daily_counts"), "");
  EXPECT_EQ(FailureOf("UPDATE public.daily_rollups SET promoters = 100"), "denied");
  EXPECT_EQ(FailureOf("DELETE FROM public.rollup_changes"), "denied");
  EXPECT_EQ(FailureOf("INSERT INTO public.responses (tenant_id) VALUES (1)"), "denied");
  EXPECT_EQ(FailureOf("CREATE TABLE reporting.mine (x int)"), "denied");
  EXPECT_EQ(db_.QueryInt("SELECT sum(promoters) FROM rollup_changes"), 2);
}

TEST_F(ReportingSchemaTest, RolesWithoutATenantSeeNothing) {
  // The owner of the database is not a BI role: the views show it no rows.
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM reporting.daily_counts"), 0);
}

}  // namespace
}  // namespace tnps::storage
