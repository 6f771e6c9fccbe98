// Alert delivery through real parts: the server, PostgreSQL, and a real
// HTTP receiver on loopback (tests/e2e/webhook_receiver.py) that checks
// signatures with its own HMAC code.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/e2e/ingest_fixture.h"
#include "tests/e2e/webhook_receiver.h"
#include "tnps/v1/alert_service.grpc.pb.h"
#include "tnps/v1/response_service.grpc.pb.h"

namespace tnps::testing {
namespace {

const std::string kSecret(40, 'k');

class AlertDeliveryE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    // Retries after 1 s, 2 s...; attempts end after 2 s, so a lease (the
    // attempt's time and 5 s) ends 7 s after a crash.
    return {"--auth_cache_ttl=0s", "--alert_allow_private_targets", "--alert_retry_first_delay=1s",
            "--alert_timeout=2s", "--alert_connect_timeout=1s"};
  }

  void SetUp() override {
    IngestFixture::SetUp();
    Connect();
  }
  void TearDown() override {
    alerts_.reset();
    responses_.reset();
    IngestFixture::TearDown();
  }

  void Connect() {
    stub_ = tnps::v1::IngestService::NewStub(server_->NewChannel());
    alerts_ = tnps::v1::AlertService::NewStub(server_->NewChannel());
    responses_ = tnps::v1::ResponseService::NewStub(server_->NewChannel());
  }

