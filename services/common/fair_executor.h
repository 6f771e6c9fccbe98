// A fixed pool of threads for blocking work (database reads, key lookups),
// shared fairly between tenants. Its queue is bounded in all and per tenant,
// and a tenant may only have so many jobs running at once; threads take
// tenants in turn. So one tenant's burst of expensive reports can neither
// take every thread nor fill the queue that other tenants' calls wait in,
// and no number of callers makes the server hold more than `threads`
// running and `max_queued` waiting jobs.
#ifndef TNPS_SERVICES_COMMON_FAIR_EXECUTOR_H_
#define TNPS_SERVICES_COMMON_FAIR_EXECUTOR_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace tnps::services {

struct FairExecutorOptions {
  int threads = 4;
  // Jobs waiting, in all.
  int max_queued = 64;
  // Jobs of one tenant running at once, and waiting.
  int max_running_per_tenant = 2;
  int max_queued_per_tenant = 16;
};

class FairExecutor {
 public:
  explicit FairExecutor(FairExecutorOptions options);
  // Runs every queued job, then joins the threads.
  ~FairExecutor();
  FairExecutor(const FairExecutor&) = delete;
  FairExecutor& operator=(const FairExecutor&) = delete;

  // Queues `work` for `tenant`; RESOURCE_EXHAUSTED, without queueing it,
  // when the queue or the tenant's share of it is full.
  absl::Status TrySubmit(int64_t tenant, std::function<void()> work);

  // Jobs waiting for a thread now.
  int queued() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct TenantQueue {
    std::deque<std::function<void()>> waiting;
    int running = 0;
    // Whether the tenant is in ready_.
    bool ready = false;
  };
  void WorkLoop();
  // Puts the tenant in line for a thread if it has work it may run.
  void MaybeReadyLocked(int64_t tenant, TenantQueue& queue) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const FairExecutorOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<int64_t, TenantQueue> tenants_ ABSL_GUARDED_BY(mu_);
  // Tenants with a job they may run, in turn.
  std::deque<int64_t> ready_ ABSL_GUARDED_BY(mu_);
  int queued_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_FAIR_EXECUTOR_H_
