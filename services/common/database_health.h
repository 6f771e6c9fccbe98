// Reports the database's reachability through the standard gRPC health
// service, so that load balancers stop routing to a replica that cannot
// reach PostgreSQL and resume when it can.
#ifndef TNPS_SERVICES_COMMON_DATABASE_HEALTH_H_
#define TNPS_SERVICES_COMMON_DATABASE_HEALTH_H_

#include <grpcpp/health_check_service_interface.h>

#include <functional>
#include <thread>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace tnps::services {

class DatabaseHealth {
 public:
  // Pings the database every `period` and sets the overall serving status;
  // `on_check` (if set) hears each ping's result and time.
  DatabaseHealth(storage::ConnectionPool& pool, grpc::HealthCheckServiceInterface& health,
                 absl::Duration period,
                 std::function<void(bool reachable, absl::Duration took)> on_check = nullptr);
  ~DatabaseHealth();

 private:
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_DATABASE_HEALTH_H_
