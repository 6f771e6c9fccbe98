#include "storage/connection_pool.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/pg_error.h"

namespace tnps::storage {

struct ConnectionPool::Slot {
  std::unique_ptr<pqxx::connection> connection;
};

namespace {

constexpr int kMaxAttempts = 5;

}  // namespace

ConnectionPool::ConnectionPool(ConnectionPoolOptions options) : options_(std::move(options)) {}

ConnectionPool::~ConnectionPool() = default;

void ConnectionPool::Prepare(std::string name, std::string sql) {
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
      setup.exec0(absl::StrCat(
          "SET synchronous_commit = on; SET TimeZone = 'UTC'; ",
          "SET statement_timeout = ", absl::ToInt64Milliseconds(options_.statement_timeout)));
    }
    for (const auto& [name, sql] : statements) slot->connection->prepare(name, sql);
    return slot;
  } catch (...) {
    return ClassifyCurrentException().status;
  }
}

absl::StatusOr<std::unique_ptr<ConnectionPool::Slot>> ConnectionPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    auto can_proceed = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_count_ < options_.size;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&can_proceed), options_.acquire_timeout)) {
      return absl::UnavailableError("all database connections are busy; retry later");
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

void ConnectionPool::Release(std::unique_ptr<Slot> slot, bool broken) {
  absl::MutexLock lock(&mu_);
  if (!broken && slot->connection->is_open()) {
    idle_.push_back(std::move(slot));
    return;
  }
  // One broken connection usually means the server restarted or went away:
  // the idle ones are as dead, so drop them rather than fail one call each.
  open_count_ -= 1 + static_cast<int>(idle_.size());
  idle_.clear();
}

absl::Status ConnectionPool::RunAttempts(absl::FunctionRef<void(pqxx::connection_base&)> work) {
  absl::Status last;
  for (int attempt = 1; attempt <= kMaxAttempts; ++attempt) {
    absl::StatusOr<std::unique_ptr<Slot>> slot = Acquire();
    if (!slot.ok()) return slot.status();
    try {
      work(*(*slot)->connection);
      Release(*std::move(slot), /*broken=*/false);
      return absl::OkStatus();
    } catch (...) {
      PgFailure failure = ClassifyCurrentException();
      const bool lost = failure.connection_lost || !(*slot)->connection->is_open();
      Release(*std::move(slot), lost);
      if (!failure.retryable) return failure.status;
      last = failure.status;
    }
  }
  return last;
}

absl::Status ConnectionPool::Ping() {
  return Run([](pqxx::connection_base& conn) {
    pqxx::nontransaction(conn).exec1("SELECT 1");
    return absl::OkStatus();
  });
}

}  // namespace tnps::storage
