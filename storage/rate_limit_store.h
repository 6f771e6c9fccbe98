// The rate limits operators set per tenant (tnpsctl rate-limit).
#ifndef TNPS_STORAGE_RATE_LIMIT_STORE_H_
#define TNPS_STORAGE_RATE_LIMIT_STORE_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/rate_limit.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

class RateLimitStore {
 public:
  explicit RateLimitStore(ConnectionPool& pool);

  // NOT_FOUND if the tenant does not exist; INVALID_ARGUMENT for limits
  // that RateLimitsProblem refuses.
  absl::Status Set(absl::string_view tenant_name, const core::RateLimits& limits);
  // The tenant's own limits; nullopt when it uses the server's defaults.
  // NOT_FOUND if the tenant does not exist.
  absl::StatusOr<std::optional<core::RateLimits>> Get(absl::string_view tenant_name);
  // Back to the server's defaults. NOT_FOUND if the tenant does not exist.
  absl::Status Clear(absl::string_view tenant_name);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_RATE_LIMIT_STORE_H_
