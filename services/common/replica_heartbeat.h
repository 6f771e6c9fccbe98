// Keeps this server counted among the replicas (storage/replica_registry.h)
// while it runs, and tells the rate limiter how many replicas share each
// API key's limits, so that N replicas behind a balancer together allow a
// key what one server would.
#ifndef TNPS_SERVICES_COMMON_REPLICA_HEARTBEAT_H_
#define TNPS_SERVICES_COMMON_REPLICA_HEARTBEAT_H_

#include <string>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "services/common/rate_limiter.h"
#include "storage/replica_registry.h"

namespace tnps::services {

class ReplicaHeartbeat {
 public:
  // Renews this replica's row every `period` (alive for 5 periods) and sets
  // the limiter's replica count from the answer; the first renewal happens
  // before the constructor returns. While the database does not answer,
  // the last count stays.
  ReplicaHeartbeat(storage::ReplicaRegistry& registry, RateLimiter& limiter, absl::Duration period);
  // Leave().
  ~ReplicaHeartbeat();
  ReplicaHeartbeat(const ReplicaHeartbeat&) = delete;
  ReplicaHeartbeat& operator=(const ReplicaHeartbeat&) = delete;

  // Stops renewing and removes the row, so that the others count one fewer
  // at once rather than after the expiry: when draining starts, the
  // replica takes no more calls. Idempotent.
  void Leave();

  // host:pid:random, unique among the replicas.
  const std::string& replica_id() const { return replica_id_; }

 private:
  // One renewal; false if the database did not answer.
  bool Renew(bool log_failure);

  storage::ReplicaRegistry& registry_;
  RateLimiter& limiter_;
  const absl::Duration period_;
  const std::string replica_id_;
  absl::Notification stop_;
  std::thread thread_;
  bool left_ = false;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_REPLICA_HEARTBEAT_H_
