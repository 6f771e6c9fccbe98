#include "services/common/rate_limiter.h"

#include "absl/strings/str_cat.h"
#include "services/common/grpc_status.h"

namespace tnps::services {
namespace {

// Past this many keys or peers, buckets that are full (idle long enough to
// have refilled) are forgotten; that loses nothing, as a new bucket starts
// full too.
constexpr size_t kMaxTracked = 100000;

template <typename Map, typename IsIdle>
void ForgetIdle(Map& map, IsIdle is_idle) {
  if (map.size() < kMaxTracked) return;
  absl::erase_if(map, [&](const auto& entry) { return is_idle(entry.second); });
  // Every one of them busy: forget them all rather than grow without bound.
  if (map.size() >= kMaxTracked) map.clear();
}

// What a refusal adds when several replicas share the limits.
std::string SharedBy(int replicas) {
  return replicas > 1 ? absl::StrCat(" (shared by ", replicas, " server replicas)") : "";
}

}  // namespace

RateLimiter::RateLimiter(RateLimiterOptions options) : options_(std::move(options)) {}

RateLimiter::KeyBuckets& RateLimiter::BucketsFor(const storage::Principal& principal,
                                                 absl::Time now) {
  const core::RateLimits& limits = principal.rate_limits.value_or(options_.defaults);
  auto it = keys_.find(principal.key_id);
  if (it != keys_.end() && it->second.limits == limits && it->second.replicas == replicas_) {
    return it->second;
  }
  if (it == keys_.end()) {
    ForgetIdle(keys_, [now](const KeyBuckets& b) { return b.calls.Full(now) && b.rows.Full(now); });
  }
  // New limits (set with tnpsctl), or a new replica count, apply from a
  // full bucket.
  const core::RateLimits share = core::ReplicaShare(limits, replicas_);
  return keys_
      .insert_or_assign(principal.key_id,
                        KeyBuckets{limits, replicas_,
                                   core::TokenBucket(share.calls_per_second, share.call_burst, now),
                                   core::TokenBucket(share.rows_per_second, share.row_burst, now)})
      .first->second;
}

void RateLimiter::SetReplicas(int replicas) {
  absl::MutexLock lock(&mu_);
  replicas_ = std::max(1, replicas);
}

int RateLimiter::replicas() {
  absl::MutexLock lock(&mu_);
  return replicas_;
}

absl::Status RateLimiter::AdmitCall(const storage::Principal& principal) {
  const absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  KeyBuckets& buckets = BucketsFor(principal, now);
  const absl::Duration wait = buckets.calls.Take(1, now);
  if (wait == absl::ZeroDuration()) return absl::OkStatus();
  return RetryAfter(
      absl::StrCat("API key ", principal.key_id, " is over its limit of ",
                   buckets.limits.calls_per_second, " calls per second", SharedBy(replicas_)),
      wait);
}

absl::Status RateLimiter::AdmitRows(const storage::Principal& principal, int64_t rows) {
  const absl::Duration wait = TakeRows(principal, rows);
  if (wait == absl::ZeroDuration()) return absl::OkStatus();
  const core::RateLimits& limits = principal.rate_limits.value_or(options_.defaults);
  return RetryAfter(
      absl::StrCat("API key ", principal.key_id, " is over its limit of ", limits.rows_per_second,
                   " responses per second", SharedBy(replicas())),
      wait);
}

absl::Duration RateLimiter::TakeRows(const storage::Principal& principal, int64_t rows) {
  const absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  return BucketsFor(principal, now).rows.Take(static_cast<double>(rows), now);
}

core::TokenBucket& RateLimiter::PeerBucket(absl::string_view peer, absl::Time now) {
  const std::string address = PeerAddress(peer);
  auto it = peers_.find(address);
  if (it != peers_.end()) return it->second;
  ForgetIdle(peers_, [now](const core::TokenBucket& b) { return b.Full(now); });
  return peers_
      .try_emplace(address,
                   core::TokenBucket(options_.failures_per_second, options_.failure_burst, now))
      .first->second;
}

absl::Status RateLimiter::AdmitKeyLookup(absl::string_view peer) {
  const absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  const absl::Duration wait = PeerBucket(peer, now).WaitFor(1, now);
  if (wait == absl::ZeroDuration()) return absl::OkStatus();
  return RetryAfter("too many failed authentications from this address", wait);
}

void RateLimiter::RecordFailure(absl::string_view peer) {
  const absl::Time now = options_.now();
  absl::MutexLock lock(&mu_);
  PeerBucket(peer, now).Take(1, now);
}

std::string PeerAddress(absl::string_view peer) {
  const size_t colon = peer.rfind(':');
  const size_t scheme_end = peer.find(':');
  // "unix:/path" and anything without a port stays whole.
  if (colon == absl::string_view::npos || colon == scheme_end ||
      peer.substr(colon + 1).find_first_not_of("0123456789") != absl::string_view::npos) {
    return std::string(peer);
  }
  return std::string(peer.substr(0, colon));
}

}  // namespace tnps::services
