// Keeps every rollup table (daily_rollups per tenant, local day, agent, team
// and channel; the coarse ones per agent and day, agent and week, team and
// day, tenant and day; the attribute rollups) up with ingest, and back-fills
// newly declared attribute dimensions. Ingest appends, per statement, a row
// per daily_rollups cell with the counts it added to rollup_changes; the
// compactor takes the oldest rows, adds their counts to every table and
// deletes exactly the rows it took, in one transaction. So each table holds
// the change rows compacted so far, and readers add the pending ones
// (storage/rollup_reader.h; migrations 0005, 0007 and 0008).
#ifndef TNPS_STORAGE_ROLLUP_COMPACTOR_H_
#define TNPS_STORAGE_ROLLUP_COMPACTOR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

// The advisory lock a compaction round holds: whoever must not race a
// round (deleting a tenant) takes it too. ("tnps" in ASCII.)
inline constexpr int64_t kCompactionLock = 0x746e7073;

// What one scheduled round did, for the server's metrics.
struct CompactionRound {
  absl::Status status;
  // Change rows folded into the rollups.
  int64_t taken = 0;
  absl::Duration duration;
  // Age of the oldest change row still pending after the round; zero when
  // none is (set only when the round succeeded).
  absl::Duration oldest_pending_age;
};

struct CompactorSchedule {
  // The pause between rounds once the backlog is worked off.
  absl::Duration idle_period = absl::Seconds(5);
  int64_t max_changes_per_round = 5000;
  // Responses a back-fill batch of a newly declared attribute key reads.
  int64_t max_backfill_responses = 20000;
  // While a backlog remains, the share of the time spent in rounds: after a
  // round of duration d the next starts d·(1/share − 1) later.
  double busy_share = 0.25;
  // Called after every round, on the compactor's thread.
  std::function<void(const CompactionRound&)> on_round;
};

// One back-fill batch: the dimension it worked on (key empty if none
// needed it), the responses it read and those it counted, and whether the
// key is ready now.
struct BackfillBatch {
  int64_t tenant_id = 0;
  std::string key;
  int64_t read = 0;
  int64_t counted = 0;
  bool finished = false;
};

class RollupCompactor {
 public:
  explicit RollupCompactor(ConnectionPool& pool);
  ~RollupCompactor();

  // One round: takes the `max_changes` oldest change rows and adds their
  // counts. Returns how many it took. Rounds of several servers are
  // serialized by an advisory lock.
  absl::StatusOr<int64_t> CompactOnce(int64_t max_changes);

  // CompactOnce, also measuring the age of the oldest change row left.
  CompactionRound CompactRound(int64_t max_changes);

  // One back-fill batch of the attribute dimension declared longest ago
  // that is not ready: the counts of its next `max_responses` older
  // responses, added to the attribute rollups under the compaction lock
  // (migrations/0020). Runs on the compactor's thread after each round.
  absl::StatusOr<BackfillBatch> BackfillOnce(int64_t max_responses);
  // Compacts until no change row is left; returns the change rows taken in
  // all.
  absl::StatusOr<int64_t> CompactAll(int64_t max_changes_per_round);

  // Runs rounds on a background thread as `schedule` says. Stops in the
  // destructor. Errors (such as the database being down) are logged and
  // retried after the idle period.
  void Start(CompactorSchedule schedule);

 private:
  ConnectionPool& pool_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_ROLLUP_COMPACTOR_H_
