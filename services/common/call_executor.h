// Runs the blocking part of unary calls (database reads, authentication) on
// a fixed pool of threads instead of gRPC's callback threads. The queue in
// front of the pool is bounded: a call that finds it full is answered
// RESOURCE_EXHAUSTED at once. So no number or behaviour of callers makes the
// server hold more than `threads` running and `max_queued` waiting calls, and
// a client that never reads its answers holds no thread: the answer is sent
// by gRPC after the handler has returned.
//
// The handler runs within the call's limits (storage/call_limits.h): its
// queries end at the call's deadline, and are cancelled when the caller
// cancels or goes away.
#ifndef TNPS_SERVICES_COMMON_CALL_EXECUTOR_H_
#define TNPS_SERVICES_COMMON_CALL_EXECUTOR_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "storage/call_limits.h"

namespace tnps::services {

struct CallExecutorOptions {
  int threads = 4;
  int max_queued = 64;
};

class CallExecutor {
 public:
  explicit CallExecutor(CallExecutorOptions options);
  // Runs what is queued (cancelled calls finish at once), then joins.
  // Destroy it after the gRPC server that uses it.
  ~CallExecutor();
  CallExecutor(const CallExecutor&) = delete;
  CallExecutor& operator=(const CallExecutor&) = delete;

  // Finishes the call of `context` with the status `handler` returns, run on
  // a pool thread; CANCELLED without running it if the caller has gone
  // (or its deadline has passed) by then. `handler` may use the request and
  // response of the call until it returns.
  template <typename Handler>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, Handler handler) {
    auto* reactor = new CallReactor;
    const bool queued = TrySubmit([context, reactor, handler = std::move(handler)]() mutable {
      if (context->IsCancelled()) {
        reactor->Finish(grpc::Status::CANCELLED);
        return;
      }
      grpc::Status status;
      {
        storage::ScopedCallLimits limits({.deadline = absl::FromChrono(context->deadline()),
                                          .cancellation = &reactor->cancellation});
        status = handler();
      }
      reactor->Finish(std::move(status));
    });
    if (!queued) reactor->Finish(Overloaded());
    return reactor;
  }

  // Runs `work` on a pool thread; false, without running it, if the queue is
  // full.
  bool TrySubmit(std::function<void()> work);

 private:
  // A unary call whose cancellation reaches the query running for it.
  class CallReactor final : public grpc::ServerUnaryReactor {
   public:
    void OnCancel() override { cancellation.Cancel(); }
    void OnDone() override { delete this; }
    storage::CallCancellation cancellation;
  };

  static grpc::Status Overloaded();
  void WorkLoop();

  const CallExecutorOptions options_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_CALL_EXECUTOR_H_
