// tnpsctl tenant delete's store: everything of one tenant goes, in one
// transaction, nothing of another, and the audit trail records it.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/api_key_store.h"
#include "storage/attribute_dimensions.h"
#include "storage/audit_log.h"
#include "storage/rate_limit_store.h"
#include "storage/reporting_role_store.h"
#include "storage/response_records.h"
#include "storage/response_store.h"
#include "storage/retention.h"
#include "storage/rollup_compactor.h"
#include "storage/tenant_store.h"
#include "storage/training_store.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

class TenantDeleteTest : public ::testing::Test {
 protected:
  // Everything a tenant can have: responses (part compacted), agents, a
  // programme with a cohort, an enrolment and a completion, a key, rate
  // limits and a BI login.
  void Populate(const std::string& name) {
    absl::StatusOr<Tenant> tenant = tenants_.Create(name, "UTC");
    ASSERT_TRUE(tenant.ok());
    std::vector<core::SurveyResponse> rs(20);
    std::vector<TenantResponse> items;
    for (int i = 0; i < 20; ++i) {
      core::SurveyResponse& r = rs[i];
      r.external_id = absl::StrCat(name, "-", i);
      r.interaction_id = r.external_id;
      r.agent_id = absl::StrCat("agent-", i % 4);
      r.team_id = "team-1";
      r.channel = 1;
      r.score = i % 11;
      r.interaction_time =
          absl::FromCivil(absl::CivilSecond(2026, 3, 1 + i % 5, 10, 0, 0), absl::UTCTimeZone());
      r.response_time = *r.interaction_time + absl::Minutes(5);
      r.attributes = {{"queue", i % 2 ? "billing" : "tech"}};
      items.push_back({tenant->tenant_id, &r});
    }
    // An attribute dimension and its counts, compacted and pending.
    ASSERT_TRUE(AttributeDimensions(app_pool_).Declare(tenant->tenant_id, "queue").ok());
    ASSERT_TRUE(responses_.Write(items).ok());
    ASSERT_TRUE(compactor_.CompactOnce(3).ok());
    Program wanted_program;
    wanted_program.name = "Empathy";
    wanted_program.hours_per_participant = 4;
    wanted_program.currency_code = "EUR";
    absl::StatusOr<Program> program = training_.CreateProgram(tenant->tenant_id, wanted_program);
    ASSERT_TRUE(program.ok()) << program.status();
    Cohort wanted_cohort;
    wanted_cohort.program_id = program->program_id;
    wanted_cohort.name = "Wave 1";
    wanted_cohort.planned_start = absl::CivilDay(2026, 3, 2);
    wanted_cohort.planned_end = absl::CivilDay(2026, 3, 3);
    absl::StatusOr<Cohort> cohort = training_.CreateCohort(tenant->tenant_id, wanted_cohort);
    ASSERT_TRUE(cohort.ok()) << cohort.status();
    const absl::Time enrolled =
        absl::FromCivil(absl::CivilSecond(2026, 3, 2, 9, 0, 0), absl::UTCTimeZone());
    ASSERT_TRUE(training_.Enroll(tenant->tenant_id, cohort->cohort_id, {"agent-1"}, enrolled).ok());
    ASSERT_TRUE(training_
                    .RecordCompletions(tenant->tenant_id, cohort->cohort_id,
                                       {{"agent-1", enrolled + absl::Hours(4)}})
                    .ok());
    ASSERT_TRUE(keys_.Issue(name, core::Role::kIngest).ok());
    ASSERT_TRUE(
        limits_
            .Set(name,
                 {.calls_per_second = 5, .call_burst = 10, .rows_per_second = 50, .row_burst = 100})
            .ok());
    absl::StatusOr<ReportingRole> role = roles_.Create(name, "");
    ASSERT_TRUE(role.ok());
    bi_roles_.push_back(role->role_name);
    // What data rights leave behind: an excluded agent and its counts, an
    // erasure's removal record and suppression, a retention policy.
    ResponseRecords records(app_pool_);
    ASSERT_TRUE(records.SetAgentExclusion(tenant->tenant_id, "agent-2", true, "QA").ok());
    ASSERT_TRUE(records
                    .Erase({.tenant_id = tenant->tenant_id,
                            .external_ids = {absl::StrCat(name, "-0")},
                            .suppress_resubmission = true})
                    .ok());
    ASSERT_TRUE(RetentionPolicies(owner_pool_)
                    .Set(tenant->tenant_id, RetentionPolicy{.delete_after_days = 3650})
                    .ok());
    ASSERT_TRUE(RetentionWorker(app_pool_).RunOnce({}).ok());
  }

