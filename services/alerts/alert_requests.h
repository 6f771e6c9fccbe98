// The checks and mappings of AlertService requests.
#ifndef TNPS_SERVICES_ALERTS_ALERT_REQUESTS_H_
#define TNPS_SERVICES_ALERTS_ALERT_REQUESTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/field_violation.h"
#include "storage/alert_store.h"
#include "tnps/v1/alert_service.pb.h"

namespace tnps::services {

inline constexpr size_t kMinAlertSecretBytes = 32;
inline constexpr size_t kMaxAlertSecretBytes = 256;
inline constexpr absl::Duration kMaxSecretOverlap = absl::Hours(24 * 7);

// A subscription to create from `proto` (violations under "subscription.");
// `allow_http` lets http:// targets through (an operator's flag, for
// receivers on loopback).
std::optional<storage::AlertSubscription> MapSubscription(
    const tnps::v1::Subscription& proto, bool allow_http,
    std::vector<core::FieldViolation>& violations);

// Appends a violation on `field` unless `secret` is 32..256 bytes of
// printable text.
void CheckAlertSecret(const std::string& secret, const std::string& field,
                      std::vector<core::FieldViolation>& violations);

void SubscriptionToProto(const storage::AlertSubscription& s, tnps::v1::Subscription* out);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ALERTS_ALERT_REQUESTS_H_
