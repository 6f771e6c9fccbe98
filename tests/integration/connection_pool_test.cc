// ConnectionPool::Run's contract on a real PostgreSQL: a transaction that
// fails with a serialization failure is run again from scratch, and only
// the value of the attempt that succeeded comes back; a call's deadline and
// cancellation stop the statement running for it.
#include "storage/connection_pool.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "storage/call_limits.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

// SQLSTATE 40001, as PostgreSQL reports a serialization failure.
constexpr char kSerializationFailure[] =
    "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$";

class ConnectionPoolTest : public ::testing::Test {
 protected:
  tnps::testing::TestDatabase db_;
  ConnectionPool pool_{{.database_url = db_.url(), .size = 2}};
};

TEST_F(ConnectionPoolTest, RetriedAttemptReturnsOnlyItsOwnValue) {
  int attempts = 0;
  // Each attempt returns its own number after the rows it read.
  absl::StatusOr<std::vector<int>> rows = pool_.Run([&](pqxx::connection_base& conn) {
    std::vector<int> seen;
    pqxx::work txn(conn);
    ++attempts;
    for (const auto& row : txn.exec("SELECT generate_series(1, 3)")) {
      seen.push_back(row[0].as<int>());
    }
    seen.push_back(attempts);
    if (attempts < 3) txn.exec0(kSerializationFailure);
    txn.commit();
    return seen;
  });
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(*rows, (std::vector<int>{1, 2, 3, 3}));
}

TEST_F(ConnectionPoolTest, GivesUpAfterFiveSerializationFailures) {
  int attempts = 0;
  absl::StatusOr<int> value = pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    ++attempts;
    txn.exec0(kSerializationFailure);
    return 1;
  });
  EXPECT_EQ(attempts, 5);
  EXPECT_TRUE(absl::IsAborted(value.status())) << value.status();
}

TEST_F(ConnectionPoolTest, StatusReturnedByTheCallbackIsNotRetriedAndRollsBack) {
  db_.Exec("CREATE TABLE marks (n int); GRANT INSERT ON marks TO tnps_app");
  int attempts = 0;
  absl::Status status = pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    ++attempts;
    txn.exec0("INSERT INTO marks VALUES (1)");
    return absl::NotFoundError("no such thing");  // not committed
  });
  EXPECT_TRUE(absl::IsNotFound(status)) << status;
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM marks"), 0);
}

// Statements of this test's database still running, other than the one
// asking.
int64_t RunningStatements(const tnps::testing::TestDatabase& db) {
  return db.QueryInt(
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
      "AND state = 'active' AND pid <> pg_backend_pid()");
}

absl::Status SleepFiveSeconds(ConnectionPool& pool) {
  return pool.Run([](pqxx::connection_base& conn) {
    pqxx::nontransaction(conn).exec("SELECT pg_sleep(5)");
    return absl::OkStatus();
  });
}

TEST_F(ConnectionPoolTest, StatementEndsAtTheCallsDeadline) {
  ScopedCallLimits limits({.deadline = absl::Now() + absl::Milliseconds(300)});
  const absl::Time start = absl::Now();
  const absl::Status status = SleepFiveSeconds(pool_);
  EXPECT_TRUE(absl::IsDeadlineExceeded(status)) << status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(RunningStatements(db_), 0);
}

TEST_F(ConnectionPoolTest, NoConnectionIsTakenAfterTheDeadline) {
  ScopedCallLimits limits({.deadline = absl::Now() - absl::Milliseconds(1)});
  int runs = 0;
  const absl::Status status = pool_.Run([&](pqxx::connection_base&) {
    ++runs;
    return absl::OkStatus();
  });
  EXPECT_TRUE(absl::IsDeadlineExceeded(status)) << status;
  EXPECT_EQ(runs, 0);
}

TEST_F(ConnectionPoolTest, CancellingTheCallCancelsItsRunningStatement) {
  CallCancellation cancellation;
  absl::Status status;
  std::thread call([&] {
    ScopedCallLimits limits({.cancellation = &cancellation});
    status = SleepFiveSeconds(pool_);
  });
  // Cancel once the statement is running.
  const absl::Time start = absl::Now();
  while (RunningStatements(db_) == 0 && absl::Now() - start < absl::Seconds(4)) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  cancellation.Cancel();
  call.join();
  EXPECT_TRUE(absl::IsCancelled(status)) << status;
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(RunningStatements(db_), 0);
}

TEST_F(ConnectionPoolTest, TheDeadlineOfOneCallDoesNotShortenTheNext) {
  {
    ScopedCallLimits limits({.deadline = absl::Now() + absl::Seconds(1)});
    ASSERT_TRUE(pool_.InRecovery().ok());
  }
  // The same pooled session, now without a deadline: 1.2 s is allowed.
  const absl::Status status = pool_.Run([](pqxx::connection_base& conn) {
    pqxx::nontransaction(conn).exec("SELECT pg_sleep(1.2)");
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
}

}  // namespace
}  // namespace tnps::storage
