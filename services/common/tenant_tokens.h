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

// The id an alert event is shown by (what webhook receivers deduplicate
// by), in place of the database's number for it: the number and the tenant
// encrypted as one AES block under a key of the tenant's own, written as
// 32 hex digits in a UUID's groups. The same on every attempt; reveals
// nothing about how many events anyone has.
std::string PublicEventId(const storage::Principal& principal, int64_t event_seq);

// The number of the event `id` names, if it is one of this tenant's ids;
// nullopt for anything else.
std::optional<int64_t> EventSeqOf(const storage::Principal& principal, absl::string_view id);

// A token carrying `body` back to this service, encrypted and
// authenticated under a key of the tenant's own and bound to `kind` and
// `query` (what the token is only valid for: the request without its
// paging fields). Bodies are the service's own text, positions included;
// the token reveals none of it.
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
