// Reports the database's reachability through the standard gRPC health
// service, so that load balancers stop routing to a replica that cannot
// reach PostgreSQL, or reaches a standby where it must write, and resume
// when it can write again.
#ifndef TNPS_SERVICES_COMMON_DATABASE_HEALTH_H_
#define TNPS_SERVICES_COMMON_DATABASE_HEALTH_H_

#include <grpcpp/health_check_service_interface.h>

#include <functional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace tnps::services {

struct DatabaseCheck {
  bool reachable = false;
  // Reachable, but a standby (in recovery): every write would fail.
  bool standby = false;
  absl::Duration took;

  bool serving() const { return reachable && !standby; }
};

class DatabaseHealth {
 public:
  // Asks the database every `period` whether it answers and is a primary,
  // and sets the overall serving status; `on_check` (if set) hears each
  // check.
  DatabaseHealth(storage::ConnectionPool& pool, grpc::HealthCheckServiceInterface& health,
                 absl::Duration period,
                 std::function<void(const DatabaseCheck&)> on_check = nullptr);
  ~DatabaseHealth();

 private:
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_DATABASE_HEALTH_H_
