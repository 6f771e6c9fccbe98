// Which addresses a webhook may connect to: public unicast ones only, so
// that a tenant cannot make the server reach the machines around it
// (loopback, private networks, cloud metadata on link-local addresses).
// Decided on the address a name resolved to, so a name that points
// somewhere private is refused too.
#ifndef TNPS_CORE_NETWORK_ADDRESS_H_
#define TNPS_CORE_NETWORK_ADDRESS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/types/span.h"

namespace tnps::core {

// What kind of non-public address `address` (4 bytes of IPv4 or 16 of
// IPv6, network order) is: "loopback", "private", "link-local",
// "unspecified", "multicast", "shared (carrier-grade NAT)", "reserved",
// "documentation", "benchmarking", "unique local"; nullopt for a public
// unicast address. IPv6 forms that embed an IPv4 address (mapped, NAT64,
// 6to4) are judged by it. Anything that is neither 4 nor 16 bytes is
// "malformed".
std::optional<std::string> NonPublicAddressKind(absl::Span<const uint8_t> address);

}  // namespace tnps::core

#endif  // TNPS_CORE_NETWORK_ADDRESS_H_