  // Detractors (0..6) on the phone, to `url`; returns the subscription id.
  int64_t Subscribe(const std::string& admin_key, const std::string& url,
                    bool include_customer_ref = false) {
    tnps::v1::CreateSubscriptionRequest request;
    tnps::v1::Subscription* s = request.mutable_subscription();
    s->set_name(absl::StrCat("detractors to ", url));
    s->add_event_types(tnps::v1::ALERT_EVENT_TYPE_RESPONSE_CREATED);
    s->add_event_types(tnps::v1::ALERT_EVENT_TYPE_RESPONSE_UPDATED);
    s->mutable_filter()->set_max_score(6);
    s->mutable_filter()->add_channels(tnps::v1::CHANNEL_PHONE);
    s->set_url(url);
    s->set_include_customer_ref(include_customer_ref);
    request.set_secret(kSecret);
    tnps::v1::CreateSubscriptionResponse created;
    grpc::Status status = alerts_->CreateSubscription(Context(admin_key).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created.subscription().subscription_id();
  }

  void SubmitScores(const std::string& prefix, const std::vector<int>& scores,
                    const std::string& key = "") {
    std::vector<tnps::v1::SurveyResponse> batch;
    for (size_t i = 0; i < scores.size(); ++i) {
      batch.push_back(ValidResponse(absl::StrCat(prefix, "-", i), scores[i]));
    }
    tnps::v1::SubmitResponsesResponse out;
    grpc::Status status = SubmitBatch(key.empty() ? ingest_key_a_ : key, batch, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::vector<tnps::v1::Delivery> Deliveries(tnps::v1::DeliveryState state = {}) {
    tnps::v1::ListDeliveriesRequest request;
    request.set_state(state);
    tnps::v1::ListDeliveriesResponse out;
    grpc::Status status = alerts_->ListDeliveries(Context(admin_key_a_).get(), request, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return {out.deliveries().begin(), out.deliveries().end()};
  }

  // Waits until `count` events of tenant a are in `state`.
  std::vector<tnps::v1::Delivery> WaitForState(tnps::v1::DeliveryState state, int count,
                                               absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    std::vector<tnps::v1::Delivery> seen = Deliveries(state);
    while (static_cast<int>(seen.size()) < count && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
      seen = Deliveries(state);
    }
    return seen;
  }

  static std::set<std::string> ExternalIds(const std::vector<ReceivedRequest>& requests) {
    std::set<std::string> out;
    for (const auto& r : requests) out.insert(r.event.response().response().external_id());
    return out;
  }

  std::unique_ptr<grpc::ClientReader<tnps::v1::WatchResponsesResponse>> responses_watch(
      grpc::ClientContext* context, const tnps::v1::WatchResponsesRequest& request) {
    return alerts_->WatchResponses(context, request);
  }

  std::unique_ptr<tnps::v1::AlertService::Stub> alerts_;
  std::unique_ptr<tnps::v1::ResponseService::Stub> responses_;
};

TEST_F(AlertDeliveryE2eTest, MatchingResponsesAreDeliveredSignedAndOthersAreNot) {
  WebhookReceiver receiver(0, {kSecret});
  Subscribe(admin_key_a_, receiver.Url("/ok/tnps"));
  // agent-1 is trained: the payload says so, for the CRM's routing.
  SubmitScores("warmup", {9});
  db_->Exec(absl::StrCat(
      "INSERT INTO training_programs (tenant_id, program_id, name, hours_per_participant, "
      "cost_per_hour_micros, currency_code) VALUES (",
      tenant_a_,
      ", 1, 'Empathy', 6, 50000000, 'EUR');"
      "INSERT INTO training_cohorts (tenant_id, cohort_id, program_id, name, planned_start, "
      "planned_end) SELECT tenant_id, 1, program_id, 'Wave 1', '2026-01-05', '2026-01-09' FROM "
      "training_programs;"
      "INSERT INTO training_enrollments (tenant_id, program_id, cohort_id, agent_id, "
      "enrolled_at, completed_at) SELECT tenant_id, program_id, cohort_id, 'agent-1', "
      "'2026-01-05T08:00:00Z', '2026-01-09T17:00:00Z' FROM training_cohorts"));
  SubmitScores("mixed", {0, 9, 6, 10, 3});
  // An email detractor does not match the phone-only filter.
  tnps::v1::SurveyResponse email = ValidResponse("email-1", 2);
  email.set_channel(tnps::v1::CHANNEL_EMAIL);
  ASSERT_TRUE(Submit(ingest_key_a_, email).ok());

  std::vector<ReceivedRequest> got = receiver.WaitForRequests(3, absl::Seconds(10));
  absl::SleepFor(absl::Seconds(1));
  got = receiver.Requests();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(ExternalIds(got), (std::set<std::string>{"mixed-0", "mixed-2", "mixed-4"}));
  std::set<std::string> event_ids;
  for (const ReceivedRequest& r : got) {
    ASSERT_TRUE(r.parsed) << r.body;
    event_ids.insert(r.event_id);
    EXPECT_EQ(r.event.event_id(), r.event_id);
    EXPECT_EQ(r.event.type(), "response.created");
    EXPECT_EQ(r.event_type, "response.created");
    EXPECT_EQ(r.event.tenant(), "tenant-a");
    EXPECT_EQ(r.attempt, "1");
    // Signed with the one secret, seconds ago, checked by the receiver's
    // own HMAC code.
    EXPECT_EQ(r.signatures, 1);
    EXPECT_EQ(r.valid_secrets, std::vector<int>{0});
    EXPECT_GE(r.timestamp_age, -1);
    EXPECT_LT(r.timestamp_age, 10);
    // No customer_ref unless the subscription asks for it.
    EXPECT_EQ(r.event.response().response().customer_ref(), "");
    EXPECT_EQ(r.body.find("cust-42"), std::string::npos);
    EXPECT_EQ(r.event.response().response().comment(), "She listened and solved it.");
    ASSERT_EQ(r.event.agent_training_size(), 1);
    EXPECT_EQ(r.event.agent_training(0).program_name(), "Empathy");
    EXPECT_EQ(r.event.agent_training(0).cohort_name(), "Wave 1");
    EXPECT_EQ(r.event.agent_training(0).completion_time().seconds(), 1767978000);
  }
  EXPECT_EQ(event_ids.size(), 3u);

  const std::vector<tnps::v1::Delivery> delivered =
      WaitForState(tnps::v1::DELIVERY_STATE_DELIVERED, 3, absl::Seconds(5));
  ASSERT_EQ(delivered.size(), 3u);
  for (const auto& d : delivered) {
    EXPECT_EQ(d.attempts(), 1);
    EXPECT_EQ(d.last_result(), "HTTP 200");
    EXPECT_TRUE(event_ids.count(d.event_id())) << d.event_id();
  }
  // Another tenant sees none of them.
  tnps::v1::ListDeliveriesResponse theirs;
  ASSERT_TRUE(alerts_->ListDeliveries(Context(admin_key_b_).get(), {}, &theirs).ok());
  EXPECT_EQ(theirs.deliveries_size(), 0);
}

// Runs a documented verifier (examples/webhooks/) on a request; its exit
// status.
int RunVerifier(const std::string& interpreter, const std::string& script,
                const ReceivedRequest& request, const std::string& body) {
  const std::string dir = ::testing::TempDir();
  const std::string body_file = dir + "/webhook-body";
  const std::string secret_file = dir + "/webhook-secret";
  std::ofstream(body_file, std::ios::binary) << body;
  std::ofstream(secret_file) << kSecret;
  const std::string command =
      absl::StrCat(interpreter, " ", TNPS_EXAMPLES_DIR, "/webhooks/", script, " ", body_file, " '",
                   request.signature, "' ", secret_file);
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(AlertDeliveryE2eTest, DocumentedVerifiersAcceptTheRequestAndRefuseATamperedOne) {
  WebhookReceiver receiver(0, {kSecret});
  Subscribe(admin_key_a_, receiver.Url("/ok/verified"));
  SubmitScores("verified", {2});
  const std::vector<ReceivedRequest> got = receiver.WaitForRequests(1, absl::Seconds(10));
  ASSERT_EQ(got.size(), 1u);
  // One byte more (still the same JSON) is no longer what was signed.
  const std::string tampered = got[0].body + " ";
  EXPECT_EQ(RunVerifier("python3", "verify_signature.py", got[0], got[0].body), 0);
  EXPECT_EQ(RunVerifier("python3", "verify_signature.py", got[0], tampered), 1);
  if (std::system("command -v node >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "node is not installed: the Node verifier was not run";
  }
  EXPECT_EQ(RunVerifier("node", "verify_signature.js", got[0], got[0].body), 0);
  EXPECT_EQ(RunVerifier("node", "verify_signature.js", got[0], tampered), 1);
}

TEST_F(AlertDeliveryE2eTest, CustomerRefIsSentOnlyToASubscriptionThatAsksForIt) {
  WebhookReceiver receiver(0, {kSecret});
  Subscribe(admin_key_a_, receiver.Url("/ok/with-customer"), true);
  SubmitScores("callback", {1});
  std::vector<ReceivedRequest> got = receiver.WaitForRequests(1, absl::Seconds(10));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].event.response().response().customer_ref(), "cust-42");
}

TEST_F(AlertDeliveryE2eTest, ReceiverDownThenUpGetsEverythingOnTheBackoffSchedule) {
  const int port = FreeLoopbackPort();
  Subscribe(admin_key_a_, absl::StrCat("http://127.0.0.1:", port, "/ok/later"));
  SubmitScores("outage", {0, 1, 2, 3});
  // Nobody listens: attempts fail and are scheduled again.
  std::vector<tnps::v1::Delivery> pending;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    absl::SleepFor(absl::Milliseconds(200));
    pending = Deliveries(tnps::v1::DELIVERY_STATE_PENDING);
  } while ((pending.size() != 4u || pending[0].attempts() < 2) && absl::Now() < deadline);
  ASSERT_EQ(pending.size(), 4u);
  EXPECT_GE(pending[0].attempts(), 2);
  EXPECT_THAT(pending[0].last_result(), ::testing::HasSubstr("onnect"));
  EXPECT_TRUE(pending[0].has_next_attempt_time());

  // Up again: with waits of at most 1, 2, 4, 8 s, everything arrives within
  // the next wait.
  const absl::Time up = absl::Now();
  WebhookReceiver receiver(port, {kSecret});
  std::vector<ReceivedRequest> got = receiver.WaitForRequests(4, absl::Seconds(20));
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(ExternalIds(got).size(), 4u);
  for (const auto& r : got) EXPECT_LT(r.received_at - up, absl::Seconds(17));
  const std::vector<tnps::v1::Delivery> delivered =
      WaitForState(tnps::v1::DELIVERY_STATE_DELIVERED, 4, absl::Seconds(5));
  ASSERT_EQ(delivered.size(), 4u);
  EXPECT_GE(delivered[0].attempts(), 3);
}

TEST_F(AlertDeliveryE2eTest, KilledServerDeliversEveryAcknowledgedAlertAfterRestart) {
  WebhookReceiver receiver(0, {kSecret});
  Subscribe(admin_key_a_, receiver.Url("/ok/crash"));
  std::vector<int> scores(40, 2);
  SubmitScores("crash", scores);
  // Killed right after the ack: some events are not even claimed, some
  // are in flight, some delivered but not recorded.
  server_->Kill9();
  server_ = std::make_unique<ServerProcess>(db_->url(), ServerFlags());
  Connect();
  std::vector<ReceivedRequest> got;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    got = receiver.WaitForRequests(40, absl::Seconds(1));
  } while (ExternalIds(got).size() < 40u && absl::Now() < deadline);
  EXPECT_EQ(ExternalIds(got).size(), 40u);
  // A duplicate, if any, carries the same event id: 40 distinct ids.
  std::set<std::string> event_ids;
  for (const auto& r : got) event_ids.insert(r.event_id);
  EXPECT_EQ(event_ids.size(), 40u);
  std::printf("kill -9 after the ack: %zu requests for 40 events\n", got.size());
  EXPECT_EQ(WaitForState(tnps::v1::DELIVERY_STATE_DELIVERED, 40, absl::Seconds(10)).size(), 40u);
}

TEST_F(AlertDeliveryE2eTest, KilledMidRequestIsSentAgainWithTheSameEventId) {
  // The receiver holds each event's first request for 5 s: the server is
  // killed while the requests are in flight, and the events come again,
  // with the same id, once their leases (2 s attempt + 5 s) have ended.
  WebhookReceiver receiver(0, {kSecret});
  Subscribe(admin_key_a_, receiver.Url("/slowfirst/hook"));
  SubmitScores("midway", {0, 1, 2});
  ASSERT_EQ(receiver.WaitForRequests(3, absl::Seconds(10)).size(), 3u);
  server_->Kill9();
  server_ = std::make_unique<ServerProcess>(db_->url(), ServerFlags());
  Connect();
  const std::vector<ReceivedRequest> got = receiver.WaitForRequests(6, absl::Seconds(20));
  ASSERT_EQ(got.size(), 6u);
  std::map<std::string, int> requests_per_event;
  for (const auto& r : got) ++requests_per_event[r.event_id];
  ASSERT_EQ(requests_per_event.size(), 3u);
  for (const auto& [id, requests] : requests_per_event) EXPECT_EQ(requests, 2) << id;
  const std::vector<tnps::v1::Delivery> delivered =
      WaitForState(tnps::v1::DELIVERY_STATE_DELIVERED, 3, absl::Seconds(10));
  ASSERT_EQ(delivered.size(), 3u);
  for (const auto& d : delivered) EXPECT_EQ(d.attempts(), 2);
}

TEST_F(AlertDeliveryE2eTest, RedirectsAreNotFollowed) {
  WebhookReceiver receiver(0, {kSecret});
  Subscribe(admin_key_a_, receiver.Url("/redirect/hook"));
  SubmitScores("moved", {4});
  const std::vector<ReceivedRequest> got = receiver.WaitForRequests(2, absl::Seconds(4));
  ASSERT_GE(got.size(), 1u);
  for (const auto& r : got) EXPECT_EQ(r.path, "/redirect/hook");
  const std::vector<tnps::v1::Delivery> pending = Deliveries(tnps::v1::DELIVERY_STATE_PENDING);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].last_result(), "HTTP 302: redirects are not followed");
}

