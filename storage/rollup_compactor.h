// Keeps the coarse rollups (per agent and day, agent and week, team and day,
// tenant and day) in step with the exact daily_rollups. Ingest appends a row
// per (tenant, local day) it touched to rollup_changes; the compactor takes
// the rows of a few (tenant, week)s, recomputes the coarse cells of their
// days and weeks from daily_rollups and deletes exactly the rows it took, in
// one transaction. Readers treat days with change rows as pending and read them
// from daily_rollups (see migrations/0005_coarse_rollups.up.sql).
#ifndef TNPS_STORAGE_ROLLUP_COMPACTOR_H_
#define TNPS_STORAGE_ROLLUP_COMPACTOR_H_

#include <cstdint>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

class RollupCompactor {
 public:
  explicit RollupCompactor(ConnectionPool& pool);
  ~RollupCompactor();

  // One round: takes the change rows of up to `max_weeks` (tenant, week)s,
  // those with the oldest change first, and recomputes their days and
  // weeks. Returns how many (tenant, week)s it compacted. Rounds of several
  // servers are serialized by an advisory lock.
  absl::StatusOr<int64_t> CompactOnce(int64_t max_weeks);

  // Compacts until no change row is left; returns the (tenant, week)s
  // compacted in all.
  absl::StatusOr<int64_t> CompactAll(int64_t max_weeks_per_round);

  // Runs rounds on a background thread: again at once after a full round,
  // else after `idle_period`. Stops in the destructor. Errors (such as the
  // database being down) are logged and retried after `idle_period`.
  void Start(absl::Duration idle_period, int64_t max_weeks_per_round);

 private:
  ConnectionPool& pool_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_ROLLUP_COMPACTOR_H_
