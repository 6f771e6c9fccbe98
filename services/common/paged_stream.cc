#include "services/common/paged_stream.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace tnps::services {

PagedStream::PagedStream(grpc::CallbackServerContext* context, StreamSweeper& sweeper,
                         FairExecutor& reads, absl::Duration stall_timeout, std::string resume_hint)
    : context_(context),
      sweeper_(sweeper),
      reads_(reads),
      stall_timeout_(stall_timeout),
      resume_hint_(std::move(resume_hint)) {
  sweeper_.Add(this);
}

void PagedStream::OnWriteDone(bool ok) {
  if (!ok) {
    {
      absl::MutexLock lock(&mu_);
      write_started_ = absl::InfiniteFuture();
    }
    return FinishOnce(grpc::Status::CANCELLED);
  }
  {
    absl::MutexLock lock(&mu_);
    queue_.pop_front();
    write_started_ = absl::InfiniteFuture();
  }
  SendNext();
}

void PagedStream::OnCancel() {
  cancellation_.Cancel();
  Cancelled();
}

void PagedStream::OnDone() {
  {
    // gRPC frees the context after this: the sweeper must not use it.
    absl::MutexLock lock(&mu_);
    done_ = true;
  }
  Done();
  sweeper_.Remove(this);
  Unref();
}

void PagedStream::Ref() { refs_.fetch_add(1, std::memory_order_relaxed); }

void PagedStream::Unref() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

void PagedStream::Sweep(absl::Time now) {
  // Under the lock, so that OnDone (after which the context is gone) waits.
  // TryCancel only schedules gRPC's callbacks; none runs inside it. The
  // pending write then completes with ok false, which finishes.
  absl::MutexLock lock(&mu_);
  if (done_ || !(now - stall_timeout_ > write_started_)) return;
  write_started_ = absl::InfiniteFuture();
  context_->TryCancel();
}

void PagedStream::Fetch(int64_t tenant_id) {
  tenant_id_ = tenant_id;
  Ref();
  absl::Status queued = reads_.TrySubmit(tenant_id, [this] {
    if (context_->IsCancelled()) {
      FinishOnce(grpc::Status::CANCELLED);
    } else {
      ReadPage();
    }
    Unref();
  });
  if (!queued.ok()) {
    Unref();
    FinishOnce(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                            absl::StrCat(queued.message(), "; ", resume_hint_)));
  }
}

void PagedStream::Deliver(std::deque<grpc::ByteBuffer> messages, Then then) {
  {
    absl::MutexLock lock(&mu_);
    queue_ = std::move(messages);
    then_ = then;
  }
  SendNext();
}

void PagedStream::SendNext() {
  const grpc::ByteBuffer* next = nullptr;
  Then then;
  {
    absl::MutexLock lock(&mu_);
    if (!queue_.empty()) {
      write_started_ = absl::Now();
      // Stays in place until OnWriteDone pops it.
      next = &queue_.front();
    }
    then = then_;
  }
  // Outside the lock: gRPC may run OnWriteDone before StartWrite returns.
  if (next != nullptr) {
    StartWrite(next);
    return;
  }
  switch (then) {
    case Then::kFetch:
      return Fetch(tenant_id_);
    case Then::kFinish:
      return FinishOnce(grpc::Status::OK);
    case Then::kWait:
      return Wait();
  }
}

void PagedStream::FinishOnce(grpc::Status status) {
  if (finished_.exchange(true)) return;
  Finish(std::move(status));
}

}  // namespace tnps::services
