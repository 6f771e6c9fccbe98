// Authenticates a call from its `authorization: Bearer <key>` metadata and
// checks that the key's role allows the RPC.
#ifndef TNPS_SERVICES_COMMON_AUTHENTICATOR_H_
#define TNPS_SERVICES_COMMON_AUTHENTICATOR_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/role.h"
#include "storage/api_key_store.h"

namespace tnps::services {

class Authenticator {
 public:
  // A key found valid is trusted for `cache_ttl` without asking the
  // database again; a revocation takes effect within that time. Zero
  // disables the cache.
  Authenticator(storage::ApiKeyStore& keys, absl::Duration cache_ttl);

  // UNAUTHENTICATED without a valid key, PERMISSION_DENIED if the key's role
  // does not grant `needed`, UNAVAILABLE if the database cannot be asked.
  absl::StatusOr<storage::Principal> Authenticate(const grpc::ServerContextBase& context,
                                                  core::Role needed);

 private:
  struct Cached {
    storage::Principal principal;
    absl::Time expires;
  };
  absl::StatusOr<storage::Principal> Lookup(const std::string& key);

  storage::ApiKeyStore& keys_;
  const absl::Duration cache_ttl_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_AUTHENTICATOR_H_
