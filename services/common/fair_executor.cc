#include "services/common/fair_executor.h"

#include "absl/strings/str_cat.h"

namespace tnps::services {

FairExecutor::FairExecutor(FairExecutorOptions options) : options_(options) {
  threads_.reserve(static_cast<size_t>(options_.threads));
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { WorkLoop(); });
}

FairExecutor::~FairExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

int FairExecutor::queued() {
  absl::MutexLock lock(&mu_);
  return queued_;
}

absl::Status FairExecutor::TrySubmit(int64_t tenant, std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queued_ >= options_.max_queued) {
    return absl::ResourceExhaustedError(
        "the server is running as many calls of this kind as it allows; retry with backoff");
  }
  TenantQueue& queue = tenants_[tenant];
  if (queue.waiting.size() >= static_cast<size_t>(options_.max_queued_per_tenant)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("this tenant already has ", queue.running, " calls of this kind running and ",
                     queue.waiting.size(), " waiting, as many as it may; retry with backoff"));
  }
  queue.waiting.push_back(std::move(work));
  ++queued_;
  MaybeReadyLocked(tenant, queue);
  return absl::OkStatus();
}

void FairExecutor::MaybeReadyLocked(int64_t tenant, TenantQueue& queue) {
  if (queue.ready || queue.waiting.empty() || queue.running >= options_.max_running_per_tenant) {
    return;
  }
  queue.ready = true;
  ready_.push_back(tenant);
}

void FairExecutor::WorkLoop() {
  while (true) {
    std::function<void()> work;
    int64_t tenant;
    {
      absl::MutexLock lock(&mu_);
      auto can_proceed = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return !ready_.empty() || (stopping_ && queued_ == 0);
      };
      mu_.Await(absl::Condition(&can_proceed));
      if (ready_.empty()) return;  // stopping, nothing left
      tenant = ready_.front();
      ready_.pop_front();
      TenantQueue& queue = tenants_[tenant];
      queue.ready = false;
      work = std::move(queue.waiting.front());
      queue.waiting.pop_front();
      --queued_;
      ++queue.running;
      MaybeReadyLocked(tenant, queue);
    }
    work();
    absl::MutexLock lock(&mu_);
    auto it = tenants_.find(tenant);
    --it->second.running;
    MaybeReadyLocked(tenant, it->second);
    if (it->second.running == 0 && it->second.waiting.empty()) tenants_.erase(it);
  }
}

}  // namespace tnps::services
