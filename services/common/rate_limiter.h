// Enforces rate limits in this server process: calls and responses per API
// key (at its tenant's limits, or the server's defaults), and failed
// authentications per peer address, so that guessing keys costs the
// database nothing once a peer has failed often. With several replicas
// (SetReplicas), a key's buckets hold this replica's share of its limits.
#ifndef TNPS_SERVICES_COMMON_RATE_LIMITER_H_
#define TNPS_SERVICES_COMMON_RATE_LIMITER_H_

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "core/rate_limit.h"
#include "storage/api_key_store.h"

namespace tnps::services {

struct RateLimiterOptions {
  // For tenants without limits of their own.
  core::RateLimits defaults{
      .calls_per_second = 1000, .call_burst = 2000, .rows_per_second = 50000, .row_burst = 100000};
  // Failed authentications per peer address; beyond them, calls from the
  // peer whose key is not already verified are refused.
  double failures_per_second = 10;
  int64_t failure_burst = 100;
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class RateLimiter {
 public:
  explicit RateLimiter(RateLimiterOptions options);

  // OK, or RESOURCE_EXHAUSTED with a RetryInfo when the key has spent its
  // calls (or rows) for now. A refused request spends nothing.
  absl::Status AdmitCall(const storage::Principal& principal);
  absl::Status AdmitRows(const storage::Principal& principal, int64_t rows);
  // For a stream that waits instead of failing: takes the rows and returns
  // zero, or takes nothing and returns how long until they would be
  // admitted.
  absl::Duration TakeRows(const storage::Principal& principal, int64_t rows);

  // How many replicas enforce the key limits, this one included (at least
  // 1): each key's buckets take their share (core::ReplicaShare) from their
  // next use, starting full.
  void SetReplicas(int replicas) ABSL_LOCKS_EXCLUDED(mu_);
  int replicas() ABSL_LOCKS_EXCLUDED(mu_);

  // OK while `peer` may still have a key verified in the database.
  absl::Status AdmitKeyLookup(absl::string_view peer);
  // A failed authentication from `peer`.
  void RecordFailure(absl::string_view peer);

 private:
  struct KeyBuckets {
    // As configured, and the replica count the buckets were sized for.
    core::RateLimits limits;
    int replicas;
    core::TokenBucket calls;
    core::TokenBucket rows;
  };
  KeyBuckets& BucketsFor(const storage::Principal& principal, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  core::TokenBucket& PeerBucket(absl::string_view peer, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RateLimiterOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, KeyBuckets> keys_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, core::TokenBucket> peers_ ABSL_GUARDED_BY(mu_);
  int replicas_ ABSL_GUARDED_BY(mu_) = 1;
};

// The address of a gRPC peer without its port ("ipv4:10.0.0.7:53012" →
// "ipv4:10.0.0.7", "ipv6:[::1]:4000" → "ipv6:[::1]").
std::string PeerAddress(absl::string_view peer);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_RATE_LIMITER_H_
