// What the gRPC call that a query serves still allows: its deadline, and
// whether it was cancelled. A handler installs them for its thread with
// ScopedCallLimits; ConnectionPool::Run honours them without every store
// method taking them as an argument: it waits for a connection no longer than
// the deadline, gives each statement a timeout no longer than what is left,
// and cancels the running statement (libpq's cancel request) when the call is
// cancelled. So a caller that gives up stops its database work.
#ifndef TNPS_STORAGE_CALL_LIMITS_H_
#define TNPS_STORAGE_CALL_LIMITS_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/consistency_token.h"

namespace pqxx {
class connection_base;
}

namespace tnps::storage {

// Thread-safe: Cancel() comes from gRPC's thread while the query runs on
// another.
class CallCancellation {
 public:
  // Marks the call cancelled and cancels the statement running for it, if
  // any. Idempotent.
  void Cancel();
  bool cancelled() const;

 private:
  friend class ConnectionPool;
  // The pool registers the connection running the call's statement for as
  // long as it runs; false if the call is already cancelled.
  bool Attach(pqxx::connection_base* connection);
  void Detach();

  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  pqxx::connection_base* running_ ABSL_GUARDED_BY(mu_) = nullptr;
};

struct CallLimits {
  absl::Time deadline = absl::InfiniteFuture();
  // Null when the call cannot be cancelled.
  CallCancellation* cancellation = nullptr;
  // A WAL position the caller has written up to (core/consistency_token.h):
  // a pool that reaches a standby (ConnectionPoolOptions::primary) runs the
  // call's queries once the standby has replayed it, or on the primary.
  // 0: whatever the standby has.
  core::WalPosition read_after = 0;
  // Set by a standby's pool once the standby was too far behind
  // read_after: the call's later queries go to the primary at once.
  bool read_on_primary = false;
};

// Installs `limits` for the queries this thread runs until it goes out of
// scope. Not nestable across calls: one handler, one scope.
class ScopedCallLimits {
 public:
  explicit ScopedCallLimits(CallLimits limits);
  ~ScopedCallLimits();
  ScopedCallLimits(const ScopedCallLimits&) = delete;
  ScopedCallLimits& operator=(const ScopedCallLimits&) = delete;

 private:
  CallLimits previous_;
};

// The limits of the call this thread serves; unlimited outside a scope.
const CallLimits& CurrentCallLimits();

// Sets read_after for the rest of the current scope's call: a handler
// calls it once it has read the caller's consistency token.
void ReadAfter(core::WalPosition position);

// Sets read_on_primary for the rest of the current scope's call (for
// ConnectionPool).
void ReadRestOfCallOnPrimary();

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_CALL_LIMITS_H_
