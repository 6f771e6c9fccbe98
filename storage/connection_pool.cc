#include "storage/connection_pool.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/call_limits.h"
#include "storage/pg_error.h"

namespace tnps::storage {

struct ConnectionPool::Slot {
  std::unique_ptr<pqxx::connection> connection;
  // The session's statement_timeout as last set.
  absl::Duration statement_timeout;
};

namespace {

constexpr int kMaxAttempts = 5;

// How soon a call waiting for a standby's replay asks again: 2 ms, doubling
// up to 20 ms.
constexpr absl::Duration kFirstReplayPoll = absl::Milliseconds(2);
constexpr absl::Duration kLongestReplayPoll = absl::Milliseconds(20);

// True once the server holds WAL position $1 (a byte offset): a standby
// that has replayed it, or a primary that has written it. A primary of
// another cluster, behind the position, does not pass.
constexpr char kReplayedSql[] =
    "SELECT coalesce(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() "
    "ELSE pg_current_wal_lsn() END >= '0/0'::pg_lsn + $1::numeric, false)";

// Statement timeouts are set in whole milliseconds; PostgreSQL reads 0 as
// "none", so the shortest is 1 ms.
int64_t TimeoutMillis(absl::Duration timeout) {
  return std::max<int64_t>(1,
                           absl::ToInt64Milliseconds(absl::Ceil(timeout, absl::Milliseconds(1))));
}

absl::Status DeadlinePassed() {
  return absl::DeadlineExceededError("the call's deadline passed before its database work ended");
}

absl::Status CallCancelled() {
  return absl::CancelledError("the call was cancelled; its database work was stopped");
}

}  // namespace

ConnectionPool::ConnectionPool(ConnectionPoolOptions options) : options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() = default;

void ConnectionPool::Prepare(std::string name, std::string sql) {
  // A call can go on to the primary: it must know the statement too.
  if (options_.primary != nullptr) options_.primary->Prepare(name, sql);
  absl::MutexLock lock(&mu_);
  statements_.emplace_back(std::move(name), std::move(sql));
}

absl::StatusOr<std::unique_ptr<ConnectionPool::Slot>> ConnectionPool::Open() {
  std::vector<std::pair<std::string, std::string>> statements;
  {
    absl::MutexLock lock(&mu_);
    statements = statements_;
  }
  try {
    auto slot = std::make_unique<Slot>();
    slot->connection = std::make_unique<pqxx::connection>(options_.database_url);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    // A lost connection is replaced by the pool, never silently revived
    // mid-transaction by libpqxx.
    slot->connection->inhibit_reactivation(true);
#pragma GCC diagnostic pop
    {
      pqxx::nontransaction setup(*slot->connection);
      // Acked means durable: never inherit an asynchronous-commit default.
      setup.exec0(
          absl::StrCat("SET synchronous_commit = on; SET TimeZone = 'UTC'; ",
                       "SET statement_timeout = ", TimeoutMillis(options_.statement_timeout)));
    }
    slot->statement_timeout = absl::Milliseconds(TimeoutMillis(options_.statement_timeout));
    for (const auto& [name, sql] : statements) slot->connection->prepare(name, sql);
    return slot;
  } catch (...) {
    return ClassifyCurrentException().status;
  }
}

absl::StatusOr<std::unique_ptr<ConnectionPool::Slot>> ConnectionPool::Acquire(absl::Duration wait) {
  {
    absl::MutexLock lock(&mu_);
    auto can_proceed = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_count_ < options_.size;
    };
    if (!can_proceed()) {
      ++waits_;
      const absl::Time start = absl::Now();
      const bool got = mu_.AwaitWithTimeout(absl::Condition(&can_proceed), wait);
      wait_time_ += absl::Now() - start;
      if (!got) {
        ++wait_timeouts_;
        if (wait < options_.acquire_timeout) return DeadlinePassed();
        return absl::UnavailableError("all database connections are busy; retry later");
      }
    }
    if (!idle_.empty()) {
      std::unique_ptr<Slot> slot = std::move(idle_.back());
      idle_.pop_back();
      return slot;
    }
    ++open_count_;
  }
  absl::StatusOr<std::unique_ptr<Slot>> slot = Open();
  if (!slot.ok()) {
    absl::MutexLock lock(&mu_);
    --open_count_;
  }
  return slot;
}

PoolStats ConnectionPool::Stats() {
  absl::MutexLock lock(&mu_);
  return {.size = options_.size,
          .open = open_count_,
          .in_use = open_count_ - static_cast<int>(idle_.size()),
          .waits = waits_,
          .wait_time = wait_time_,
          .wait_timeouts = wait_timeouts_,
          .replay_waits = replay_waits_,
          .replay_fallbacks = replay_fallbacks_,
          .failure_fallbacks = failure_fallbacks_};
}

void ConnectionPool::Release(std::unique_ptr<Slot> slot, SlotState state) {
  absl::MutexLock lock(&mu_);
  if (state == SlotState::kReusable && slot->connection->is_open()) {
    idle_.push_back(std::move(slot));
    return;
  }
  --open_count_;
  if (state != SlotState::kLost) return;
  // One lost connection usually means the server restarted or went away:
  // the idle ones are as dead, so drop them rather than fail one call each.
  open_count_ -= static_cast<int>(idle_.size());
  idle_.clear();
}

