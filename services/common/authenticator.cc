#include "services/common/authenticator.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/call_limits.h"

namespace tnps::services {
namespace {

// Bounds the cache; past it, the cache is simply emptied.
constexpr size_t kMaxCachedKeys = 10000;

}  // namespace

Authenticator::Authenticator(storage::ApiKeyStore& keys, absl::Duration cache_ttl,
                             FairExecutor& lookups, RateLimiter& limiter)
    : keys_(keys), cache_ttl_(cache_ttl), lookups_(lookups), limiter_(limiter) {}

absl::StatusOr<std::string> Authenticator::PresentedKey(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    return absl::UnauthenticatedError("missing `authorization: Bearer <API key>` metadata");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::StartsWithIgnoreCase(value, "bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be `Bearer <API key>`");
  }
  return std::string(value.substr(7));
}

absl::StatusOr<storage::Principal> Authenticator::Admit(storage::Principal principal,
                                                        core::Role needed) {
  if (!core::RoleGrants(principal.role, needed)) {
    return absl::PermissionDeniedError(absl::StrCat("this RPC needs a key with role ",
                                                    core::RoleName(needed), "; the key has role ",
                                                    core::RoleName(principal.role)));
  }
  if (absl::Status admitted = limiter_.AdmitCall(principal); !admitted.ok()) return admitted;
  return principal;
}

void Authenticator::Authenticate(const grpc::ServerContextBase& context, core::Role needed,
                                 Done done) {
  std::string peer = context.peer();
  absl::StatusOr<std::string> key = PresentedKey(context);
  if (!key.ok()) {
    limiter_.RecordFailure(peer);
    return done(key.status());
  }
  CacheEntry cached = FromCache(*key);
  if (cached.fresh) return done(Admit(*std::move(cached.fresh), needed));
  // Refused here, before a thread or the database is spent on it, unless
  // the key was verified before (its entry has only expired): an address
  // that also guesses keys does not lock out the keys it uses.
  if (!cached.known) {
    if (absl::Status admitted = limiter_.AdmitKeyLookup(peer); !admitted.ok()) {
      return done(admitted);
    }
  }
  auto shared_done = std::make_shared<Done>(std::move(done));
  // Lookups are not a tenant's until the key is known: one shared line.
  const absl::Status queued =
      lookups_.TrySubmit(0, [this, key = *std::move(key), peer = std::move(peer), needed,
                             shared_done, deadline = absl::FromChrono(context.deadline())] {
        storage::ScopedCallLimits limits({.deadline = deadline});
        absl::StatusOr<storage::Principal> principal = Lookup(key, peer);
        if (!principal.ok()) return (*shared_done)(principal.status());
        (*shared_done)(Admit(*std::move(principal), needed));
      });
  if (!queued.ok()) {
    (*shared_done)(absl::ResourceExhaustedError(
        "the server is verifying as many API keys as it allows; retry with backoff"));
  }
}

std::optional<int64_t> Authenticator::TenantOfKeyId(absl::string_view key_id) {
  absl::MutexLock lock(&mu_);
  auto it = tenant_of_key_id_.find(key_id);
  if (it == tenant_of_key_id_.end()) return std::nullopt;
  return it->second;
}

Authenticator::CacheEntry Authenticator::FromCache(const std::string& key) {
  if (cache_ttl_ <= absl::ZeroDuration()) return {};
  absl::MutexLock lock(&mu_);
  auto it = cache_.find(key);
  if (it == cache_.end()) return {};
  if (it->second.expires <= absl::Now()) return {.known = true};
  return {.fresh = it->second.principal, .known = true};
}

absl::StatusOr<storage::Principal> Authenticator::Lookup(const std::string& key,
                                                         const std::string& peer) {
  // Another lookup of the same key may have filled the cache meanwhile.
  if (std::optional<storage::Principal> fresh = FromCache(key).fresh) return *std::move(fresh);
  const absl::Time now = absl::Now();
  absl::StatusOr<storage::Principal> principal = keys_.Authenticate(key);
  if (absl::IsUnauthenticated(principal.status())) {
    limiter_.RecordFailure(peer);
    // Revoked: no longer a key this server verified.
    absl::MutexLock lock(&mu_);
    cache_.erase(key);
  }
  if (principal.ok() && cache_ttl_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= kMaxCachedKeys) cache_.clear();
    if (tenant_of_key_id_.size() >= kMaxCachedKeys) tenant_of_key_id_.clear();
    tenant_of_key_id_[principal->key_id] = principal->tenant_id;
    // Never trusted past the key's own expiry.
    cache_[key] = {*principal, std::min(now + cache_ttl_,
                                        principal->expires_at.value_or(absl::InfiniteFuture()))};
  }
  return principal;
}

}  // namespace tnps::services
