// Alert subscriptions against a real PostgreSQL.
#include "storage/alert_store.h"

#include <gtest/gtest.h>

#include "storage/connection_pool.h"
#include "storage/tenant_store.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

using tnps::testing::TestDatabase;

class AlertStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Tenant> a = tenants_.Create("a", "UTC");
    absl::StatusOr<Tenant> b = tenants_.Create("b", "UTC");
    ASSERT_TRUE(a.ok() && b.ok());
    tenant_a_ = a->tenant_id;
    tenant_b_ = b->tenant_id;
  }

  static AlertSubscription Detractors(const std::string& name) {
    return {.name = name,
            .event_types = {"response.created", "response.updated"},
            .min_score = 0,
            .max_score = 6,
            .team_ids = {"team-blue"},
            .channels = {1, 2},
            .attributes = {{"language", {"de", "fr"}}, {"queue", {"billing"}}},
            .url = "https://crm.example.com/hooks/tnps"};
  }

  TestDatabase db_;
  ConnectionPool pool_{{.database_url = db_.url(), .size = 2}};
  ConnectionPool owner_pool_{{.database_url = db_.owner_url(), .size = 1}};
  TenantStore tenants_{owner_pool_};
  AlertStore alerts_{pool_};
  int64_t tenant_a_ = 0;
  int64_t tenant_b_ = 0;
};

TEST_F(AlertStoreTest, SubscriptionsAreNumberedPerTenantAndRoundTrip) {
  absl::StatusOr<AlertSubscription> first =
      alerts_.Create(tenant_a_, Detractors("detractors"), std::string(32, 's'));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->subscription_id, 1);
  EXPECT_EQ(first->max_score, 6);
  EXPECT_EQ(first->channels, (std::vector<int>{1, 2}));
  ASSERT_EQ(first->attributes.size(), 2u);
  EXPECT_EQ(first->attributes[0].first, "language");
  EXPECT_EQ(first->attributes[0].second, (std::vector<std::string>{"de", "fr"}));
  EXPECT_EQ(first->attributes[1].second, (std::vector<std::string>{"billing"}));
  EXPECT_FALSE(first->paused);
  // Another tenant starts at 1 too; a name is unique per tenant.
  EXPECT_EQ(
      alerts_.Create(tenant_b_, Detractors("detractors"), std::string(32, 't'))->subscription_id,
      1);
  EXPECT_EQ(
      alerts_.Create(tenant_a_, Detractors("detractors"), std::string(32, 'u')).status().code(),
      absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(alerts_.Create(tenant_a_, Detractors("second"), std::string(32, 'v'))->subscription_id,
            2);
  absl::StatusOr<std::vector<AlertSubscription>> listed = alerts_.List(tenant_a_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[1].name, "second");
}

TEST_F(AlertStoreTest, PauseResumeRotateAndDeleteAreAuditedWithoutTheSecret) {
  ASSERT_TRUE(
      alerts_.Create(tenant_a_, Detractors("d"), "first-secret-" + std::string(20, 'x')).ok());
  EXPECT_TRUE(alerts_.SetPaused(tenant_a_, 1, true)->paused);
  EXPECT_FALSE(alerts_.SetPaused(tenant_a_, 1, false)->paused);
  EXPECT_EQ(alerts_.SetPaused(tenant_b_, 1, true).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(
      alerts_.RotateSecret(tenant_a_, 1, "second-secret-" + std::string(20, 'y'), absl::Hours(24))
          .ok());
  EXPECT_EQ(db_.QueryText("SELECT previous_secret FROM alert_subscriptions"),
            "first-secret-" + std::string(20, 'x'));
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM alert_subscriptions WHERE previous_secret_until "
                         "BETWEEN now() + interval '23 hours' AND now() + interval '25 hours'"),
            1);
  EXPECT_EQ(alerts_.Delete(tenant_b_, 1).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(alerts_.Delete(tenant_a_, 1).ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM alert_subscriptions"), 0);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM audit_events WHERE action LIKE "
                         "'alert_subscription.%'"),
            5);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM audit_events WHERE summary::text LIKE "
                         "'%secret-%'"),
            0);
}

}  // namespace
}  // namespace tnps::storage
