// The audit trail: every administrative store method appends its event in
// its own transaction, as the thread's actor; the hash chain shows an edited
// or removed event; the runtime role cannot change events.
#include "storage/audit_log.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/str_cat.h"
#include "storage/api_key_store.h"
#include "storage/rate_limit_store.h"
#include "storage/reporting_role_store.h"
#include "storage/tenant_store.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

class AuditLogTest : public ::testing::Test {
 protected:
  tnps::testing::TestDatabase db_;
  ConnectionPool owner_pool_{{.database_url = db_.owner_url(), .size = 8}};
  TenantStore tenants_{owner_pool_};
  ApiKeyStore keys_{owner_pool_};
  RateLimitStore limits_{owner_pool_};
  ReportingRoleStore roles_{owner_pool_};
  AuditStore audit_{owner_pool_};

  std::vector<AuditEvent> All() {
    absl::StatusOr<std::vector<AuditEvent>> events = audit_.List("", absl::InfinitePast(), 1000);
    EXPECT_TRUE(events.ok()) << events.status();
    return events.ok() ? *events : std::vector<AuditEvent>{};
  }

  // Runs `sql` as the superuser with the append-only trigger off, as an
  // attacker with the owner's rights could.
  void Tamper(const std::string& sql) {
    db_.Exec(absl::StrCat("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only; ",
                          sql,
                          "; ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"));
  }
};

TEST_F(AuditLogTest, AdministrativeActionsAppendTheirEventAsTheActor) {
  ScopedAuditActor actor("tnpsctl:alice");
  absl::StatusOr<Tenant> acme = tenants_.Create("acme", "Europe/Zurich");
  ASSERT_TRUE(acme.ok());
  absl::StatusOr<IssuedKey> key = keys_.Issue("acme", core::Role::kIngest);
  ASSERT_TRUE(key.ok());
  absl::StatusOr<IssuedKey> rotated = keys_.Rotate(key->key_id, absl::Hours(1));
  ASSERT_TRUE(rotated.ok());
  ASSERT_TRUE(keys_.Revoke(key->key_id).ok());
  ASSERT_TRUE(
      limits_
          .Set("acme",
               {.calls_per_second = 5, .call_burst = 10, .rows_per_second = 50, .row_burst = 100})
          .ok());
  ASSERT_TRUE(limits_.Clear("acme").ok());
  absl::StatusOr<ReportingRole> role = roles_.Create("acme", "");
  ASSERT_TRUE(role.ok());
  ASSERT_TRUE(roles_.Drop(role->role_name).ok());
  // Refused actions leave no event.
  EXPECT_FALSE(tenants_.Create("acme", "UTC").ok());
  EXPECT_FALSE(keys_.Rotate(key->key_id, absl::Hours(1)).ok());

  const std::vector<AuditEvent> events = All();
  std::vector<std::string> actions;
  for (const AuditEvent& e : events) {
    actions.push_back(e.action);
    EXPECT_EQ(e.actor, "tnpsctl:alice");
    EXPECT_EQ(e.tenant_id, acme->tenant_id);
    EXPECT_EQ(e.tenant_name, "acme");
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"tenant.create", "key.create", "key.rotate",
                                               "key.revoke", "rate_limit.set", "rate_limit.clear",
                                               "reporting_role.create", "reporting_role.drop"}));
  EXPECT_EQ(events[1].target, key->key_id);
  EXPECT_NE(events[2].summary_json.find(rotated->key_id), std::string::npos);
  EXPECT_NE(events[4].summary_json.find("\"call_burst\": \"10\""), std::string::npos)
      << events[4].summary_json;
  // No secret in any event.
  for (const AuditEvent& e : events) {
    EXPECT_EQ(e.summary_json.find(key->key), std::string::npos);
    EXPECT_EQ(e.summary_json.find(role->password), std::string::npos);
  }
  absl::StatusOr<AuditVerification> verified = audit_.Verify();
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->events, 8);
  EXPECT_EQ(verified->head_seq, 8);
  EXPECT_FALSE(verified->first_broken.has_value()) << verified->problem;
  EXPECT_EQ(verified->head_hash.size(), 64u);
}

TEST_F(AuditLogTest, VerifyFindsAnEditedEventAndARemovedOne) {
  ScopedAuditActor actor("tnpsctl:alice");
  ASSERT_TRUE(tenants_.Create("acme", "UTC").ok());
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(keys_.Issue("acme", core::Role::kRead).ok());
  ASSERT_FALSE(audit_.Verify()->first_broken.has_value());

  Tamper("UPDATE audit_events SET actor = 'tnpsctl:mallory' WHERE seq = 3");
  absl::StatusOr<AuditVerification> edited = audit_.Verify();
  ASSERT_TRUE(edited.ok());
  EXPECT_EQ(edited->first_broken, 3);
  EXPECT_NE(edited->problem.find("edited"), std::string::npos) << edited->problem;

  Tamper("UPDATE audit_events SET actor = 'tnpsctl:alice' WHERE seq = 3");
  ASSERT_FALSE(audit_.Verify()->first_broken.has_value());
  Tamper("DELETE FROM audit_events WHERE seq = 2");
  absl::StatusOr<AuditVerification> removed = audit_.Verify();
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(removed->first_broken, 3);
  EXPECT_NE(removed->problem.find("missing"), std::string::npos) << removed->problem;
}

TEST_F(AuditLogTest, EventsAreAppendOnly) {
  ScopedAuditActor actor("tnpsctl:alice");
  ASSERT_TRUE(tenants_.Create("acme", "UTC").ok());
  const auto refused = [](const std::string& url, const std::string& sql) {
    try {
      pqxx::connection conn(url);
      pqxx::work(conn).exec(sql);
      return false;
    } catch (const pqxx::insufficient_privilege&) {
      return true;
    }
  };
  for (const char* sql : {"UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events",
                          "TRUNCATE audit_events"}) {
    EXPECT_TRUE(refused(db_.url(), sql)) << "runtime role: " << sql;
    EXPECT_TRUE(refused(db_.owner_url(), sql)) << "owner: " << sql;
  }
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM audit_events"), 1);
}

TEST_F(AuditLogTest, ConcurrentAppendsFormOneChain) {
  ScopedAuditActor actor("tnpsctl:alice");
  ASSERT_TRUE(tenants_.Create("acme", "UTC").ok());
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      ScopedAuditActor mine(absl::StrCat("tnpsctl:worker", t));
      for (int i = 0; i < 10; ++i) EXPECT_TRUE(keys_.Issue("acme", core::Role::kRead).ok());
    });
  }
  for (auto& t : threads) t.join();
  absl::StatusOr<AuditVerification> verified = audit_.Verify();
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(verified->events, 81);
  EXPECT_FALSE(verified->first_broken.has_value()) << verified->problem;
  EXPECT_EQ(db_.QueryInt("SELECT count(DISTINCT actor) FROM audit_events"), 9);
}

}  // namespace
}  // namespace tnps::storage
