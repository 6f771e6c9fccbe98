#include "services/common/refusal_delay.h"

#include "absl/time/clock.h"

namespace tnps::services {

RefusalDelay::RefusalDelay(absl::Duration delay, size_t max_pending)
    : delay_(delay), max_pending_(max_pending), thread_([this] { Loop(); }) {}

RefusalDelay::~RefusalDelay() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

bool RefusalDelay::IsRefusal(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return true;
    default:
      return false;
  }
}

void RefusalDelay::Finish(const grpc::Status& status, std::function<void()> finish) {
  if (IsRefusal(status) && delay_ > absl::ZeroDuration()) {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && pending_.size() < max_pending_) {
      pending_.emplace_back(absl::Now() + delay_, std::move(finish));
      return;
    }
  }
  finish();
}

void RefusalDelay::Loop() {
  while (true) {
    std::function<void()> finish;
    {
      absl::MutexLock lock(&mu_);
      auto has_work = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return stopping_ || !pending_.empty();
      };
      mu_.Await(absl::Condition(&has_work));
      if (pending_.empty()) return;  // stopping, nothing left
      if (!stopping_) {
        const absl::Time due = pending_.front().first;
        auto changed = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return stopping_; };
        if (due > absl::Now() && mu_.AwaitWithDeadline(absl::Condition(&changed), due)) continue;
      }
      finish = std::move(pending_.front().second);
      pending_.pop_front();
    }
    finish();
  }
}

}  // namespace tnps::services