  // Rows of every table with a tenant_id column but the audit trail (which
  // outlives tenants), so that a table added later is covered too.
  int64_t RowsOf(int64_t tenant_id) {
    const std::string tables = db_.QueryText(
        "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'tenant_id' "
        "AND table_name <> 'audit_events'");
    int64_t total = 0;
    for (absl::string_view table : absl::StrSplit(tables, ',')) {
      total += db_.QueryInt(
          absl::StrCat("SELECT count(*) FROM ", table, " WHERE tenant_id = ", tenant_id));
    }
    return total;
  }

  tnps::testing::TestDatabase db_;
  ConnectionPool owner_pool_{{.database_url = db_.owner_url(), .size = 2}};
  ConnectionPool app_pool_{{.database_url = db_.url(), .size = 2}};
  ScopedAuditActor actor_{"tnpsctl:alice"};
  TenantStore tenants_{owner_pool_};
  ApiKeyStore keys_{owner_pool_};
  RateLimitStore limits_{owner_pool_};
  ReportingRoleStore roles_{owner_pool_};
  AuditStore audit_{owner_pool_};
  ResponseStore responses_{app_pool_};
  RollupCompactor compactor_{app_pool_};
  TrainingStore training_{app_pool_};
  std::vector<std::string> bi_roles_;
};

TEST_F(TenantDeleteTest, RemovesEverythingOfOneTenantAndNothingOfAnother) {
  Populate("doomed");
  Populate("kept");
  const int64_t doomed = db_.QueryInt("SELECT tenant_id FROM tenants WHERE name = 'doomed'");
  const int64_t kept = db_.QueryInt("SELECT tenant_id FROM tenants WHERE name = 'kept'");
  const int64_t kept_rows = RowsOf(kept);
  const int64_t doomed_rows = RowsOf(doomed);
  ASSERT_GT(doomed_rows, 20);

  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> preview =
      tenants_.Contents("doomed");
  ASSERT_TRUE(preview.ok());
  EXPECT_EQ(RowsOf(doomed), doomed_rows);  // previewing deletes nothing
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> deleted = tenants_.Delete("doomed");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, *preview);
  for (const auto& [table, count] : *deleted) {
    if (table == "responses") {
      EXPECT_EQ(count, 19);  // one erased
    } else if (table == "api_keys") {
      EXPECT_EQ(count, 1);
    } else if (table == "training_completion_log") {
      EXPECT_EQ(count, 1);
    }
  }

  EXPECT_EQ(RowsOf(doomed), 0);
  EXPECT_EQ(RowsOf(kept), kept_rows);
  EXPECT_EQ(db_.QueryInt(
                absl::StrCat("SELECT count(*) FROM pg_roles WHERE rolname = '", bi_roles_[0], "'")),
            0);
  EXPECT_EQ(db_.QueryInt(
                absl::StrCat("SELECT count(*) FROM pg_roles WHERE rolname = '", bi_roles_[1], "'")),
            1);
  EXPECT_TRUE(absl::IsNotFound(tenants_.Delete("doomed").status()));

  // The trail keeps the tenant's events and records the deletion.
  EXPECT_EQ(db_.QueryInt(absl::StrCat("SELECT count(*) FROM audit_events WHERE action = "
                                      "'tenant.delete' AND target = 'doomed' AND tenant_id = ",
                                      doomed, " AND summary->>'responses' = '19'")),
            1);
  EXPECT_GT(db_.QueryInt(absl::StrCat("SELECT count(*) FROM audit_events WHERE tenant_id = ",
                                      doomed, " AND action = 'key.create'")),
            0);
  absl::StatusOr<AuditVerification> verified = audit_.Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_FALSE(verified->first_broken.has_value()) << verified->problem;
  for (const std::string& role : bi_roles_) {
    db_.Exec("DO $$ BEGIN EXECUTE 'DROP ROLE IF EXISTS " + role + "'; END $$");
  }
}

}  // namespace
}  // namespace tnps::storage