TEST_F(AlertDeliveryE2eTest, OversizedReplyIsNotReadButTheStatusCounts) {
  WebhookReceiver receiver(0, {kSecret});
  Subscribe(admin_key_a_, receiver.Url("/big/hook"));
  SubmitScores("big", {1});
  const std::vector<tnps::v1::Delivery> delivered =
      WaitForState(tnps::v1::DELIVERY_STATE_DELIVERED, 1, absl::Seconds(10));
  ASSERT_EQ(delivered.size(), 1u);
  // The receiver answered 200 with 1 MiB; 64 KiB of it were read.
  EXPECT_EQ(delivered[0].last_result(), "HTTP 200 (response over 65536 bytes, not read)");
  EXPECT_EQ(delivered[0].attempts(), 1);
}

TEST_F(AlertDeliveryE2eTest, PausedSubscriptionDeliversAfterResume) {
  WebhookReceiver receiver(0, {kSecret});
  const int64_t id = Subscribe(admin_key_a_, receiver.Url("/ok/paused"));
  tnps::v1::PauseSubscriptionRequest pause;
  pause.set_subscription_id(id);
  tnps::v1::PauseSubscriptionResponse paused;
  ASSERT_TRUE(alerts_->PauseSubscription(Context(admin_key_a_).get(), pause, &paused).ok());
  SubmitScores("while-paused", {5, 6});
  absl::SleepFor(absl::Seconds(2));
  EXPECT_EQ(receiver.Requests().size(), 0u);
  const std::vector<tnps::v1::Delivery> pending = Deliveries(tnps::v1::DELIVERY_STATE_PENDING);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].attempts(), 0);

  tnps::v1::ResumeSubscriptionRequest resume;
  resume.set_subscription_id(id);
  tnps::v1::ResumeSubscriptionResponse resumed;
  ASSERT_TRUE(alerts_->ResumeSubscription(Context(admin_key_a_).get(), resume, &resumed).ok());
  const std::vector<ReceivedRequest> got = receiver.WaitForRequests(2, absl::Seconds(10));
  EXPECT_EQ(ExternalIds(got), (std::set<std::string>{"while-paused-0", "while-paused-1"}));
}

