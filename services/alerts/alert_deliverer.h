// The server's alert delivery worker: claims due events from the outbox,
// POSTs each, signed, to its subscription's URL, and records the outcome,
// retrying failures on the backoff schedule for up to 24 hours
// (docs/alerts.md). Deliveries are at least once: an event whose attempt
// was cut short (the server stopped, crashed, or lost the database before
// recording) is tried again when its lease ends, with the same event id.
#ifndef TNPS_SERVICES_ALERTS_ALERT_DELIVERER_H_
#define TNPS_SERVICES_ALERTS_ALERT_DELIVERER_H_

#include <functional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/retry_schedule.h"
#include "services/alerts/webhook_client.h"
#include "storage/alert_outbox.h"

namespace tnps::services {

struct AlertDeliveryOptions {
  // Requests in flight at once, across all subscriptions.
  int max_in_flight = 64;
  // Requests in flight at once to one subscription while its receiver
  // answers; one after a failure, until an attempt succeeds. A slow or
  // dead receiver thus holds one slot of max_in_flight.
  int max_in_flight_per_subscription = 4;
  // How often the outbox is looked at while there is nothing to send.
  absl::Duration poll_interval = absl::Milliseconds(200);
  core::RetrySchedule retry;
  WebhookClientOptions http;
  // Finished events (delivered, dead, gone) are kept this long for
  // ListDeliveries, then deleted.
  absl::Duration keep_finished = absl::Hours(24 * 30);
  // Hears each attempt's result ("delivered", "failed" or "dead"), on the
  // delivery thread.
  std::function<void(absl::string_view result)> on_attempt;
};

class AlertDeliverer {
 public:
  AlertDeliverer(storage::AlertOutbox& outbox, AlertDeliveryOptions options);
  // Stops: requests in flight are abandoned, and sent again by whichever
  // server claims them when their lease ends.
  ~AlertDeliverer();

  void Start();

 private:
  void Run();
  // Claims what fits in flight and starts it; returns how many.
  int ClaimAndStart();
  // Records what came back, in one transaction, and updates the loads.
  void Record(const std::vector<WebhookOutcome>& outcomes);

  storage::AlertOutbox& outbox_;
  const AlertDeliveryOptions options_;
  WebhookClient client_;
  // The claimed attempts in flight, by tag.
  absl::flat_hash_map<uint64_t, storage::AlertAttempt> in_flight_;
  uint64_t next_tag_ = 1;
  // Subscriptions with requests in flight or whose last attempt failed.
  absl::flat_hash_map<std::pair<int64_t, int64_t>, storage::SubscriptionLoad> loads_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ALERTS_ALERT_DELIVERER_H_
