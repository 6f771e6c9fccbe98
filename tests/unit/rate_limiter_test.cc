#include "services/common/rate_limiter.h"

#include <gtest/gtest.h>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/grpc_status.h"

namespace tnps::services {
namespace {

class RateLimiterTest : public ::testing::Test {
 protected:
  storage::Principal Key(const std::string& id) {
    storage::Principal p;
    p.key_id = id;
    return p;
  }

  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
  RateLimiter limiter_{{.defaults = {.calls_per_second = 2,
                                     .call_burst = 2,
                                     .rows_per_second = 100,
                                     .row_burst = 10},
                        .failures_per_second = 1,
                        .failure_burst = 3,
                        .now = [this] { return now_; }}};
};

// The retry delay of a RESOURCE_EXHAUSTED status as the client decodes it.
absl::Duration RetryDelay(const absl::Status& status) {
  const grpc::Status sent = ToGrpcStatus(status);
  EXPECT_EQ(sent.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status rich;
  google::rpc::RetryInfo info;
  if (!rich.ParseFromString(sent.error_details()) || rich.details_size() != 1 ||
      !rich.details(0).UnpackTo(&info)) {
    ADD_FAILURE() << "no RetryInfo in " << sent.error_message();
    return absl::ZeroDuration();
  }
  return absl::Seconds(info.retry_delay().seconds()) +
         absl::Nanoseconds(info.retry_delay().nanos());
}

TEST_F(RateLimiterTest, KeyOverItsCallRateIsToldWhenToRetry) {
  EXPECT_TRUE(limiter_.AdmitCall(Key("a")).ok());
  EXPECT_TRUE(limiter_.AdmitCall(Key("a")).ok());
  const absl::Status refused = limiter_.AdmitCall(Key("a"));
  EXPECT_EQ(RetryDelay(refused), absl::Milliseconds(500));
  // Another key of any tenant has its own bucket.
  EXPECT_TRUE(limiter_.AdmitCall(Key("b")).ok());
  now_ += absl::Milliseconds(500);
  EXPECT_TRUE(limiter_.AdmitCall(Key("a")).ok());
}

TEST_F(RateLimiterTest, TenantLimitsReplaceTheDefaults) {
  storage::Principal generous = Key("a");
  generous.rate_limits = core::RateLimits{
      .calls_per_second = 100, .call_burst = 5, .rows_per_second = 100, .row_burst = 10};
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter_.AdmitCall(generous).ok()) << i;
  EXPECT_EQ(RetryDelay(limiter_.AdmitCall(generous)), absl::Milliseconds(10));
}

TEST_F(RateLimiterTest, ReplicasEachTakeTheirShareOfAKeysLimits) {
  storage::Principal key = Key("a");
  key.rate_limits = core::RateLimits{
      .calls_per_second = 100, .call_burst = 10, .rows_per_second = 1000, .row_burst = 100};
  limiter_.SetReplicas(2);
  EXPECT_EQ(limiter_.replicas(), 2);
  // Half the burst, and half the rate: a token every 20 ms.
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter_.AdmitCall(key).ok()) << i;
  const absl::Status refused = limiter_.AdmitCall(key);
  EXPECT_EQ(RetryDelay(refused), absl::Milliseconds(20));
  EXPECT_NE(refused.message().find("limit of 100 calls per second (shared by 2 server replicas)"),
            std::string::npos)
      << refused.message();
  EXPECT_TRUE(limiter_.AdmitRows(key, 50).ok());
  EXPECT_EQ(RetryDelay(limiter_.AdmitRows(key, 1)), absl::Milliseconds(2));
  // Back to one replica: the whole limits, from a full bucket.
  limiter_.SetReplicas(1);
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter_.AdmitCall(key).ok()) << i;
  EXPECT_EQ(RetryDelay(limiter_.AdmitCall(key)), absl::Milliseconds(10));
  limiter_.SetReplicas(0);
  EXPECT_EQ(limiter_.replicas(), 1);
}

TEST_F(RateLimiterTest, RowsAreCountedApartFromCalls) {
  EXPECT_TRUE(limiter_.AdmitRows(Key("a"), 8).ok());
  // 2 left; 5 more need 3 tokens at 100/s.
  EXPECT_EQ(RetryDelay(limiter_.AdmitRows(Key("a"), 5)), absl::Milliseconds(30));
  EXPECT_TRUE(limiter_.AdmitCall(Key("a")).ok());
}

TEST_F(RateLimiterTest, PeerThatFailedTooOftenMayNotHaveKeysLookedUp) {
  const std::string peer = "ipv4:10.1.2.3:40000";
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(limiter_.AdmitKeyLookup(peer).ok());
    limiter_.RecordFailure(peer);
  }
  // The same address from another port is the same peer.
  EXPECT_EQ(RetryDelay(limiter_.AdmitKeyLookup("ipv4:10.1.2.3:40001")), absl::Seconds(1));
  EXPECT_TRUE(limiter_.AdmitKeyLookup("ipv4:10.1.2.4:40000").ok());
  now_ += absl::Seconds(1);
  EXPECT_TRUE(limiter_.AdmitKeyLookup(peer).ok());
}

TEST(PeerAddress, DropsThePortOnly) {
  EXPECT_EQ(PeerAddress("ipv4:127.0.0.1:53012"), "ipv4:127.0.0.1");
  EXPECT_EQ(PeerAddress("ipv6:%5B::1%5D:4000"), "ipv6:%5B::1%5D");
  EXPECT_EQ(PeerAddress("ipv6:[2001:db8::1]:4000"), "ipv6:[2001:db8::1]");
  EXPECT_EQ(PeerAddress("unix:/run/tnps.sock"), "unix:/run/tnps.sock");
}

}  // namespace
}  // namespace tnps::services
