// Retention: per-tenant policies that redact responses (drop the comment
// and customer_ref, optionally the attributes, keep the score) or delete
// them after a number of days, applied by the server in bounded batches
// (migrations/0013_data_rights.up.sql, docs/data-rights.md). Deleting
// corrects the rollups in the same transaction, as an erasure does.
//
// The same worker keeps what incremental exports need: a mark of the oldest
// running transaction once a minute (to start an export at a time), and
// removal records for kRemovalRecordDays.
#ifndef TNPS_STORAGE_RETENTION_H_
#define TNPS_STORAGE_RETENTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

// How long erasures and retention deletions are kept for incremental
// exports; an export from before is refused (a full export is needed).
inline constexpr int kRemovalRecordDays = 90;

struct RetentionPolicy {
  // By interaction time.
  std::optional<int> redact_after_days = {};
  bool redact_attributes = false;
  std::optional<int> delete_after_days = {};
};

struct RetentionProgress {
  std::optional<absl::Time> redacted_through, deleted_through, last_round_at;
  int64_t redacted_total = 0, deleted_total = 0;
};

// What one round did.
struct RetentionRound {
  int64_t tenants = 0;
  int64_t redacted = 0;
  int64_t deleted = 0;
  int64_t removal_records_pruned = 0;
};

struct RetentionSchedule {
  absl::Duration period = absl::Minutes(1);
  int batch_rows = 500;
  // While a backlog remains, the share of the time spent in batches.
  double busy_share = 0.1;
};

// Policies, set by operators (tnpsctl retention) as the schema owner.
class RetentionPolicies {
 public:
  explicit RetentionPolicies(ConnectionPool& pool) : pool_(pool) {}
  // Replaces the policy of `tenant_id`; nullopt removes it. Audited.
  absl::Status Set(int64_t tenant_id, const std::optional<RetentionPolicy>& policy);
  absl::StatusOr<std::optional<RetentionPolicy>> Get(int64_t tenant_id);
  absl::StatusOr<RetentionProgress> Progress(int64_t tenant_id);

 private:
  ConnectionPool& pool_;
};

class RetentionWorker {
 public:
  explicit RetentionWorker(ConnectionPool& pool);
  ~RetentionWorker();

  // One round over every tenant with a policy, at `now`; each batch is a
  // transaction of at most `schedule.batch_rows` responses, with pauses
  // that keep the round to `schedule.busy_share` of the time.
  absl::StatusOr<RetentionRound> RunOnce(const RetentionSchedule& schedule,
                                         absl::Time now = absl::Now());

  // Rounds on a background thread every `schedule.period`, logging what
  // each did (and errors, retried next round). Stops in the destructor.
  void Start(RetentionSchedule schedule);

 private:
  // Redacts or deletes one tenant's due responses under `policy`, as long
  // as the tenant's policy is still the one last updated at `version`.
  absl::Status ApplyPolicy(int64_t tenant_id, const RetentionPolicy& policy,
                           const std::string& policy_version, const RetentionSchedule& schedule,
                           absl::Time now, RetentionRound& round);
  // Waits out the pause after a batch that took `batch`; false if stopping.
  bool Pause(absl::Duration batch, const RetentionSchedule& schedule);

  ConnectionPool& pool_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_RETENTION_H_
