#include "services/common/database_health.h"

#include "absl/time/clock.h"
#include "logging/log.h"

namespace tnps::services {

DatabaseHealth::DatabaseHealth(storage::ConnectionPool& pool,
                               grpc::HealthCheckServiceInterface& health, absl::Duration period,
                               std::function<void(bool, absl::Duration)> on_check)
    : thread_([this, &pool, &health, period, on_check = std::move(on_check)] {
        bool serving = true;
        do {
          const absl::Time start = absl::Now();
          absl::Status status = pool.Ping();
          if (on_check) on_check(status.ok(), absl::Now() - start);
          if (status.ok() != serving) {
            serving = status.ok();
            if (serving) {
              logging::Log(logging::LogLevel::kInfo, "database reachable: SERVING");
            } else {
              logging::Log(logging::LogLevel::kError, "database unreachable: NOT_SERVING",
                           {{"error", status.message()}});
            }
            health.SetServingStatus(serving);
          }
        } while (!stop_.WaitForNotificationWithTimeout(period));
      }) {}

DatabaseHealth::~DatabaseHealth() {
  stop_.Notify();
  thread_.join();
}

}  // namespace tnps::services
