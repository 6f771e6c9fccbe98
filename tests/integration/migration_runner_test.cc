#include "storage/migration_runner.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

using tnps::testing::TestDatabase;

int64_t TableCount(const TestDatabase& db, const std::string& name) {
  return db.QueryInt(
      "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '" + name + "'");
}

TEST(MigrationRunner, AppliesEveryMigrationOnceAndRecordsIt) {
  TestDatabase db(/*migrate=*/false);
  MigrationRunner runner(db.owner_url());
  absl::StatusOr<std::vector<int>> first = runner.Up();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->size(), EmbeddedMigrations().size());
  EXPECT_EQ(TableCount(db, "responses"), 1);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM schema_migrations"),
            static_cast<int64_t>(EmbeddedMigrations().size()));

  absl::StatusOr<std::vector<int>> second = runner.Up();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->empty());
}

TEST(MigrationRunner, ConcurrentRunnersApplyEachMigrationExactlyOnce) {
  TestDatabase db(/*migrate=*/false);
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<std::vector<int>>> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { results[i] = MigrationRunner(db.owner_url()).Up(); });
  }
  for (auto& t : threads) t.join();
  size_t applied = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    applied += r->size();
  }
  EXPECT_EQ(applied, EmbeddedMigrations().size());
}

TEST(MigrationRunner, AChangedAppliedMigrationIsAnError) {
  TestDatabase db(/*migrate=*/true);
  std::vector<MigrationSource> changed = EmbeddedMigrations();
  changed[0].up_sql += "\n-- edited after release\n";
  absl::StatusOr<std::vector<int>> result = MigrationRunner(db.owner_url(), changed).Up();
  EXPECT_TRUE(absl::IsFailedPrecondition(result.status())) << result.status();
}

TEST(MigrationRunner, AnUnknownAppliedMigrationIsAnError) {
  TestDatabase db(/*migrate=*/true);
  db.Exec("INSERT INTO schema_migrations (version, title, checksum) VALUES (9999, 'future', 'x')");
  absl::StatusOr<std::vector<int>> result = MigrationRunner(db.owner_url()).Up();
  EXPECT_TRUE(absl::IsFailedPrecondition(result.status())) << result.status();
}

TEST(MigrationRunner, DownRevertsAndUpReapplies) {
  TestDatabase db(/*migrate=*/true);
  MigrationRunner runner(db.owner_url());
  absl::StatusOr<std::vector<int>> reverted = runner.DownTo(0);
  ASSERT_TRUE(reverted.ok()) << reverted.status();
  EXPECT_EQ(reverted->size(), EmbeddedMigrations().size());
  EXPECT_EQ(TableCount(db, "responses"), 0);
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM schema_migrations"), 0);
  absl::StatusOr<std::vector<int>> again = runner.Up();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(TableCount(db, "responses"), 1);
}

TEST(MigrationRunner, StatusListsAppliedMigrations) {
  TestDatabase db(/*migrate=*/true);
  absl::StatusOr<std::vector<MigrationState>> states = MigrationRunner(db.owner_url()).Status();
  ASSERT_TRUE(states.ok()) << states.status();
  ASSERT_EQ(states->size(), EmbeddedMigrations().size());
  EXPECT_EQ((*states)[0].version, 1);
  EXPECT_TRUE((*states)[0].applied);
}

}  // namespace
}  // namespace tnps::storage
