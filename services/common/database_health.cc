#include "services/common/database_health.h"

#include <cstdio>

namespace tnps::services {

DatabaseHealth::DatabaseHealth(storage::ConnectionPool& pool,
                               grpc::HealthCheckServiceInterface& health, absl::Duration period)
    : thread_([this, &pool, &health, period] {
        bool serving = true;
        do {
          absl::Status status = pool.Ping();
          if (status.ok() != serving) {
            serving = status.ok();
            std::fprintf(stderr, "database %s%s\n",
                         serving ? "reachable: SERVING" : "unreachable: NOT_SERVING: ",
                         std::string(status.message()).c_str());
            health.SetServingStatus(serving);
          }
        } while (!stop_.WaitForNotificationWithTimeout(period));
      }) {}

DatabaseHealth::~DatabaseHealth() {
  stop_.Notify();
  thread_.join();
}

}  // namespace tnps::services
