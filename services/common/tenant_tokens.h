// What the API shows a tenant in place of internal numbers: response ids as
// keyed digests, and page cursors that only this tenant can use.
#ifndef TNPS_SERVICES_COMMON_TENANT_TOKENS_H_
#define TNPS_SERVICES_COMMON_TENANT_TOKENS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "storage/api_key_store.h"

namespace tnps::services {

// The id a tenant sees for its stored response `id`: a keyed digest with the
// tenant's own key, so that ids reveal nothing about how many responses
// other tenants store (the database numbers responses across tenants).
// Stable: a retry gets the id of the first write.
std::string PublicResponseId(const storage::Principal& principal, int64_t id);

// A token carrying `body` back to this service: URL-safe base64 of the body
// and a digest of `kind`, `query` (what the token is only valid for: the
// request without its paging fields) and the body under the tenant's key.
// Bodies are the service's own text; the token is opaque to clients.
std::string SealToken(const storage::Principal& principal, absl::string_view kind,
                      absl::string_view query, absl::string_view body);

// `query` as bytes that are the same for the same query (deterministic
// serialization): what a token is bound to.
std::string CanonicalQuery(const google::protobuf::Message& query);

// The body of a token SealToken made for the same tenant, kind and query;
// nullopt for anything else (another tenant's token, another query's, an
// edited or malformed one, or one longer than `max_bytes`).
std::optional<std::string> OpenToken(const storage::Principal& principal, absl::string_view kind,
                                     absl::string_view query, absl::string_view token,
                                     size_t max_bytes = 4096);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_TENANT_TOKENS_H_
