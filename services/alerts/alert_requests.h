// The checks and mappings of AlertService requests.
#ifndef TNPS_SERVICES_ALERTS_ALERT_REQUESTS_H_
#define TNPS_SERVICES_ALERTS_ALERT_REQUESTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/field_violation.h"
#include "storage/alert_store.h"
#include "storage/api_key_store.h"
#include "storage/response_records.h"
#include "tnps/v1/alert_service.pb.h"

namespace tnps::services {

inline constexpr size_t kMinAlertSecretBytes = 32;
inline constexpr size_t kMaxAlertSecretBytes = 256;
inline constexpr absl::Duration kMaxSecretOverlap = absl::Hours(24 * 7);
inline constexpr int kDefaultDeliveriesPageSize = 100;
inline constexpr int kMaxDeliveriesPageSize = 1000;

// The filter of a subscription or a watch (violations under `field`).
std::optional<core::AlertFilter> MapAlertFilter(const tnps::v1::AlertFilter& proto,
                                                const std::string& field,
                                                std::vector<core::FieldViolation>& violations);

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

// Where a watch is: changes by transactions after snapshot `since` and
// visible in `until` (empty: not taken yet), after `position` in their
// order (storage::ResponseRecords::Export).
struct WatchState {
  std::string since;
  std::string until;
  storage::ExportPosition position{storage::ExportPhase::kChanged, "0", 0};
};

// The resume token after a watch message, bound to the tenant and filter.
std::string WatchToken(const storage::Principal& principal,
                       const tnps::v1::WatchResponsesRequest& request, const WatchState& state);
// The state a resume token carries; nullopt for anything else.
std::optional<WatchState> OpenWatchToken(const storage::Principal& principal,
                                         const tnps::v1::WatchResponsesRequest& request);

// The ListDeliveries page token after the event `last_seq`, and back.
std::string DeliveriesPageToken(const storage::Principal& principal,
                                const tnps::v1::ListDeliveriesRequest& request, int64_t last_seq);
std::optional<int64_t> DeliveriesPageAfter(const storage::Principal& principal,
                                           const tnps::v1::ListDeliveriesRequest& request);

void SubscriptionToProto(const storage::AlertSubscription& s, tnps::v1::Subscription* out);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ALERTS_ALERT_REQUESTS_H_
