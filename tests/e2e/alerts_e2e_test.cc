// AlertService through the real server: subscription management and its
// bad input.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/e2e/ingest_fixture.h"
#include "tnps/v1/alert_service.grpc.pb.h"

namespace tnps::testing {
namespace {

tnps::v1::CreateSubscriptionRequest Detractors(const std::string& url) {
  tnps::v1::CreateSubscriptionRequest request;
  tnps::v1::Subscription* s = request.mutable_subscription();
  s->set_name("detractors to the call-back queue");
  s->add_event_types(tnps::v1::ALERT_EVENT_TYPE_RESPONSE_CREATED);
  s->add_event_types(tnps::v1::ALERT_EVENT_TYPE_RESPONSE_UPDATED);
  s->mutable_filter()->set_max_score(6);
  s->mutable_filter()->add_channels(tnps::v1::CHANNEL_PHONE);
  (*s->mutable_filter()->mutable_attributes())["queue"].add_values("billing");
  s->set_url(url);
  request.set_secret(std::string(40, 'k'));
  return request;
}

class AlertsE2eTest : public IngestFixture {
 protected:
  void SetUp() override {
    IngestFixture::SetUp();
    alerts_ = tnps::v1::AlertService::NewStub(server_->NewChannel());
  }
  void TearDown() override {
    alerts_.reset();
    IngestFixture::TearDown();
  }

  grpc::Status Create(const std::string& key, const tnps::v1::CreateSubscriptionRequest& request,
                      tnps::v1::CreateSubscriptionResponse* out) {
    return alerts_->CreateSubscription(Context(key).get(), request, out);
  }

