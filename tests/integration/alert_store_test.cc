// Alert subscriptions against a real PostgreSQL.
#include "storage/alert_store.h"

#include <gtest/gtest.h>

#include "storage/alert_outbox.h"
#include "storage/connection_pool.h"
#include "storage/response_records.h"
#include "storage/response_store.h"
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
            .filter = {.min_score = 0,
                       .max_score = 6,
                       .team_ids = {"team-blue"},
                       .channels = {1, 2},
                       .attributes = {{"language", {"de", "fr"}}, {"queue", {"billing"}}}},
            .url = "https://crm.example.com/hooks/tnps"};
  }

  TestDatabase db_;
  ConnectionPool pool_{{.database_url = db_.url(), .size = 2}};
  ConnectionPool owner_pool_{{.database_url = db_.owner_url(), .size = 1}};
  TenantStore tenants_{owner_pool_};
  AlertStore alerts_{pool_};
  // Before any query: a connection prepares the statements registered
  // when it opens.
  ResponseStore store_{pool_};
  int64_t tenant_a_ = 0;
  int64_t tenant_b_ = 0;
};

TEST_F(AlertStoreTest, SubscriptionsAreNumberedPerTenantAndRoundTrip) {
  absl::StatusOr<AlertSubscription> first =
      alerts_.Create(tenant_a_, Detractors("detractors"), std::string(32, 's'));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->subscription_id, 1);
  EXPECT_EQ(first->filter.max_score, 6);
  EXPECT_EQ(first->filter.channels, (std::vector<int>{1, 2}));
  ASSERT_EQ(first->filter.attributes.size(), 2u);
  EXPECT_EQ(first->filter.attributes[0].first, "language");
  EXPECT_EQ(first->filter.attributes[0].second, (std::vector<std::string>{"de", "fr"}));
  EXPECT_EQ(first->filter.attributes[1].second, (std::vector<std::string>{"billing"}));
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

core::SurveyResponse Response(const std::string& id, int score, int channel,
                              const std::string& queue) {
  core::SurveyResponse r;
  r.external_id = id;
  r.interaction_id = "call-" + id;
  r.agent_id = "agent-1";
  r.team_id = "team-blue";
  r.channel = channel;
  r.score = score;
  r.interaction_time = absl::Now() - absl::Hours(2);
  r.response_time = absl::Now() - absl::Hours(1);
  if (!queue.empty()) r.attributes = {{"queue", queue}};
  return r;
}

// The outbox: an event per matching subscription, in the response's own
// transaction, paused subscriptions included; none for the others.
TEST_F(AlertStoreTest, StoringAndAmendingWriteAnEventPerMatchingSubscription) {
  ASSERT_TRUE(alerts_.Create(tenant_a_, Detractors("detractors"), std::string(32, 's')).ok());
  AlertSubscription all{.name = "everything",
                        .event_types = {"response.created"},
                        .url = "https://bi.example.com/all"};
  ASSERT_TRUE(alerts_.Create(tenant_a_, all, std::string(32, 't')).ok());
  ASSERT_TRUE(alerts_.SetPaused(tenant_a_, 2, true).ok());
  ASSERT_TRUE(alerts_.Create(tenant_b_, all, std::string(32, 'u')).ok());
  std::vector<core::SurveyResponse> rs = {
      Response("match", 3, 1, "billing"),      // detractor, phone, billing: both
      Response("promoter", 10, 1, "billing"),  // score too high: everything only
      Response("chat", 2, 3, "billing"),       // channel not listed
      Response("tech", 2, 2, "tech"),          // attribute value not listed
      Response("no-queue", 2, 2, "")};         // attribute missing
  // The detractor subscription also wants the language to be de or fr.
  rs[0].attributes = {{"language", "de"}, {"queue", "billing"}};
  std::vector<TenantResponse> items;
  for (const auto& r : rs) items.push_back({tenant_a_, &r});
  absl::StatusOr<std::vector<WriteResult>> written = store_.Write(items);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(db_.QueryText("SELECT string_agg(r.external_id || '>' || e.subscription_id, ',' "
                          "ORDER BY r.external_id, e.subscription_id) FROM alert_events e "
                          "JOIN responses r USING (tenant_id, response_id)"),
            "chat>2,match>1,match>2,no-queue>2,promoter>2,tech>2");
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM alert_events WHERE state = 'pending' AND "
                         "event_type = 'response.created' AND attempts = 0"),
            6);
  // A retry of the same write raises nothing new.
  ASSERT_TRUE(store_.Write(items).ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM alert_events"), 6);

  // A comment that arrives later: response.updated for the detractor
  // subscription, which asked for it; nothing when nothing changes.
  ResponseRecords records(pool_);
  ASSERT_TRUE(
      records.Amend({.tenant_id = tenant_a_, .external_id = "match", .comment = "later"}).ok());
  ASSERT_TRUE(
      records.Amend({.tenant_id = tenant_a_, .external_id = "match", .comment = "later"}).ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM alert_events WHERE event_type = "
                         "'response.updated' AND subscription_id = 1"),
            1);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM alert_events"), 7);
  EXPECT_EQ(db_.QueryInt("SELECT count(DISTINCT event_seq) FROM alert_events"), 7);
}

