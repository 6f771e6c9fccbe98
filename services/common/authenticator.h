// Authenticates a call from its `authorization: Bearer <key>` metadata,
// checks that the key's role allows the RPC, and admits the call under the
// key's rate limit.
#ifndef TNPS_SERVICES_COMMON_AUTHENTICATOR_H_
#define TNPS_SERVICES_COMMON_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/role.h"
#include "services/common/fair_executor.h"
#include "services/common/rate_limiter.h"
#include "storage/api_key_store.h"

namespace tnps::services {

class Authenticator {
 public:
  // A key found valid is trusted for `cache_ttl` without asking the
  // database again; a revocation takes effect within that time. Zero
  // disables the cache. Keys not found in the cache are looked up on
  // `lookups`.
  Authenticator(storage::ApiKeyStore& keys, absl::Duration cache_ttl, FairExecutor& lookups,
                RateLimiter& limiter);

  using Done = std::function<void(absl::StatusOr<storage::Principal>)>;
  // Calls `done` with the caller's principal, or with UNAUTHENTICATED
  // without a valid key, PERMISSION_DENIED if the key's role does not grant
  // `needed`, UNAVAILABLE if the database cannot be asked, RESOURCE_EXHAUSTED
  // (with RetryInfo) if the key is over its call rate or, for a key not yet
  // verified, if the caller's address failed too often or too many lookups
  // wait. Never blocks, so it is safe on gRPC's callback threads: `done`
  // runs at once when the key is cached or the metadata is unusable, else on
  // a `lookups` thread after the database answered.
  void Authenticate(const grpc::ServerContextBase& context, core::Role needed, Done done);

  // The tenant of a key id this server has verified, for the access log.
  std::optional<int64_t> TenantOfKeyId(absl::string_view key_id);

 private:
  struct Cached {
    storage::Principal principal;
    absl::Time expires;
  };
  static absl::StatusOr<std::string> PresentedKey(const grpc::ServerContextBase& context);
  // Role check and call admission for a verified key.
  absl::StatusOr<storage::Principal> Admit(storage::Principal principal, core::Role needed);
  struct CacheEntry {
    // Set while the entry is within its TTL.
    std::optional<storage::Principal> fresh = std::nullopt;
    // Whether the key was verified before, even if its entry has expired.
    bool known = false;
  };
  CacheEntry FromCache(const std::string& key);
  // From the cache or the database (the caller has checked `peer`'s
  // failure budget); counts a failure against `peer`.
  absl::StatusOr<storage::Principal> Lookup(const std::string& key, const std::string& peer);

  storage::ApiKeyStore& keys_;
  const absl::Duration cache_ttl_;
  FairExecutor& lookups_;
  RateLimiter& limiter_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> tenant_of_key_id_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_AUTHENTICATOR_H_