  std::unique_ptr<tnps::v1::AlertService::Stub> alerts_;
};

TEST_F(AlertsE2eTest, AdminsCreateListPauseResumeRotateAndDeleteSubscriptions) {
  tnps::v1::CreateSubscriptionResponse created;
  grpc::Status status =
      Create(admin_key_a_, Detractors("https://crm.example.com/hooks/tnps"), &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.subscription().subscription_id(), 1);
  EXPECT_EQ(created.subscription().filter().min_score(), 0);
  EXPECT_EQ(created.subscription().filter().max_score(), 6);
  EXPECT_EQ(created.subscription().event_types_size(), 2);
  EXPECT_EQ(created.subscription().filter().attributes().at("queue").values(0), "billing");
  EXPECT_FALSE(created.subscription().paused());

  EXPECT_EQ(Create(read_key_a_, Detractors("https://x.example.com/"), &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Create(admin_key_a_, Detractors("https://x.example.com/"), &created).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  tnps::v1::PauseSubscriptionRequest pause;
  pause.set_subscription_id(1);
  tnps::v1::PauseSubscriptionResponse paused;
  ASSERT_TRUE(alerts_->PauseSubscription(Context(admin_key_a_).get(), pause, &paused).ok());
  EXPECT_TRUE(paused.subscription().paused());
  tnps::v1::ResumeSubscriptionRequest resume;
  resume.set_subscription_id(1);
  tnps::v1::ResumeSubscriptionResponse resumed;
  ASSERT_TRUE(alerts_->ResumeSubscription(Context(admin_key_a_).get(), resume, &resumed).ok());
  EXPECT_FALSE(resumed.subscription().paused());
  // Another tenant's admin does not see it.
  EXPECT_EQ(alerts_->PauseSubscription(Context(admin_key_b_).get(), pause, &paused).error_code(),
            grpc::StatusCode::NOT_FOUND);
  tnps::v1::ListSubscriptionsResponse listed;
  ASSERT_TRUE(alerts_->ListSubscriptions(Context(admin_key_b_).get(), {}, &listed).ok());
  EXPECT_EQ(listed.subscriptions_size(), 0);
  ASSERT_TRUE(alerts_->ListSubscriptions(Context(admin_key_a_).get(), {}, &listed).ok());
  ASSERT_EQ(listed.subscriptions_size(), 1);

  tnps::v1::RotateSubscriptionSecretRequest rotate;
  rotate.set_subscription_id(1);
  rotate.set_secret(std::string(48, 'n'));
  rotate.mutable_previous_secret_overlap()->set_seconds(86400);
  tnps::v1::RotateSubscriptionSecretResponse rotated;
  ASSERT_TRUE(
      alerts_->RotateSubscriptionSecret(Context(admin_key_a_).get(), rotate, &rotated).ok());
  rotate.mutable_previous_secret_overlap()->set_seconds(8 * 86400);
  grpc::Status too_long =
      alerts_->RotateSubscriptionSecret(Context(admin_key_a_).get(), rotate, &rotated);
  EXPECT_EQ(too_long.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(too_long), std::vector<std::string>{"previous_secret_overlap"});

  tnps::v1::DeleteSubscriptionRequest remove;
  remove.set_subscription_id(1);
  tnps::v1::DeleteSubscriptionResponse removed;
  ASSERT_TRUE(alerts_->DeleteSubscription(Context(admin_key_a_).get(), remove, &removed).ok());
  EXPECT_EQ(alerts_->DeleteSubscription(Context(admin_key_a_).get(), remove, &removed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM audit_events WHERE action LIKE "
                          "'alert_subscription.%'"),
            5);
  // The secret is stored to sign with, and is in no reply and no audit event.
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM audit_events WHERE summary::text LIKE '%kkkk%' "
                          "OR summary::text LIKE '%nnnn%'"),
            0);
}

TEST_F(AlertsE2eTest, BadSubscriptionsAreRefusedNamingTheField) {
  const auto fields_of = [&](const tnps::v1::CreateSubscriptionRequest& request) {
    tnps::v1::CreateSubscriptionResponse out;
    grpc::Status status = Create(admin_key_a_, request, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
    return ViolatedFields(status);
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(fields_of(Detractors("http://crm.example.com/hook")), V{"subscription.url"});
  EXPECT_EQ(fields_of(Detractors("https://user:pw@crm.example.com/")), V{"subscription.url"});
  EXPECT_EQ(fields_of(Detractors("")), V{"subscription.url"});
  tnps::v1::CreateSubscriptionRequest r = Detractors("https://crm.example.com/");
  r.clear_secret();
  EXPECT_EQ(fields_of(r), V{"secret"});
  r.set_secret(std::string(300, 's'));
  EXPECT_EQ(fields_of(r), V{"secret"});
  r = Detractors("https://crm.example.com/");
  r.mutable_subscription()->add_event_types(static_cast<tnps::v1::AlertEventType>(9));
  EXPECT_EQ(fields_of(r), V{"subscription.event_types[2]"});
  r = Detractors("https://crm.example.com/");
  r.mutable_subscription()->clear_event_types();
  EXPECT_EQ(fields_of(r), V{"subscription.event_types"});
  r = Detractors("https://crm.example.com/");
  r.mutable_subscription()->mutable_filter()->add_channels(static_cast<tnps::v1::Channel>(42));
  EXPECT_EQ(fields_of(r), V{"subscription.filter.channels[1]"});
  r = Detractors("https://crm.example.com/");
  r.mutable_subscription()->mutable_filter()->set_min_score(9);
  EXPECT_EQ(fields_of(r), V{"subscription.filter.max_score"});
  r = Detractors("https://crm.example.com/");
  r.mutable_subscription()->clear_name();
  EXPECT_EQ(fields_of(r), V{"subscription.name"});
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM alert_subscriptions"), 0);

  tnps::v1::PauseSubscriptionRequest unknown;
  unknown.set_subscription_id(77);
  tnps::v1::PauseSubscriptionResponse paused;
  EXPECT_EQ(alerts_->PauseSubscription(Context(admin_key_a_).get(), unknown, &paused).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// A server whose operator allows http:// targets (receivers on loopback).
class AlertsOnLoopbackE2eTest : public AlertsE2eTest {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--auth_cache_ttl=0s", "--alert_allow_private_targets"};
  }
};

TEST_F(AlertsOnLoopbackE2eTest, HttpTargetsNeedTheOperatorsFlag) {
  tnps::v1::CreateSubscriptionResponse created;
  grpc::Status status = Create(admin_key_a_, Detractors("http://127.0.0.1:8099/hook"), &created);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(created.subscription().url(), "http://127.0.0.1:8099/hook");
}

}  // namespace
}  // namespace tnps::testing
