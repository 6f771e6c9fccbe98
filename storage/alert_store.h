// Alert subscriptions (migrations/0014_alerts.up.sql): which responses a
// tenant wants to hear about, and where to. Every change is in the audit
// trail; secrets are stored to sign deliveries with and never returned.
#ifndef TNPS_STORAGE_ALERT_STORE_H_
#define TNPS_STORAGE_ALERT_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/alert_filter.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

struct AlertSubscription {
  int64_t subscription_id = 0;
  std::string name = {};
  // "response.created", "response.updated".
  std::vector<std::string> event_types = {};
  core::AlertFilter filter = {};
  std::string url = {};
  bool include_customer_ref = false;
  bool paused = false;
  absl::Time created_at = {};
};

// A CTE (starting with ",") to follow a CTE `source` of responses
// (columns tenant_id, response_id, agent_id, team_id, channel, score,
// attributes) that writes an alert event of `event_type`
// ("response.created" or "response.updated") for every subscription of
// their tenant each matches, paused or not, in the statement's
// transaction: the outbox the delivery worker reads. Named
// `<source>_alerts`.
std::string RaiseAlertEventsCte(absl::string_view source, absl::string_view event_type);

class AlertStore {
 public:
  explicit AlertStore(ConnectionPool& pool);

  // Numbered per tenant. AlreadyExists for a name the tenant uses.
  absl::StatusOr<AlertSubscription> Create(int64_t tenant_id, const AlertSubscription& wanted,
                                           const std::string& secret);
  absl::StatusOr<std::vector<AlertSubscription>> List(int64_t tenant_id);
  // NotFound for a subscription the tenant does not have.
  absl::StatusOr<AlertSubscription> SetPaused(int64_t tenant_id, int64_t subscription_id,
                                              bool paused);
  absl::Status Delete(int64_t tenant_id, int64_t subscription_id);
  // The new secret signs from now on; the previous one too for `overlap`.
  absl::StatusOr<AlertSubscription> RotateSecret(int64_t tenant_id, int64_t subscription_id,
                                                 const std::string& secret, absl::Duration overlap);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_ALERT_STORE_H_
