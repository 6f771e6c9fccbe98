#include "services/alerts/alert_payload.h"

#include <google/protobuf/util/json_util.h>

#include "core/role.h"
#include "services/common/proto_time.h"
#include "services/common/tenant_tokens.h"
#include "services/responses/response_requests.h"

namespace tnps::services {

namespace {

// The tenant as the payload is written for: its ids, and customer_ref as
// an admin sees it if the subscription asks for it.
storage::Principal ReaderOf(const storage::AlertAttempt& attempt) {
  storage::Principal reader;
  reader.tenant_id = attempt.tenant_id;
  reader.role = attempt.include_customer_ref ? core::Role::kAdmin : core::Role::kRead;
  reader.response_id_key = attempt.response_id_key;
  return reader;
}

}  // namespace

std::string AlertEventId(const storage::AlertAttempt& attempt) {
  return PublicEventId(ReaderOf(attempt), attempt.event_seq);
}

std::string AlertEventJson(const storage::AlertAttempt& attempt) {
  tnps::v1::AlertEvent event;
  event.set_event_id(AlertEventId(attempt));
  event.set_type(attempt.event_type);
  TimeToProto(attempt.occurred_at, event.mutable_occur_time());
  event.set_tenant(attempt.tenant_name);
  event.set_subscription_id(attempt.subscription_id);
  StoredResponseToProto(ReaderOf(attempt), attempt.response, event.mutable_response());
  for (const storage::AgentTrainingStatus& t : attempt.agent_training) {
    tnps::v1::AgentTraining* out = event.add_agent_training();
    out->set_program_id(t.program_id);
    out->set_program_name(t.program_name);
    out->set_cohort_id(t.cohort_id);
    out->set_cohort_name(t.cohort_name);
    TimeToProto(t.enrolled_at, out->mutable_enroll_time());
    if (t.completed_at) TimeToProto(*t.completed_at, out->mutable_completion_time());
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  // Every field, defaults too, so that receivers can rely on the keys.
  options.always_print_primitive_fields = true;
  std::string json;
  // Cannot fail: every string in the message is valid UTF-8 (checked at
  // ingest) and every timestamp in range.
  (void)google::protobuf::util::MessageToJsonString(event, &json, options);
  return json;
}

tnps::v1::AlertEventType AlertEventTypeToProto(const std::string& event_type) {
  if (event_type == "response.created") return tnps::v1::ALERT_EVENT_TYPE_RESPONSE_CREATED;
  if (event_type == "response.updated") return tnps::v1::ALERT_EVENT_TYPE_RESPONSE_UPDATED;
  return tnps::v1::ALERT_EVENT_TYPE_UNSPECIFIED;
}

namespace {

tnps::v1::DeliveryState DeliveryStateToProto(const std::string& state) {
  if (state == storage::kDeliveryPending) return tnps::v1::DELIVERY_STATE_PENDING;
  if (state == storage::kDeliveryDelivered) return tnps::v1::DELIVERY_STATE_DELIVERED;
  if (state == storage::kDeliveryDead) return tnps::v1::DELIVERY_STATE_DEAD;
  if (state == storage::kDeliveryGone) return tnps::v1::DELIVERY_STATE_GONE;
  return tnps::v1::DELIVERY_STATE_UNSPECIFIED;
}

}  // namespace

void DeliveryToProto(const storage::Principal& principal, const storage::DeliveryRecord& record,
                     tnps::v1::Delivery* out) {
  out->set_event_id(PublicEventId(principal, record.event_seq));
  out->set_subscription_id(record.subscription_id);
  out->set_event_type(AlertEventTypeToProto(record.event_type));
  out->set_response_id(PublicResponseId(principal, record.response_id));
  TimeToProto(record.occurred_at, out->mutable_occur_time());
  out->set_state(DeliveryStateToProto(record.state));
  out->set_attempts(record.attempts);
  if (record.last_attempt_at)
    TimeToProto(*record.last_attempt_at, out->mutable_last_attempt_time());
  out->set_last_result(record.last_result);
  if (record.next_attempt_at)
    TimeToProto(*record.next_attempt_at, out->mutable_next_attempt_time());
  if (record.delivered_at) TimeToProto(*record.delivered_at, out->mutable_deliver_time());
}

}  // namespace tnps::services