ConnectionPool::SlotState ConnectionPool::Detach(CallCancellation* cancellation, bool attached) {
  if (!attached) return SlotState::kReusable;
  cancellation->Detach();
  // A cancel request that reached the server after its statement ended could
  // cancel the next caller's statement on the same session; a fresh
  // connection is cheaper than that surprise.
  return cancellation->cancelled() ? SlotState::kDiscard : SlotState::kReusable;
}

void ConnectionPool::LimitStatements(Slot& slot, absl::Duration timeout) {
  const absl::Duration wanted = absl::Milliseconds(TimeoutMillis(timeout));
  if (wanted == slot.statement_timeout) return;
  pqxx::nontransaction(*slot.connection)
      .exec0(absl::StrCat("SET statement_timeout = ", TimeoutMillis(wanted)));
  slot.statement_timeout = wanted;
}

bool ConnectionPool::AwaitReplay(pqxx::connection_base& conn, const CallLimits& limits) {
  const std::string position = std::to_string(limits.read_after);
  // At most half of what the call has left, so that the primary still has
  // time to answer.
  const absl::Time now = absl::Now();
  const absl::Time until =
      now +
      std::min(options_.replay_wait, std::max(absl::ZeroDuration(), limits.deadline - now) / 2);
  absl::Duration poll = kFirstReplayPoll;
  for (bool first = true;; first = false) {
    if (pqxx::nontransaction(conn).exec_params1(kReplayedSql, position)[0].as<bool>()) {
      return true;
    }
    if (first) {
      absl::MutexLock lock(&mu_);
      ++replay_waits_;
    }
    if (absl::Now() + poll >= until ||
        (limits.cancellation != nullptr && limits.cancellation->cancelled())) {
      return false;
    }
    absl::SleepFor(poll);
    poll = std::min(poll * 2, kLongestReplayPoll);
  }
}

absl::Status ConnectionPool::RunAttempts(absl::FunctionRef<void(pqxx::connection_base&)> work) {
  if (options_.primary == nullptr) {
    bool behind = false;
    return RunHere(work, behind);
  }
  // A call that found the standby behind its write once reads the rest on
  // the primary, rather than wait again for each query.
  bool behind = CurrentCallLimits().read_on_primary;
  const absl::Status status = behind ? absl::OkStatus() : RunHere(work, behind);
  // Besides a standby behind the caller's write: one that cannot be reached
  // (or was lost mid-read), whose connections are all busy, or whose
  // queries replay keeps cancelling (recovery conflicts, ABORTED after the
  // retries). Reads are safe to run again, on the primary.
  if (!behind && !absl::IsUnavailable(status) && !absl::IsAborted(status)) return status;
  if (behind) ReadRestOfCallOnPrimary();
  {
    absl::MutexLock lock(&mu_);
    ++(behind ? replay_fallbacks_ : failure_fallbacks_);
  }
  return options_.primary->RunAttempts(work);
}

absl::Status ConnectionPool::RunHere(absl::FunctionRef<void(pqxx::connection_base&)> work,
                                     bool& behind) {
  const CallLimits& limits = CurrentCallLimits();
  CallCancellation* const cancellation = limits.cancellation;
  absl::Status last;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    const absl::Duration left = limits.deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return DeadlinePassed();
    absl::StatusOr<std::unique_ptr<Slot>> slot = Acquire(std::min(options_.acquire_timeout, left));
    if (!slot.ok()) return slot.status();
    pqxx::connection_base& conn = *(*slot)->connection;
    bool attached = false;
    try {
      // What is left of the deadline once a connection was found, so that a
      // statement never outlives its caller.
      LimitStatements(**slot, std::min(options_.statement_timeout, limits.deadline - absl::Now()));
      if (cancellation != nullptr) {
        attached = cancellation->Attach(&conn);
        if (!attached) {
          Release(*std::move(slot), SlotState::kReusable);
          return CallCancelled();
        }
      }
      if (options_.primary != nullptr && limits.read_after != 0 && !AwaitReplay(conn, limits)) {
        Release(*std::move(slot), Detach(cancellation, attached));
        if (cancellation != nullptr && cancellation->cancelled()) return CallCancelled();
        behind = true;
        return absl::OkStatus();
      }
      work(conn);
      Release(*std::move(slot), Detach(cancellation, attached));
      return absl::OkStatus();
    } catch (...) {
      const SlotState after_cancel = Detach(cancellation, attached);
      PgFailure failure = ClassifyCurrentException();
      const bool lost = failure.connection_lost || !conn.is_open();
      Release(*std::move(slot), lost ? SlotState::kLost : after_cancel);
      if (cancellation != nullptr && cancellation->cancelled()) return CallCancelled();
      if (absl::IsDeadlineExceeded(failure.status) && limits.deadline <= absl::Now()) {
        return DeadlinePassed();
      }
      if (!failure.retryable) return failure.status;
      last = failure.status;
    }
  }
  return last;
}

absl::StatusOr<bool> ConnectionPool::InRecovery() {
  return Run([](pqxx::connection_base& conn) {
    return pqxx::nontransaction(conn).exec1("SELECT pg_is_in_recovery()")[0].as<bool>();
  });
}

}  // namespace tnps::storage
