#include "services/common/call_executor.h"

#include "absl/strings/str_cat.h"

namespace tnps::services {

CallExecutor::CallExecutor(CallExecutorOptions options) : options_(options) {
  threads_.reserve(static_cast<size_t>(options_.threads));
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { WorkLoop(); });
}

CallExecutor::~CallExecutor() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

grpc::Status CallExecutor::Overloaded() {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "the server is running as many reads as it allows; retry with backoff");
}

bool CallExecutor::TrySubmit(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= static_cast<size_t>(options_.max_queued)) return false;
  queue_.push_back(std::move(work));
  return true;
}

void CallExecutor::WorkLoop() {
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, nothing left
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace tnps::services
