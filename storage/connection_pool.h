// A fixed-size pool of PostgreSQL connections with prepared statements, and
// the boundary where libpqxx exceptions become absl::Status.
#ifndef TNPS_STORAGE_CONNECTION_POOL_H_
#define TNPS_STORAGE_CONNECTION_POOL_H_

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pqxx {
class connection_base;
}

namespace tnps::storage {

class CallCancellation;
class ConnectionPool;
struct CallLimits;

struct ConnectionPoolOptions {
  // libpq connection string or URI.
  std::string database_url;
  int size = 8;
  // How long a caller waits for a free connection before UNAVAILABLE.
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Server-side limit on one statement; DEADLINE_EXCEEDED past it. A call's
  // deadline (storage/call_limits.h) shortens it.
  absl::Duration statement_timeout = absl::Seconds(30);
  // Set when this pool reaches a standby (or anything that may lag behind
  // the primary): the pool that reaches the primary. Statements prepared
  // here are prepared there too, and a call with a read-after position
  // (CallLimits::read_after) that the standby has not replayed within
  // `replay_wait` (or half of what the call has left) runs there instead,
  // with the rest of the call's queries; so does a query the standby cannot
  // serve (unreachable, every connection busy: UNAVAILABLE; cancelled by
  // replay every attempt: ABORTED).
  ConnectionPool* primary = nullptr;
  absl::Duration replay_wait = absl::Seconds(2);
};

// What a pool is doing, for the server's metrics.
struct PoolStats {
  int size = 0;
  // Connections open, and of those lent to a caller.
  int open = 0;
  int in_use = 0;
  // Callers that found every connection lent and waited; how long they
  // waited in all; how many gave up (UNAVAILABLE or their deadline).
  int64_t waits = 0;
  absl::Duration wait_time;
  int64_t wait_timeouts = 0;
  // With a primary: queries that found the standby behind their call's
  // read-after position and waited; queries run on the primary because the
  // standby was behind (that one, and the rest of its call); queries run
  // there because the standby could not serve them.
  int64_t replay_waits = 0;
  int64_t replay_fallbacks = 0;
  int64_t failure_fallbacks = 0;
};

namespace internal {

// ConnectionPool::Run's result for a callback returning T.
template <typename T>
struct RunResultOf {
  using type = absl::StatusOr<T>;
};
template <typename T>
struct RunResultOf<absl::StatusOr<T>> {
  using type = absl::StatusOr<T>;
};
template <>
struct RunResultOf<absl::Status> {
  using type = absl::Status;
};
template <typename T>
using RunResult = typename RunResultOf<T>::type;

}  // namespace internal

class ConnectionPool {
 public:
  explicit ConnectionPool(ConnectionPoolOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Registers a statement that every connection prepares when it opens.
  // Stores call this from their constructors, before serving.
  void Prepare(std::string name, std::string sql);

  // Runs `work` on a pooled connection and returns what it returns: the one
  // way storage runs a query. `work` opens its own transaction. After a
  // deadlock or serialization failure it is run again from scratch (up to 5
  // times in all); only the value of the attempt that succeeded is returned,
  // so a failed attempt can leave nothing behind in the result.
  //
  // `work` returns a value T (the result is absl::StatusOr<T>), an
  // absl::StatusOr<T> (returned as is), or an absl::Status. A status that
  // `work` returns is a refusal decided inside the transaction (NOT_FOUND,
  // ALREADY_EXISTS, ...): it is not retried, and the transaction, left
  // uncommitted, rolls back. Exceptions become a status: a lost or refused
  // connection is UNAVAILABLE, a statement timeout DEADLINE_EXCEEDED,
  // anything else INTERNAL.
  //
  // Within the limits of the call this thread serves (CurrentCallLimits):
  // DEADLINE_EXCEEDED once its deadline has passed, whether waiting for a
  // connection or in a statement; CANCELLED, with the running statement
  // cancelled, once the call is.
  template <typename Work>
  auto Run(Work&& work) -> internal::RunResult<std::invoke_result_t<Work&, pqxx::connection_base&>>;

  // Whether the server this pool reaches is a standby (in recovery); the
  // health check's question, so also whether it answers at all.
  absl::StatusOr<bool> InRecovery();

  PoolStats Stats() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Slot;
  // Run without a result: every attempt, exceptions caught and classified;
  // on the primary when this pool's standby cannot serve the call.
  absl::Status RunAttempts(absl::FunctionRef<void(pqxx::connection_base&)> work);
  // The attempts on this pool's server. Sets `behind`, running nothing,
  // when the server has not replayed the call's read-after position in time.
  absl::Status RunHere(absl::FunctionRef<void(pqxx::connection_base&)> work, bool& behind);
  absl::StatusOr<std::unique_ptr<Slot>> Acquire(absl::Duration wait);
  // Gives the slot's statements at most `timeout`; throws like a query.
  void LimitStatements(Slot& slot, absl::Duration timeout);
  // Polls until the server `conn` reaches holds the call's read-after
  // position (true), or until replay_wait or half of the call's time left
  // would pass (false); throws like a query.
  bool AwaitReplay(pqxx::connection_base& conn, const CallLimits& limits);
  enum class SlotState {
    kReusable,
    // Closed; the other connections are fine.
    kDiscard,
    // Closed with every idle connection: the server is likely gone.
    kLost,
  };
  void Release(std::unique_ptr<Slot> slot, SlotState state);
  // Ends the cancellation's hold on a connection; how to release it.
  static SlotState Detach(CallCancellation* cancellation, bool attached);
  absl::StatusOr<std::unique_ptr<Slot>> Open();

  const ConnectionPoolOptions options_;
  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> statements_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Slot>> idle_ ABSL_GUARDED_BY(mu_);
  int open_count_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t waits_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration wait_time_ ABSL_GUARDED_BY(mu_);
  int64_t wait_timeouts_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t replay_waits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t replay_fallbacks_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t failure_fallbacks_ ABSL_GUARDED_BY(mu_) = 0;
};

template <typename Work>
auto ConnectionPool::Run(Work&& work)
    -> internal::RunResult<std::invoke_result_t<Work&, pqxx::connection_base&>> {
  using Value = std::invoke_result_t<Work&, pqxx::connection_base&>;
  // Set only by an attempt whose callback returned; a failed attempt
  // throws before it gets here.
  std::optional<Value> value;
  const absl::Status status =
      RunAttempts([&](pqxx::connection_base& conn) { value.emplace(work(conn)); });
  if (!status.ok()) return status;
  return *std::move(value);
}

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_CONNECTION_POOL_H_