// The claim: each unpaused subscription's oldest due event, leased; the
// agent's training once per attempt however many subscriptions match.
TEST_F(AlertStoreTest, ClaimTakesOneDueEventPerSubscriptionUnderALease) {
  AlertSubscription all{.name = "everything",
                        .event_types = {"response.created"},
                        .url = "https://bi.example.com/all"};
  ASSERT_TRUE(alerts_.Create(tenant_a_, all, std::string(32, 't')).ok());
  all.name = "everything again";
  ASSERT_TRUE(alerts_.Create(tenant_a_, all, std::string(32, 'v')).ok());
  ASSERT_TRUE(alerts_.Create(tenant_b_, all, std::string(32, 'u')).ok());
  ASSERT_TRUE(alerts_.SetPaused(tenant_b_, 1, true).ok());
  std::vector<core::SurveyResponse> rs = {Response("one", 3, 1, ""), Response("two", 9, 1, "")};
  std::vector<TenantResponse> items;
  for (const auto& r : rs) items.push_back({tenant_a_, &r});
  items.push_back({tenant_b_, &rs[0]});
  ASSERT_TRUE(store_.Write(items).ok());
  db_.Exec(absl::StrCat(
      "INSERT INTO training_programs (tenant_id, program_id, name, hours_per_participant, "
      "cost_per_hour_micros, currency_code) VALUES (",
      tenant_a_, ", 1, 'Empathy', 6, 1, 'EUR');",
      "INSERT INTO training_cohorts (tenant_id, cohort_id, program_id, name, planned_start, "
      "planned_end) VALUES (",
      tenant_a_, ", 1, 1, 'Wave 1', '2026-01-05', '2026-01-09');",
      "INSERT INTO training_enrollments (tenant_id, program_id, cohort_id, agent_id, "
      "enrolled_at) VALUES (",
      tenant_a_, ", 1, 1, 'agent-1', '2026-01-05T08:00:00Z')"));

  AlertOutbox outbox(pool_);
  // One at a time per subscription here.
  absl::StatusOr<std::vector<AlertAttempt>> first = outbox.Claim(10, 1, {}, absl::Minutes(1));
  ASSERT_TRUE(first.ok()) << first.status();
  // Tenant a's two subscriptions, one event each; tenant b's is paused.
  ASSERT_EQ(first->size(), 2u);
  for (const AlertAttempt& a : *first) {
    EXPECT_EQ(a.tenant_id, tenant_a_);
    EXPECT_EQ(a.attempt, 1);
    EXPECT_EQ(a.tenant_name, "a");
    EXPECT_EQ(a.response.response.external_id, "one");
    EXPECT_EQ(a.secrets.size(), 1u);
    ASSERT_EQ(a.agent_training.size(), 1u);
    EXPECT_EQ(a.agent_training[0].cohort_name, "Wave 1");
    EXPECT_FALSE(a.agent_training[0].completed_at.has_value());
  }
  // Busy subscriptions are skipped; the leased events are not due again.
  absl::StatusOr<std::vector<AlertAttempt>> second = outbox.Claim(
      10, 1,
      {{.tenant_id = tenant_a_, .subscription_id = (*first)[0].subscription_id, .in_flight = 1}},
      absl::Minutes(1));
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].subscription_id, (*first)[1].subscription_id);
  EXPECT_EQ((*second)[0].response.response.external_id, "two");

  // Outcomes: a failure scheduled in the past is due at once; a stale
  // attempt's outcome is ignored.
  ASSERT_TRUE(outbox
                  .Record({{.tenant_id = tenant_a_,
                            .event_seq = (*first)[0].event_seq,
                            .attempt = 1,
                            .result = "HTTP 503",
                            .next_attempt_at = absl::Now() - absl::Seconds(1)},
                           {.tenant_id = tenant_a_,
                            .event_seq = (*first)[1].event_seq,
                            .attempt = 1,
                            .delivered = true,
                            .result = "HTTP 200"}})
                  .ok());
  absl::StatusOr<std::vector<AlertAttempt>> third = outbox.Claim(10, 1, {}, absl::Minutes(1));
  ASSERT_TRUE(third.ok());
  ASSERT_EQ(third->size(), 1u);
  EXPECT_EQ((*third)[0].event_seq, (*first)[0].event_seq);
  EXPECT_EQ((*third)[0].attempt, 2);
  EXPECT_EQ((*third)[0].first_attempt_at, (*first)[0].first_attempt_at);
  ASSERT_TRUE(outbox
                  .Record({{.tenant_id = tenant_a_,
                            .event_seq = (*first)[0].event_seq,
                            .attempt = 1,
                            .delivered = true,
                            .result = "HTTP 200"}})
                  .ok());
  EXPECT_EQ(db_.QueryText(absl::StrCat("SELECT state FROM alert_events WHERE event_seq = ",
                                       (*first)[0].event_seq)),
            "pending");
  ASSERT_TRUE(outbox
                  .Record({{.tenant_id = tenant_a_,
                            .event_seq = (*first)[0].event_seq,
                            .attempt = 2,
                            .result = "HTTP 500"}})
                  .ok());
  EXPECT_EQ(db_.QueryText(absl::StrCat("SELECT state || ' ' || last_result FROM alert_events "
                                       "WHERE event_seq = ",
                                       (*first)[0].event_seq)),
            "dead HTTP 500");

  absl::StatusOr<std::vector<DeliveryRecord>> listed =
      outbox.ListDeliveries({.tenant_id = tenant_a_, .state = kDeliveryDelivered});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].event_seq, (*first)[1].event_seq);
  // Finished events are pruned once old enough, pending ones never.
  absl::StatusOr<int64_t> pruned = outbox.PruneFinished(absl::Now() + absl::Minutes(1), 100);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 2);
  EXPECT_EQ(db_.QueryText("SELECT string_agg(state, ',') FROM alert_events"),
            "pending,pending,pending");
}