TEST_F(AlertDeliveryE2eTest, RotatedSecretSignsBesideThePreviousDuringTheOverlap) {
  const std::string next_secret(48, 'n');
  WebhookReceiver old_only(0, {kSecret});
  WebhookReceiver new_only(0, {next_secret});
  const int64_t first = Subscribe(admin_key_a_, old_only.Url("/ok/old"));
  const int64_t second = Subscribe(admin_key_a_, new_only.Url("/ok/new"));
  for (int64_t id : {first, second}) {
    tnps::v1::RotateSubscriptionSecretRequest rotate;
    rotate.set_subscription_id(id);
    rotate.set_secret(next_secret);
    rotate.mutable_previous_secret_overlap()->set_seconds(3600);
    tnps::v1::RotateSubscriptionSecretResponse rotated;
    ASSERT_TRUE(
        alerts_->RotateSubscriptionSecret(Context(admin_key_a_).get(), rotate, &rotated).ok());
  }
  SubmitScores("rotated", {0});
  // A receiver that still has the old secret and one that has the new
  // one both accept the request: it carries both signatures.
  for (const WebhookReceiver* receiver : {&old_only, &new_only}) {
    const std::vector<ReceivedRequest> got = receiver->WaitForRequests(1, absl::Seconds(10));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].signatures, 2);
    EXPECT_EQ(got[0].valid_secrets, std::vector<int>{0});
  }
}

