// A server stream that reads pages on the read executor and writes them
// out as messages (ExportResponses, WatchResponses): one page at a time in
// memory, written one message at a time, ended when the client stops
// taking messages for `stall_timeout`, and kept alive by a reference count
// until gRPC and every pending step are done with it.
//
// Protocol for a subclass: call Fetch() to read (ReadPage then runs on the
// executor); ReadPage hands its messages to Deliver() with what comes
// after them: another page, the end of the call, or Wait(), which the
// subclass implements to Fetch() again later.
#ifndef TNPS_SERVICES_COMMON_PAGED_STREAM_H_
#define TNPS_SERVICES_COMMON_PAGED_STREAM_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/fair_executor.h"
#include "services/common/stream_sweeper.h"
#include "storage/call_limits.h"

namespace tnps::services {

class PagedStream : public grpc::ServerWriteReactor<grpc::ByteBuffer>,
                    public StreamSweeper::Stream {
 public:
  // What follows the messages of a page.
  enum class Then { kFetch, kFinish, kWait };

  // `resume_hint` ends the message of a refusal by a full executor
  // ("resume the export with the last cursor received").
  PagedStream(grpc::CallbackServerContext* context, StreamSweeper& sweeper, FairExecutor& reads,
              absl::Duration stall_timeout, std::string resume_hint);

  void OnWriteDone(bool ok) final;
  void OnCancel() final;
  void OnDone() final;
  void Ref() final;
  void Unref() final;
  void Sweep(absl::Time now) final;

 protected:
  virtual ~PagedStream() = default;

  // Reads the next page on the executor, in `tenant_id`'s share of it.
  void Fetch(int64_t tenant_id);
  // Runs on the executor: reads a page and calls Deliver (or FinishOnce).
  virtual void ReadPage() = 0;
  // Called after the messages of a page delivered with Then::kWait.
  virtual void Wait() { FinishOnce(grpc::Status::OK); }
  // From OnCancel and OnDone, for what the subclass holds.
  virtual void Cancelled() {}
  virtual void Done() {}

  void Deliver(std::deque<grpc::ByteBuffer> messages, Then then);
  void FinishOnce(grpc::Status status);

  grpc::CallbackServerContext* context() const { return context_; }
  storage::CallCancellation& cancellation() { return cancellation_; }

 private:
  // Writes the next message, or does what follows the page.
  void SendNext();

  grpc::CallbackServerContext* const context_;
  StreamSweeper& sweeper_;
  FairExecutor& reads_;
  const absl::Duration stall_timeout_;
  const std::string resume_hint_;
  int64_t tenant_id_ = 0;
  storage::CallCancellation cancellation_;
  std::atomic<bool> finished_{false};
  // gRPC's reference, dropped in OnDone.
  std::atomic<int> refs_{1};
  absl::Mutex mu_;
  std::deque<grpc::ByteBuffer> queue_ ABSL_GUARDED_BY(mu_);
  Then then_ ABSL_GUARDED_BY(mu_) = Then::kFetch;
  absl::Time write_started_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  // OnDone has run: the context may be freed.
  bool done_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_PAGED_STREAM_H_
