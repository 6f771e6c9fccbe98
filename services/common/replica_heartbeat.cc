#include "services/common/replica_heartbeat.h"

#include <unistd.h>

#include <random>

#include "absl/strings/str_format.h"
#include "logging/log.h"

namespace tnps::services {
namespace {

// A replica counts as alive for this many periods after its last renewal.
constexpr int kPeriodsAlive = 5;

std::string NewReplicaId() {
  char host[64] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::random_device random;
  return absl::StrFormat("%s:%d:%08x", host, getpid(), random());
}

}  // namespace

ReplicaHeartbeat::ReplicaHeartbeat(storage::ReplicaRegistry& registry, RateLimiter& limiter,
                                   absl::Duration period)
    : registry_(registry), limiter_(limiter), period_(period), replica_id_(NewReplicaId()) {
  bool answered = Renew(/*log_failure=*/true);
  thread_ = std::thread([this, answered]() mutable {
    while (!stop_.WaitForNotificationWithTimeout(period_)) {
      // A failure is logged once, when the database stops answering.
      answered = Renew(/*log_failure=*/answered);
    }
  });
}

ReplicaHeartbeat::~ReplicaHeartbeat() { Leave(); }

void ReplicaHeartbeat::Leave() {
  // Called by the thread that owns this object (main), never concurrently.
  if (left_) return;
  left_ = true;
  stop_.Notify();
  thread_.join();
  if (absl::Status left = registry_.Leave(replica_id_); !left.ok()) {
    logging::Log(logging::LogLevel::kWarning,
                 "could not remove this replica from server_replicas; the others count it "
                 "until it expires",
                 {{"replica_id", replica_id_}, {"error", left.message()}});
  }
}

bool ReplicaHeartbeat::Renew(bool log_failure) {
  absl::StatusOr<int> alive = registry_.Renew(replica_id_, period_ * kPeriodsAlive);
  if (!alive.ok()) {
    if (log_failure) {
      logging::Log(logging::LogLevel::kWarning,
                   "cannot renew this replica in server_replicas; rate limits keep the last "
                   "replica count",
                   {{"replica_id", replica_id_},
                    {"replicas", limiter_.replicas()},
                    {"error", alive.status().message()}});
    }
    return false;
  }
  if (*alive != limiter_.replicas()) {
    logging::Log(logging::LogLevel::kInfo, "rate limits shared by the running replicas",
                 {{"replica_id", replica_id_}, {"replicas", *alive}});
    limiter_.SetReplicas(*alive);
  }
  return true;
}

}  // namespace tnps::services
