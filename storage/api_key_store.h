// API keys: issued per tenant with a role, stored as a SHA-256 hash of their
// secret, revocable.
#ifndef TNPS_STORAGE_API_KEY_STORE_H_
#define TNPS_STORAGE_API_KEY_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/rate_limit.h"
#include "core/role.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

// Who is calling: the tenant and role a valid key grants.
struct Principal {
  int64_t tenant_id = 0;
  // The tenant's IANA time zone, in which its days are cut.
  std::string time_zone;
  std::string key_id;
  core::Role role = core::Role::kRead;
  // The tenant's own rate limits; nullopt: the server's defaults.
  std::optional<core::RateLimits> rate_limits;
};

struct IssuedKey {
  std::string key_id;
  // The whole key; shown once, never stored.
  std::string key;
};

struct ApiKeyInfo {
  std::string key_id;
  core::Role role;
  absl::Time created_at;
  std::optional<absl::Time> revoked_at;
};

class ApiKeyStore {
 public:
  explicit ApiKeyStore(ConnectionPool& pool);

  // NOT_FOUND if the tenant does not exist.
  absl::StatusOr<IssuedKey> Issue(absl::string_view tenant_name, core::Role role);
  // NOT_FOUND if there is no such key; revoking twice is OK.
  absl::Status Revoke(absl::string_view key_id);
  // UNAUTHENTICATED for a malformed, unknown or revoked key, with the same
  // message for each so that a caller cannot tell them apart.
  absl::StatusOr<Principal> Authenticate(absl::string_view presented_key);
  // NOT_FOUND if the tenant does not exist.
  absl::StatusOr<std::vector<ApiKeyInfo>> List(absl::string_view tenant_name);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_API_KEY_STORE_H_