TEST_F(AlertDeliveryE2eTest, FailingReceiverMakesTheEventDeadThenRedeliverReplaysIt) {
  // Retries end 3 s after the first attempt here (24 hours by default).
  server_.reset();
  server_ = std::make_unique<ServerProcess>(
      db_->url(),
      std::vector<std::string>{"--auth_cache_ttl=0s", "--alert_allow_private_targets",
                               "--alert_retry_first_delay=1s", "--alert_give_up_after=3s"});
  Connect();
  WebhookReceiver receiver(0, {kSecret});
  Subscribe(admin_key_a_, receiver.Url("/fail/hook"));
  SubmitScores("failing", {1});
  const std::vector<tnps::v1::Delivery> dead =
      WaitForState(tnps::v1::DELIVERY_STATE_DEAD, 1, absl::Seconds(15));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].last_result(), "HTTP 503");
  EXPECT_GE(dead[0].attempts(), 3);
  EXPECT_FALSE(dead[0].has_next_attempt_time());
  const size_t attempts_seen = receiver.Requests().size();
  EXPECT_EQ(attempts_seen, static_cast<size_t>(dead[0].attempts()));

  tnps::v1::RedeliverEventRequest redeliver;
  redeliver.set_event_id(dead[0].event_id());
  tnps::v1::RedeliverEventResponse replayed;
  ASSERT_TRUE(alerts_->RedeliverEvent(Context(admin_key_a_).get(), redeliver, &replayed).ok());
  EXPECT_EQ(replayed.delivery().state(), tnps::v1::DELIVERY_STATE_PENDING);
  const std::vector<ReceivedRequest> got =
      receiver.WaitForRequests(attempts_seen + 1, absl::Seconds(10));
  ASSERT_GT(got.size(), attempts_seen);
  EXPECT_EQ(got.back().event_id, dead[0].event_id());
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM audit_events WHERE action = "
                          "'alert_event.redeliver'"),
            1);

  // Unknown events, and a request without one.
  redeliver.set_event_id("00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(alerts_->RedeliverEvent(Context(admin_key_a_).get(), redeliver, &replayed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  redeliver.set_event_id(dead[0].event_id());
  EXPECT_EQ(alerts_->RedeliverEvent(Context(admin_key_b_).get(), redeliver, &replayed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  redeliver.set_event_id("not-a-uuid");
  EXPECT_EQ(alerts_->RedeliverEvent(Context(admin_key_a_).get(), redeliver, &replayed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  redeliver.clear_event_id();
  grpc::Status missing = alerts_->RedeliverEvent(Context(admin_key_a_).get(), redeliver, &replayed);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(missing), std::vector<std::string>{"event_id"});
}

TEST_F(AlertDeliveryE2eTest, ResponseErasedBeforeDeliveryIsNeverSent) {
  const int port = FreeLoopbackPort();
  Subscribe(admin_key_a_, absl::StrCat("http://127.0.0.1:", port, "/ok/erased"));
  SubmitScores("erased", {0});
  tnps::v1::EraseResponsesRequest erase;
  erase.add_external_ids("erased-0");
  tnps::v1::EraseResponsesResponse erased;
  ASSERT_TRUE(responses_->EraseResponses(Context(admin_key_a_).get(), erase, &erased).ok());
  WebhookReceiver receiver(port, {kSecret});
  const std::vector<tnps::v1::Delivery> gone =
      WaitForState(tnps::v1::DELIVERY_STATE_GONE, 1, absl::Seconds(10));
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(receiver.Requests().size(), 0u);
  tnps::v1::RedeliverEventRequest redeliver;
  redeliver.set_event_id(gone[0].event_id());
  tnps::v1::RedeliverEventResponse replayed;
  EXPECT_EQ(alerts_->RedeliverEvent(Context(admin_key_a_).get(), redeliver, &replayed).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(AlertDeliveryE2eTest, SlowReceiverDoesNotDelayAnotherTenantsDeliveries) {
  WebhookReceiver slow(0, {kSecret});
  WebhookReceiver fast(0, {kSecret});
  Subscribe(admin_key_a_, slow.Url("/slow/hook"));
  Subscribe(admin_key_b_, fast.Url("/ok/fast"));
  SubmitScores("stuck", {0, 1, 2, 3, 4, 5});
  const absl::Time start = absl::Now();
  SubmitScores("other", {0, 1, 2}, ingest_key_b_);
  const std::vector<ReceivedRequest> got = fast.WaitForRequests(3, absl::Seconds(10));
  ASSERT_EQ(got.size(), 3u);
  // The slow receiver holds its attempts for 2 s (the timeout), at most 4
  // at once; the other tenant's alerts arrive meanwhile.
  for (const auto& r : got) EXPECT_LT(r.received_at - start, absl::Seconds(1.5));
  EXPECT_LE(slow.Requests().size(), 4u);
  // Once they have timed out, the failing subscription gets one attempt at
  // a time: in the next 1.5 s at most one more request.
  absl::SleepFor(start + absl::Seconds(3.5) - absl::Now());
  EXPECT_LE(slow.Requests().size(), 5u);
}

TEST_F(AlertDeliveryE2eTest, BadDeliveryQueriesAreRefusedNamingTheField) {
  tnps::v1::ListDeliveriesRequest request;
  tnps::v1::ListDeliveriesResponse out;
  request.set_subscription_id(99);
  EXPECT_EQ(alerts_->ListDeliveries(Context(admin_key_a_).get(), request, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_subscription_id(-1);
  request.set_page_size(5000);
  request.set_page_token("forged");
  request.set_state(static_cast<tnps::v1::DeliveryState>(17));
  grpc::Status bad = alerts_->ListDeliveries(Context(admin_key_a_).get(), request, &out);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(bad), ::testing::UnorderedElementsAre("subscription_id", "state",
                                                                   "page_size", "page_token"));
  EXPECT_EQ(alerts_->ListDeliveries(Context(read_key_a_).get(), {}, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(AlertDeliveryE2eTest, DeliveriesArePagedNewestFirst) {
  const int port = FreeLoopbackPort();
  Subscribe(admin_key_a_, absl::StrCat("http://127.0.0.1:", port, "/ok/pages"));
  SubmitScores("paged", {0, 1, 2, 3, 4});
  tnps::v1::ListDeliveriesRequest request;
  request.set_page_size(2);
  std::vector<std::string> ids;
  for (int page = 0; page < 5; ++page) {
    tnps::v1::ListDeliveriesResponse out;
    ASSERT_TRUE(alerts_->ListDeliveries(Context(admin_key_a_).get(), request, &out).ok());
    for (const auto& d : out.deliveries()) ids.push_back(d.event_id());
    if (out.next_page_token().empty()) break;
    request.set_page_token(out.next_page_token());
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 5u);
}

TEST_F(AlertDeliveryE2eTest, CommentAddedLaterRaisesAnUpdate) {
  WebhookReceiver receiver(0, {kSecret});
  Subscribe(admin_key_a_, receiver.Url("/ok/updates"));
  SubmitScores("amended", {3});
  ASSERT_EQ(receiver.WaitForRequests(1, absl::Seconds(10)).size(), 1u);
  tnps::v1::AmendResponseRequest amend;
  amend.set_external_id("amended-0");
  amend.mutable_response()->set_comment("Nobody called me back.");
  amend.mutable_update_mask()->add_paths("comment");
  tnps::v1::AmendResponseResponse amended;
  ASSERT_TRUE(responses_->AmendResponse(Context(admin_key_a_).get(), amend, &amended).ok());
  const std::vector<ReceivedRequest> got = receiver.WaitForRequests(2, absl::Seconds(10));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].event.type(), "response.updated");
  EXPECT_EQ(got[1].event.response().response().comment(), "Nobody called me back.");
  EXPECT_EQ(got[1].event.response().version(), 2);
  EXPECT_NE(got[1].event_id, got[0].event_id);
}

TEST_F(AlertDeliveryE2eTest, PrivateAddressesAreRefusedAfterNameResolution) {
  // The production default: no --alert_allow_private_targets.
  server_.reset();
  server_ = std::make_unique<ServerProcess>(
      db_->url(), std::vector<std::string>{"--auth_cache_ttl=0s", "--alert_retry_first_delay=1s"});
  Connect();
  WebhookReceiver receiver(0, {kSecret});
  // A name that resolves to loopback, and the cloud metadata address.
  Subscribe(admin_key_a_, absl::StrCat("https://localhost:", receiver.port(), "/ok/internal"));
  Subscribe(admin_key_a_, "https://169.254.169.254/latest/meta-data/");
  SubmitScores("ssrf", {0});
  std::vector<tnps::v1::Delivery> refused;
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  do {
    absl::SleepFor(absl::Milliseconds(200));
    refused = Deliveries(tnps::v1::DELIVERY_STATE_PENDING);
    // An attempt counts from its claim; its result comes when it ends.
  } while ((refused.size() < 2u || refused[0].last_result().empty() ||
            refused[1].last_result().empty()) &&
           absl::Now() < deadline);
  ASSERT_EQ(refused.size(), 2u);
  std::set<std::string> results;
  for (const auto& d : refused) results.insert(d.last_result());
  // Said without the address: a tenant learns nothing of internal names.
  EXPECT_THAT(results, ::testing::Contains("refused: the host resolves to a loopback address"));
  EXPECT_THAT(results, ::testing::Contains("refused: the host resolves to a link-local address"));
  // Refused before connecting: the receiver saw no connection at all.
  EXPECT_EQ(receiver.Connections(), 0);
  // And http:// is refused at creation.
  tnps::v1::CreateSubscriptionRequest plain;
  plain.mutable_subscription()->set_name("plain");
  plain.mutable_subscription()->add_event_types(tnps::v1::ALERT_EVENT_TYPE_RESPONSE_CREATED);
  plain.mutable_subscription()->set_url(receiver.Url("/ok/plain"));
  plain.set_secret(kSecret);
  tnps::v1::CreateSubscriptionResponse created;
  grpc::Status status = alerts_->CreateSubscription(Context(admin_key_a_).get(), plain, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"subscription.url"});
}

// Reads `count` messages from a watch, or fewer if it ends first.
std::vector<tnps::v1::WatchResponsesResponse> ReadWatch(
    grpc::ClientReader<tnps::v1::WatchResponsesResponse>& reader, size_t count) {
  std::vector<tnps::v1::WatchResponsesResponse> out;
  tnps::v1::WatchResponsesResponse message;
  while (out.size() < count && reader.Read(&message)) out.push_back(message);
  return out;
}

TEST_F(AlertDeliveryE2eTest, WatchResumedFromItsTokenMissesNothingAndRepeatsNothing) {
  tnps::v1::WatchResponsesRequest request;
  request.mutable_filter()->set_max_score(6);
  std::set<std::string> seen;
  std::string token;
  SubmitScores("before", {0});
  {
    auto context = Context(read_key_a_);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto reader = responses_watch(context.get(), request);
    // The watch starts now: responses stored before it are not replayed.
    absl::SleepFor(absl::Milliseconds(600));
    SubmitScores("first", {0, 9, 1, 10, 2, 3, 4});
    // 0, 1, 2, 3, 4 match; take three, then drop the connection.
    for (const auto& m : ReadWatch(*reader, 3)) {
      EXPECT_TRUE(seen.insert(m.response().response().external_id()).second);
      EXPECT_LE(m.response().response().score(), 6);
      EXPECT_EQ(m.response().response().customer_ref(), "");
      token = m.resume_token();
    }
    context->TryCancel();
  }
  ASSERT_EQ(seen.size(), 3u);
  ASSERT_FALSE(token.empty());
  SubmitScores("second", {5, 8, 6});

  request.set_resume_token(token);
  auto context = Context(read_key_a_);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  auto reader = responses_watch(context.get(), request);
  // Two left of the first batch, two of the second.
  for (const auto& m : ReadWatch(*reader, 4)) {
    EXPECT_TRUE(seen.insert(m.response().response().external_id()).second)
        << m.response().response().external_id();
  }
  EXPECT_EQ(seen, (std::set<std::string>{"first-0", "first-2", "first-4", "first-5", "first-6",
                                         "second-0", "second-2"}));
  // Nothing more arrives: the watch stays open until its deadline.
  tnps::v1::WatchResponsesResponse extra;
  EXPECT_FALSE(reader->Read(&extra)) << extra.response().response().external_id();
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(AlertDeliveryE2eTest, WatchRefusesForeignTokensAndBadFilters) {
  SubmitScores("some", {1});
  tnps::v1::WatchResponsesRequest request;
  request.mutable_filter()->add_channels(static_cast<tnps::v1::Channel>(42));
  request.set_resume_token("forged");
  auto context = Context(read_key_a_);
  auto reader = responses_watch(context.get(), request);
  tnps::v1::WatchResponsesResponse message;
  EXPECT_FALSE(reader->Read(&message));
  grpc::Status status = reader->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ::testing::UnorderedElementsAre("filter.channels[0]", "resume_token"));
  // An ingest key may not watch.
  auto ingest_context = Context(ingest_key_a_);
  auto refused = responses_watch(ingest_context.get(), {});
  EXPECT_FALSE(refused->Read(&message));
  EXPECT_EQ(refused->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace tnps::testing
