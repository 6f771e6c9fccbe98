// Rate limits on the real server: per API key at its tenant's limits, set
// with tnpsctl in the database, answered RESOURCE_EXHAUSTED with a
// google.rpc.RetryInfo; and failed authentications limited per address.
#include <gtest/gtest.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/e2e/ingest_fixture.h"
#include "tnps/v1/analytics_service.grpc.pb.h"

namespace tnps::testing {
namespace {

// The RetryInfo delay of a refused call; zero (and a failure) without one.
absl::Duration RetryDelay(const grpc::Status& status) {
  google::rpc::Status rich;
  google::rpc::RetryInfo info;
  if (!rich.ParseFromString(status.error_details()) || rich.details_size() != 1 ||
      !rich.details(0).UnpackTo(&info)) {
    ADD_FAILURE() << "no RetryInfo in: " << status.error_message();
    return absl::ZeroDuration();
  }
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

class RateLimitE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    // No key cache: limits set with tnpsctl apply to the next call.
    // Refusals at once: these tests time the limits themselves.
    return {"--auth_cache_ttl=0s", "--auth_failures_per_second=1", "--auth_failure_burst=5",
            "--refusal_delay=0s", "--replica_heartbeat=250ms"};
  }

  CommandResult Tnpsctl(std::vector<std::string> args) {
    args.insert(args.begin(), TNPSCTL_BIN);
    return RunCommand(args, {"TNPS_DATABASE_URL=" + db_->owner_url()});
  }

  grpc::Status GetNps(const std::string& key, std::shared_ptr<grpc::Channel> channel = nullptr) {
    auto stub = tnps::v1::AnalyticsService::NewStub(channel ? channel : channel_);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + key);
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter()->mutable_start_date() = ProtoDate(absl::CivilDay(2026, 1, 1));
    *request.mutable_filter()->mutable_end_date() = ProtoDate(absl::CivilDay(2026, 1, 31));
    tnps::v1::GetNpsResponse response;
    return stub->GetNps(&context, request, &response);
  }

  std::shared_ptr<grpc::Channel> channel_ = nullptr;

  void SetUp() override {
    IngestFixture::SetUp();
    channel_ = server_->NewChannel();
  }
  void TearDown() override {
    channel_.reset();
    IngestFixture::TearDown();
  }
};

TEST_F(RateLimitE2eTest, CallsBeyondTheTenantsLimitAreToldWhenToRetry) {
  const CommandResult set =
      Tnpsctl({"rate-limit", "set", "--tenant=tenant-a", "--calls-per-second=1", "--call-burst=2",
               "--rows-per-second=100", "--row-burst=100"});
  ASSERT_EQ(set.exit_code, 0) << set.stderr_text;
  const CommandResult show = Tnpsctl({"rate-limit", "show", "--tenant=tenant-a"});
  EXPECT_EQ(show.stdout_text,
            "tenant tenant-a: 1 calls/s (burst 2) and 100 responses/s (burst 100) per API key\n");

  EXPECT_TRUE(GetNps(read_key_a_).ok());
  EXPECT_TRUE(GetNps(read_key_a_).ok());
  const grpc::Status refused = GetNps(read_key_a_);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  const absl::Duration delay = RetryDelay(refused);
  EXPECT_GT(delay, absl::ZeroDuration());
  EXPECT_LE(delay, absl::Seconds(1));
  // Another key of the tenant, and the other tenant, have their own.
  EXPECT_TRUE(GetNps(admin_key_a_).ok());
  EXPECT_TRUE(GetNps(admin_key_b_).ok());
  // Retrying after the delay succeeds.
  absl::SleepFor(delay);
  EXPECT_TRUE(GetNps(read_key_a_).ok());

  ASSERT_EQ(Tnpsctl({"rate-limit", "clear", "--tenant=tenant-a"}).exit_code, 0);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(GetNps(read_key_a_).ok()) << i;
}

