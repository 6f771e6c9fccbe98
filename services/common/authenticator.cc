#include "services/common/authenticator.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tnps::services {
namespace {

// Bounds the cache; past it, the cache is simply emptied.
constexpr size_t kMaxCachedKeys = 10000;

}  // namespace

Authenticator::Authenticator(storage::ApiKeyStore& keys, absl::Duration cache_ttl)
    : keys_(keys), cache_ttl_(cache_ttl) {}

absl::StatusOr<storage::Principal> Authenticator::Authenticate(
    const grpc::ServerContextBase& context, core::Role needed) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError("missing `authorization: Bearer <API key>` metadata");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::StartsWithIgnoreCase(value, "bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be `Bearer <API key>`");
  }
  absl::StatusOr<storage::Principal> principal = Lookup(std::string(value.substr(7)));
  if (!principal.ok()) return principal.status();
  if (!core::RoleGrants(principal->role, needed)) {
    return absl::PermissionDeniedError(absl::StrCat("this RPC needs a key with role ",
                                                    core::RoleName(needed), "; the key has role ",
                                                    core::RoleName(principal->role)));
  }
  return principal;
}

absl::StatusOr<storage::Principal> Authenticator::Lookup(const std::string& key) {
  const absl::Time now = absl::Now();
  if (cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) return it->second.principal;
  }
  absl::StatusOr<storage::Principal> principal = keys_.Authenticate(key);
  if (principal.ok() && cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= kMaxCachedKeys) cache_.clear();
    cache_[key] = {*principal, now + cache_ttl_};
  }
  return principal;
}

}  // namespace tnps::services