// A healthy subscription takes up to per_subscription at once, counting
// those in flight; a failing one, one.
TEST_F(AlertStoreTest, ClaimGivesAFailingSubscriptionOneSlot) {
  AlertSubscription all{.name = "everything",
                        .event_types = {"response.created"},
                        .url = "https://bi.example.com/all"};
  ASSERT_TRUE(alerts_.Create(tenant_a_, all, std::string(32, 't')).ok());
  std::vector<core::SurveyResponse> rs;
  for (int i = 0; i < 8; ++i) rs.push_back(Response(absl::StrCat("r", i), 3, 1, ""));
  std::vector<TenantResponse> items;
  for (const auto& r : rs) items.push_back({tenant_a_, &r});
  ASSERT_TRUE(store_.Write(items).ok());
  AlertOutbox outbox(pool_);
  const auto claim = [&](std::vector<SubscriptionLoad> known) {
    absl::StatusOr<std::vector<AlertAttempt>> got = outbox.Claim(10, 4, known, absl::Minutes(1));
    EXPECT_TRUE(got.ok()) << got.status();
    return got.ok() ? got->size() : 0;
  };
  EXPECT_EQ(claim({}), 4u);
  EXPECT_EQ(claim({{.tenant_id = tenant_a_, .subscription_id = 1, .in_flight = 3}}), 1u);
  EXPECT_EQ(claim({{.tenant_id = tenant_a_, .subscription_id = 1, .failing = true}}), 1u);
  EXPECT_EQ(
      claim({{.tenant_id = tenant_a_, .subscription_id = 1, .in_flight = 1, .failing = true}}), 0u);
}

// An attempt still in flight when its event is redelivered no longer
// counts: its outcome cannot make the redelivered event dead or late.
TEST_F(AlertStoreTest, OutcomeOfAnAttemptBeforeARedeliveryIsIgnored) {
  AlertSubscription all{.name = "everything",
                        .event_types = {"response.created"},
                        .url = "https://bi.example.com/all"};
  ASSERT_TRUE(alerts_.Create(tenant_a_, all, std::string(32, 't')).ok());
  const core::SurveyResponse r = Response("one", 3, 1, "");
  ASSERT_TRUE(store_.Write({{tenant_a_, &r}}).ok());
  AlertOutbox outbox(pool_);
  absl::StatusOr<std::vector<AlertAttempt>> claimed = outbox.Claim(10, 4, {}, absl::Minutes(1));
  ASSERT_TRUE(claimed.ok() && claimed->size() == 1u);
  const AlertAttempt& a = (*claimed)[0];
  absl::StatusOr<DeliveryRecord> redelivered = outbox.Redeliver(tenant_a_, a.event_seq);
  ASSERT_TRUE(redelivered.ok()) << redelivered.status();
  EXPECT_EQ(redelivered->attempts, 0);
  ASSERT_TRUE(outbox
                  .Record({{.tenant_id = tenant_a_,
                            .event_seq = a.event_seq,
                            .attempt = a.attempt,
                            .result = "HTTP 500"}})
                  .ok());
  EXPECT_EQ(db_.QueryText("SELECT state || ' ' || attempts || ' ' || last_result FROM "
                          "alert_events"),
            "pending 0 ");
  EXPECT_EQ(outbox.Redeliver(tenant_b_, a.event_seq).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tnps::storage
