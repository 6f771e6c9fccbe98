// What an alert says on the wire: the JSON body of a webhook request (the
// AlertEvent message) and a delivery as ListDeliveries shows it.
#ifndef TNPS_SERVICES_ALERTS_ALERT_PAYLOAD_H_
#define TNPS_SERVICES_ALERTS_ALERT_PAYLOAD_H_

#include <string>

#include "storage/alert_outbox.h"
#include "storage/api_key_store.h"
#include "tnps/v1/alert_service.pb.h"

namespace tnps::services {

// What the receiver deduplicates by: the event's public id.
std::string AlertEventId(const storage::AlertAttempt& attempt);

// The AlertEvent of `attempt` in proto3's JSON mapping with the .proto
// field names; customer_ref only if the subscription asks for it.
std::string AlertEventJson(const storage::AlertAttempt& attempt);

tnps::v1::AlertEventType AlertEventTypeToProto(const std::string& event_type);

void DeliveryToProto(const storage::Principal& principal, const storage::DeliveryRecord& record,
                     tnps::v1::Delivery* out);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ALERTS_ALERT_PAYLOAD_H_
