// API keys: issued per tenant with a role, stored as a SHA-256 hash of their
// secret, revocable, optionally expiring, and rotated by issuing a new key
// and letting the old one expire after a grace period.
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
  std::optional<core::RateLimits> rate_limits = std::nullopt;
  // When the key stops being valid, if it expires.
  std::optional<absl::Time> expires_at = std::nullopt;
  // The tenant's key for the response ids it is shown (tenants.id_key).
  std::string response_id_key = {};
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
  std::optional<absl::Time> expires_at;
  // To the hour (kLastUseResolution): a key in use is recorded again once
  // its last use is older than that.
  std::optional<absl::Time> last_used_at;
};

inline constexpr absl::Duration kLastUseResolution = absl::Hours(1);

class ApiKeyStore {
 public:
  explicit ApiKeyStore(ConnectionPool& pool);

  // A key valid until `expires_at` (for ever if nullopt). NOT_FOUND if the
  // tenant does not exist; INVALID_ARGUMENT for an expiry in the past.
  absl::StatusOr<IssuedKey> Issue(absl::string_view tenant_name, core::Role role,
                                  std::optional<absl::Time> expires_at = std::nullopt);
  // NOT_FOUND if there is no such key; revoking twice is OK.
  absl::Status Revoke(absl::string_view key_id);
  // Issues a key of the same tenant and role, valid until `expires_at`, and
  // lets `key_id` expire `grace` from now (or earlier, if it expires
  // earlier already), in one transaction. NOT_FOUND for an unknown, revoked
  // or expired key; INVALID_ARGUMENT for a negative grace.
  absl::StatusOr<IssuedKey> Rotate(absl::string_view key_id, absl::Duration grace,
                                   std::optional<absl::Time> expires_at = std::nullopt);
  // UNAUTHENTICATED for a malformed, unknown, revoked or expired key, with
  // the same message for each so that a caller cannot tell them apart.
  // Records the use (kLastUseResolution) when the last one is older.
  absl::StatusOr<Principal> Authenticate(absl::string_view presented_key);
  // NOT_FOUND if the tenant does not exist.
  absl::StatusOr<std::vector<ApiKeyInfo>> List(absl::string_view tenant_name);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_API_KEY_STORE_H_
