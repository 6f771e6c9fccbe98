#include "services/common/database_health.h"

#include "absl/time/clock.h"
#include "logging/log.h"

namespace tnps::services {

DatabaseHealth::DatabaseHealth(storage::ConnectionPool& pool,
                               grpc::HealthCheckServiceInterface& health, absl::Duration period,
                               std::function<void(const DatabaseCheck&)> on_check)
    : thread_([this, &pool, &health, period, on_check = std::move(on_check)] {
        bool serving = true;
        do {
          const absl::Time start = absl::Now();
          absl::StatusOr<bool> in_recovery = pool.InRecovery();
          const DatabaseCheck check{.reachable = in_recovery.ok(),
                                    .standby = in_recovery.ok() && *in_recovery,
                                    .took = absl::Now() - start};
          if (on_check) on_check(check);
          if (check.serving() != serving) {
            serving = check.serving();
            if (serving) {
              logging::Log(logging::LogLevel::kInfo, "database reachable: SERVING");
            } else if (check.standby) {
              // A failover through a direct URL: the old primary came back
              // as a standby. Writes need the new primary.
              logging::Log(logging::LogLevel::kError,
                           "database_url reaches a standby (in recovery), where every write "
                           "fails: NOT_SERVING; point it at the primary (HAProxy's write port, "
                           "or a multi-host URL with target_session_attrs=read-write)");
            } else {
              logging::Log(logging::LogLevel::kError, "database unreachable: NOT_SERVING",
                           {{"error", in_recovery.status().message()}});
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