// Whether `server` has said, within 10 s, that `replicas` replicas share the
// rate limits.
bool SaysReplicas(const ServerProcess& server, int replicas) {
  const std::string line = absl::StrCat("\"replicas\":", replicas, "}");
  for (absl::Time until = absl::Now() + absl::Seconds(10); absl::Now() < until;) {
    const std::string log = server.Log();
    const size_t last = log.rfind("rate limits shared by the running replicas");
    if (last != std::string::npos && log.find(line, last) < log.find('\n', last)) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

TEST_F(RateLimitE2eTest, ReplicasShareAKeysLimitInsteadOfEachAllowingAll) {
  ASSERT_EQ(Tnpsctl({"rate-limit", "set", "--tenant=tenant-a", "--calls-per-second=0.1",
                     "--call-burst=10", "--rows-per-second=100", "--row-burst=100"})
                .exit_code,
            0);
  auto second = std::make_unique<ServerProcess>(db_->url(), ServerFlags());
  ASSERT_TRUE(SaysReplicas(*server_, 2)) << server_->Log();
  ASSERT_TRUE(SaysReplicas(*second, 2)) << second->Log();
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM server_replicas WHERE expires_at > now()"), 2);

  // Calls spread over both, as HAProxy spreads them: together they allow
  // the key's burst of 10, not 10 each.
  const std::shared_ptr<grpc::Channel> to_second = second->NewChannel();
  int served = 0;
  int refused = 0;
  for (int i = 0; i < 16; ++i) {
    const grpc::Status status = GetNps(read_key_a_, i % 2 == 0 ? channel_ : to_second);
    if (status.ok()) {
      ++served;
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
      EXPECT_NE(status.error_message().find("(shared by 2 server replicas)"), std::string::npos)
          << status.error_message();
      ++refused;
    }
  }
  EXPECT_EQ(served, 10);
  EXPECT_EQ(refused, 6);

  // A replica that stops leaves at once: the other takes the whole limit.
  second.reset();
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM server_replicas"), 1);
  ASSERT_TRUE(SaysReplicas(*server_, 1)) << server_->Log();
  served = 0;
  for (int i = 0; i < 12; ++i) served += GetNps(read_key_a_).ok() ? 1 : 0;
  EXPECT_EQ(served, 10);
}

TEST_F(RateLimitE2eTest, AReplicaKilledStopsCountingWhenItsRowExpires) {
  auto second = std::make_unique<ServerProcess>(db_->url(), ServerFlags());
  ASSERT_TRUE(SaysReplicas(*server_, 2)) << server_->Log();
  second->Kill9();
  // Alive for 5 heartbeats (1.25 s here) after its last renewal.
  ASSERT_TRUE(SaysReplicas(*server_, 1)) << server_->Log();
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM server_replicas"), 1);
}

TEST_F(RateLimitE2eTest, ResponsesBeyondTheRowLimitAreRefusedAndNotStored) {
  ASSERT_EQ(Tnpsctl({"rate-limit", "set", "--tenant=tenant-a", "--calls-per-second=100",
                     "--call-burst=100", "--rows-per-second=1", "--row-burst=5"})
                .exit_code,
            0);
  tnps::v1::SubmitResponsesResponse out;
  ASSERT_TRUE(SubmitBatch(ingest_key_a_,
                          {ValidResponse("r1"), ValidResponse("r2"), ValidResponse("r3"),
                           ValidResponse("r4")},
                          &out)
                  .ok());
  const grpc::Status refused = SubmitBatch(
      ingest_key_a_, {ValidResponse("r5"), ValidResponse("r6"), ValidResponse("r7")}, &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  // One token left; three needed at one per second (less what refilled
  // since).
  EXPECT_GT(RetryDelay(refused), absl::Milliseconds(1500));
  EXPECT_LE(RetryDelay(refused), absl::Seconds(2));
  EXPECT_EQ(ResponseCount(), 4);
}

TEST_F(RateLimitE2eTest, StreamOverTheRowLimitSlowsDownInsteadOfFailing) {
  ASSERT_EQ(Tnpsctl({"rate-limit", "set", "--tenant=tenant-a", "--calls-per-second=100",
                     "--call-burst=100", "--rows-per-second=200", "--row-burst=100"})
                .exit_code,
            0);
  std::vector<std::vector<tnps::v1::SurveyResponse>> messages(5);
  for (int m = 0; m < 5; ++m) {
    for (int i = 0; i < 100; ++i) {
      messages[m].push_back(ValidResponse(absl::StrCat("paced-", m, "-", i)));
    }
  }
  const absl::Time start = absl::Now();
  tnps::v1::StreamResponsesResponse summary;
  const grpc::Status status = Stream(ingest_key_a_, messages, &summary);
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.accepted_count(), 500);
  EXPECT_EQ(ResponseCount(), 500);
  // 100 from the burst at once, then 400 at 200 per second.
  EXPECT_GE(took, absl::Milliseconds(1900));
  EXPECT_LT(took, absl::Seconds(6));
}

TEST_F(RateLimitE2eTest, AddressThatFailsTooOftenCannotHaveKeysVerified) {
  const std::string guessed = "tnps_0123456789abcdef_" + std::string(64, '0');
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(GetNps(guessed).error_code(), grpc::StatusCode::UNAUTHENTICATED) << i;
  }
  // Now even a valid key is not looked up from this address...
  const grpc::Status refused = GetNps(read_key_a_);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << refused.error_message();
  EXPECT_GT(RetryDelay(refused), absl::Milliseconds(500));
  EXPECT_LE(RetryDelay(refused), absl::Seconds(1));
  // ...until the address has earned a lookup back.
  absl::SleepFor(RetryDelay(refused));
  EXPECT_TRUE(GetNps(read_key_a_).ok());
}

class KeyCacheRateLimitE2eTest : public RateLimitE2eTest {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--auth_cache_ttl=1s", "--auth_failures_per_second=0.1", "--auth_failure_burst=5",
            "--refusal_delay=0s"};
  }
};

TEST_F(KeyCacheRateLimitE2eTest, KeysAnAddressVerifiedBeforeKeepWorkingWhenItFailsTooOften) {
  ASSERT_TRUE(GetNps(read_key_a_).ok());
  const std::string guessed = "tnps_0123456789abcdef_" + std::string(64, '0');
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(GetNps(guessed).error_code(), grpc::StatusCode::UNAUTHENTICATED) << i;
  }
  // The cached entry expires; the key is looked up again all the same.
  absl::SleepFor(absl::Milliseconds(1100));
  EXPECT_TRUE(GetNps(read_key_a_).ok());
  // A key this server never verified is not.
  EXPECT_EQ(GetNps(admin_key_b_).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

class RefusalDelayE2eTest : public RateLimitE2eTest {
 protected:
  std::vector<std::string> ServerFlags() const override { return {"--refusal_delay=300ms"}; }
};

TEST_F(RefusalDelayE2eTest, RefusalsAreAnsweredAfterTheDelayAndServedCallsAtOnce) {
  ASSERT_TRUE(GetNps(read_key_a_).ok());  // verified and cached
  absl::Time start = absl::Now();
  EXPECT_TRUE(GetNps(read_key_a_).ok());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(250));
  start = absl::Now();
  EXPECT_EQ(GetNps("tnps_0123456789abcdef_" + std::string(64, '0')).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  // A key of the wrong role is a refusal too.
  start = absl::Now();
  tnps::v1::SubmitResponseResponse out;
  EXPECT_EQ(Submit(read_key_a_, ValidResponse("wrong-role"), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
}

}  // namespace
}  // namespace tnps::testing
