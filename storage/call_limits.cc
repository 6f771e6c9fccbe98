#include "storage/call_limits.h"

#include <pqxx/pqxx>

namespace tnps::storage {
namespace {

thread_local CallLimits current_limits;

}  // namespace

void CallCancellation::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_ = true;
  if (running_ == nullptr) return;
  // libpq's cancel request goes over a new socket and only reads the
  // connection's address and backend key, which do not change while the
  // owning thread runs a statement; the lock keeps the connection alive.
  try {
    running_->cancel_query();
  } catch (...) {
    // The statement still ends at its timeout; nothing else to do.
  }
}

bool CallCancellation::cancelled() const {
  absl::MutexLock lock(&mu_);
  return cancelled_;
}

bool CallCancellation::Attach(pqxx::connection_base* connection) {
  absl::MutexLock lock(&mu_);
  if (cancelled_) return false;
  running_ = connection;
  return true;
}

void CallCancellation::Detach() {
  absl::MutexLock lock(&mu_);
  running_ = nullptr;
}

ScopedCallLimits::ScopedCallLimits(CallLimits limits) : previous_(current_limits) {
  current_limits = limits;
}

ScopedCallLimits::~ScopedCallLimits() { current_limits = previous_; }

const CallLimits& CurrentCallLimits() { return current_limits; }

void ReadAfter(core::WalPosition position) { current_limits.read_after = position; }

void ReadRestOfCallOnPrimary() { current_limits.read_on_primary = true; }

}  // namespace tnps::storage
