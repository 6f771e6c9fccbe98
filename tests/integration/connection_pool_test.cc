// ConnectionPool::Run's contract on a real PostgreSQL: a transaction that
// fails with a serialization failure is run again from scratch, and only
// the value of the attempt that succeeded comes back.
#include "storage/connection_pool.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <vector>

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
  db_.Exec("CREATE TABLE marks (n int)");
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

}  // namespace
}  // namespace tnps::storage
