// The alert outbox (migrations 0014, 0015) as the delivery worker and
// ListDeliveries see it: events are claimed under a lease, so that no
// transaction stays open across an HTTP request and an event whose server
// died mid-attempt is tried again when the lease ends (at least once,
// never lost, on any number of servers).
#ifndef TNPS_STORAGE_ALERT_OUTBOX_H_
#define TNPS_STORAGE_ALERT_OUTBOX_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"
#include "storage/response_records.h"

namespace tnps::storage {

// A programme an agent is enrolled in.
struct AgentTrainingStatus {
  int64_t program_id = 0;
  std::string program_name;
  int64_t cohort_id = 0;
  std::string cohort_name;
  absl::Time enrolled_at;
  std::optional<absl::Time> completed_at;
};

// One claimed attempt: the event, where it goes, how to sign it and what
// it says.
struct AlertAttempt {
  // The event's number; receivers see it only encrypted, as its id
  // (services/common/tenant_tokens.h, PublicEventId).
  int64_t event_seq = 0;
  int64_t tenant_id = 0;
  std::string tenant_name;
  // The tenant's key for public response ids (tenants.id_key).
  std::string response_id_key;
  int64_t subscription_id = 0;
  std::string event_type;
  absl::Time occurred_at;
  // This attempt's number (1 for the first).
  int attempt = 0;
  absl::Time first_attempt_at;
  std::string url;
  bool include_customer_ref = false;
  // The current secret, then the previous one while its overlap lasts.
  std::vector<std::string> secrets;
  StoredResponse response;
  std::vector<AgentTrainingStatus> agent_training;
};

// What the delivery worker knows of a subscription it is sending to.
struct SubscriptionLoad {
  int64_t tenant_id = 0;
  int64_t subscription_id = 0;
  int in_flight = 0;
  // Its last attempt failed: one attempt at a time until one succeeds.
  bool failing = false;
};

struct AttemptOutcome {
  int64_t tenant_id = 0;
  int64_t event_seq = 0;
  int attempt = 0;
  bool delivered = false;
  // What happened, for ListDeliveries.
  std::string result;
  // For a failure: when to try again; nullopt: never (the event is dead).
  std::optional<absl::Time> next_attempt_at;
};

// The delivery states, as stored.
inline constexpr char kDeliveryPending[] = "pending";
inline constexpr char kDeliveryDelivered[] = "delivered";
inline constexpr char kDeliveryDead[] = "dead";
inline constexpr char kDeliveryGone[] = "gone";

struct DeliveryRecord {
  int64_t event_seq = 0;
  int64_t subscription_id = 0;
  std::string event_type;
  int64_t response_id = 0;
  absl::Time occurred_at;
  std::string state;
  int attempts = 0;
  std::optional<absl::Time> last_attempt_at;
  std::string last_result;
  // Set for pending events only.
  std::optional<absl::Time> next_attempt_at;
  std::optional<absl::Time> delivered_at;
};

struct DeliveryQuery {
  int64_t tenant_id = 0;
  // 0: every subscription.
  int64_t subscription_id = 0;
  // Empty: any state.
  std::string state;
  // Events before this one (newest first); 0 from the newest.
  int64_t before_seq = 0;
  int limit = 100;
};

class AlertOutbox {
 public:
  explicit AlertOutbox(ConnectionPool& pool);

  // Claims up to `limit` due events of subscriptions that are not paused,
  // the oldest due first, at most `per_subscription` of each at a time
  // (counting those `known` says are in flight) and one of a subscription
  // `known` says is failing, so that a backlog or a dead receiver of one
  // subscription cannot starve the others. Each claimed event counts an
  // attempt and is not due again before `lease` has passed. Events whose
  // response was erased are marked gone instead.
  absl::StatusOr<std::vector<AlertAttempt>> Claim(int limit, int per_subscription,
                                                  const std::vector<SubscriptionLoad>& known,
                                                  absl::Duration lease);

  // The outcomes of attempts, in one transaction. An outcome is ignored if
  // its event has been claimed again since (its lease ran out) or
  // redelivered.
  absl::Status Record(const std::vector<AttemptOutcome>& outcomes);

  // NotFound for a subscription the tenant does not have.
  absl::StatusOr<std::vector<DeliveryRecord>> ListDeliveries(const DeliveryQuery& query);

  // Makes the event pending and due now, with a fresh retry period; in the
  // audit trail. NotFound for an event the tenant does not have,
  // FailedPrecondition for one whose response was erased.
  absl::StatusOr<DeliveryRecord> Redeliver(int64_t tenant_id, int64_t event_seq);

  // Deletes up to `limit` events that finished (delivered, dead, gone)
  // and occurred before `before`, and up to `limit` left behind by a
  // deleted subscription; returns how many.
  absl::StatusOr<int64_t> PruneFinished(absl::Time before, int limit);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_ALERT_OUTBOX_H_
