#include "storage/response_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <pqxx/pqxx>
#include <random>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "storage/connection_pool.h"
#include "storage/response_writer.h"
#include "storage/tenant_store.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

using tnps::testing::kRollupMismatchSql;
using tnps::testing::TestDatabase;

const absl::Time kMonday =
    absl::FromCivil(absl::CivilSecond(2026, 3, 2, 12, 0, 0), absl::UTCTimeZone());

core::SurveyResponse Response(std::string external_id, int score, std::string agent = "a1",
                              absl::Time when = kMonday) {
  core::SurveyResponse r;
  r.external_id = std::move(external_id);
  r.interaction_id = "i-" + r.external_id;
  r.agent_id = std::move(agent);
  r.team_id = "t1";
  r.channel = 1;
  r.score = score;
  r.comment = "c";
  r.interaction_time = when;
  r.response_time = when + absl::Minutes(10);
  r.attributes = {{"queue", "billing"}};
  return r;
}

class ResponseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Tenant> a = tenants_.Create("a", "Europe/Zurich");
    absl::StatusOr<Tenant> b = tenants_.Create("b", "America/New_York");
    ASSERT_TRUE(a.ok() && b.ok());
    tenant_a_ = a->tenant_id;
    tenant_b_ = b->tenant_id;
  }

  absl::StatusOr<std::vector<WriteResult>> Write(int64_t tenant,
                                                 const std::vector<core::SurveyResponse>& rs) {
    std::vector<TenantResponse> items;
    for (const auto& r : rs) items.push_back({tenant, &r});
    return store_.Write(items);
  }

  TestDatabase db_;
  ConnectionPool pool_{{.database_url = db_.url(), .size = 10}};
  // Tenants are made by the operator's role.
  ConnectionPool owner_pool_{{.database_url = db_.owner_url(), .size = 1}};
  TenantStore tenants_{owner_pool_};
  ResponseStore store_{pool_};
  int64_t tenant_a_ = 0;
  int64_t tenant_b_ = 0;
};

TEST_F(ResponseStoreTest, StoresResponsesAgentsAndRollups) {
  absl::StatusOr<std::vector<WriteResult>> results =
      Write(tenant_a_, {Response("e1", 10), Response("e2", 7), Response("e3", 0, "a2")});
  ASSERT_TRUE(results.ok()) << results.status();
  for (const WriteResult& r : *results) EXPECT_EQ(r.outcome, WriteOutcome::kAccepted);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM responses"), 3);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM agents"), 2);
  EXPECT_EQ(db_.QueryInt("SELECT sum(promoters) FROM rollup_changes"), 1);
  EXPECT_EQ(db_.QueryInt("SELECT sum(passives) FROM rollup_changes"), 1);
  EXPECT_EQ(db_.QueryInt("SELECT sum(detractors) FROM rollup_changes"), 1);
  EXPECT_EQ(db_.QueryInt(kRollupMismatchSql), 0);
}

TEST_F(ResponseStoreTest, AgentsAreCreatedOncePerTenantWhateverTheServerRemembers) {
  // This store remembers a1 of tenant a after the first write; tenant b's
  // a1 is another agent, and a second store (another server) that has not
  // seen a1 finds it stored.
  ASSERT_TRUE(Write(tenant_a_, {Response("e1", 9, "a1")}).ok());
  ASSERT_TRUE(Write(tenant_a_, {Response("e2", 9, "a1")}).ok());
  ASSERT_TRUE(Write(tenant_b_, {Response("e1", 9, "a1")}).ok());
  ResponseStore other_server(pool_);
  const core::SurveyResponse r = Response("e3", 9, "a1");
  std::vector<TenantResponse> items = {{tenant_a_, &r}};
  ASSERT_TRUE(other_server.Write(items).ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM agents WHERE agent_id = 'a1'"), 2);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM responses"), 4);
  EXPECT_EQ(db_.QueryInt(kRollupMismatchSql), 0);
}

TEST_F(ResponseStoreTest, LocalDayFollowsTheTenantsTimeZone) {
  // 23:30 UTC on 1 March is already 2 March in Zurich, still 1 March in New York.
  const absl::Time late =
      absl::FromCivil(absl::CivilSecond(2026, 3, 1, 23, 30, 0), absl::UTCTimeZone());
  ASSERT_TRUE(Write(tenant_a_, {Response("z", 9, "a1", late)}).ok());
  ASSERT_TRUE(Write(tenant_b_, {Response("n", 9, "a1", late)}).ok());
  EXPECT_EQ(db_.QueryInt("SELECT extract(day FROM local_day)::int FROM responses WHERE "
                         "external_id = 'z'"),
            2);
  EXPECT_EQ(db_.QueryInt("SELECT extract(day FROM local_day)::int FROM responses WHERE "
                         "external_id = 'n'"),
            1);
}

TEST_F(ResponseStoreTest, SamePayloadAgainIsADuplicateWithTheOriginalId) {
  absl::StatusOr<std::vector<WriteResult>> first = Write(tenant_a_, {Response("e1", 9)});
  absl::StatusOr<std::vector<WriteResult>> again = Write(tenant_a_, {Response("e1", 9)});
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ((*again)[0].outcome, WriteOutcome::kDuplicate);
  EXPECT_EQ((*again)[0].response_id, (*first)[0].response_id);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM responses"), 1);
  EXPECT_EQ(db_.QueryInt("SELECT sum(promoters) FROM rollup_changes"), 1);
}

TEST_F(ResponseStoreTest, SameKeyDifferentPayloadConflictsAndLeavesTheOriginal) {
  ASSERT_TRUE(Write(tenant_a_, {Response("e1", 9)}).ok());
  core::SurveyResponse changed = Response("e1", 3);
  absl::StatusOr<std::vector<WriteResult>> result = Write(tenant_a_, {changed});
  ASSERT_TRUE(result.ok());
  EXPECT_EQ((*result)[0].outcome, WriteOutcome::kConflict);
  EXPECT_EQ(db_.QueryInt("SELECT score FROM responses WHERE external_id = 'e1'"), 9);
  EXPECT_EQ(db_.QueryInt("SELECT sum(detractors) FROM rollup_changes"), 0);
}

TEST_F(ResponseStoreTest, AnyChangedFieldIsAConflict) {
  ASSERT_TRUE(Write(tenant_a_, {Response("e1", 9)}).ok());
  std::vector<core::SurveyResponse> variants(6, Response("e1", 9));
  variants[0].comment = "other";
  variants[1].attributes = {{"queue", "sales"}};
  variants[2].response_time = *variants[2].response_time + absl::Microseconds(1);
  variants[3].channel = 2;
  variants[4].team_id = "t2";
  variants[5].customer_ref = "someone";
  for (const auto& v : variants) {
    absl::StatusOr<std::vector<WriteResult>> result = Write(tenant_a_, {v});
    ASSERT_TRUE(result.ok());
    EXPECT_EQ((*result)[0].outcome, WriteOutcome::kConflict);
  }
}

TEST_F(ResponseStoreTest, TheSameKeyInTwoTenantsIsTwoResponses) {
  ASSERT_TRUE(Write(tenant_a_, {Response("e1", 9)}).ok());
  absl::StatusOr<std::vector<WriteResult>> b = Write(tenant_b_, {Response("e1", 2)});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)[0].outcome, WriteOutcome::kAccepted);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM responses"), 2);
}

TEST_F(ResponseStoreTest, RepeatsWithinOneWriteAreJudgedAgainstTheFirst) {
  absl::StatusOr<std::vector<WriteResult>> results =
      Write(tenant_a_, {Response("e1", 9), Response("e1", 9), Response("e1", 4)});
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ((*results)[0].outcome, WriteOutcome::kAccepted);
  EXPECT_EQ((*results)[1].outcome, WriteOutcome::kDuplicate);
  EXPECT_EQ((*results)[2].outcome, WriteOutcome::kConflict);
  EXPECT_EQ((*results)[1].response_id, (*results)[0].response_id);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM responses"), 1);
}

TEST_F(ResponseStoreTest, EightConcurrentWritersOfOneKeyStoreOneRow) {
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<std::vector<WriteResult>>> results(8);
  const core::SurveyResponse response = Response("same", 10);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      std::vector<TenantResponse> items = {{tenant_a_, &response}};
      results[i] = store_.Write(items);
    });
  }
  for (auto& t : threads) t.join();
  int accepted = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    if ((*r)[0].outcome == WriteOutcome::kAccepted) ++accepted;
    EXPECT_EQ((*r)[0].response_id, (*results[0])[0].response_id);
  }
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM responses"), 1);
  EXPECT_EQ(db_.QueryInt("SELECT sum(promoters) FROM rollup_changes"), 1);
}

TEST_F(ResponseStoreTest, RollupsEqualARecountAfterConcurrentMixedWrites) {
  ResponseWriter writer(store_, {.writer_threads = 4});
  // Four producers submit overlapping keys (so duplicates and conflicts
  // happen across transactions) over several days, agents and both tenants.
  std::vector<std::thread> producers;
  for (int p = 0; p < 4; ++p) {
    producers.emplace_back([&, p] {
      std::mt19937 rng(p);
      for (int round = 0; round < 40; ++round) {
        auto batch = std::make_shared<std::vector<core::SurveyResponse>>();
        for (int k = 0; k < 25; ++k) {
          const int id = static_cast<int>(rng() % 1500);
          // The score depends only on the key, so repeats are true duplicates.
          batch->push_back(Response(absl::StrCat("k", id), id % 11, absl::StrCat("a", id % 7),
                                    kMonday + absl::Hours(id % 96)));
        }
        std::vector<TenantResponse> items;
        const int64_t tenant = (round % 2 == 0) ? tenant_a_ : tenant_b_;
        for (const auto& r : *batch) items.push_back({tenant, &r});
        absl::Notification done;
        ASSERT_TRUE(writer
                        .Submit(std::move(items),
                                [&done, batch](auto results) {
                                  EXPECT_TRUE(results.ok()) << results.status();
                                  done.Notify();
                                })
                        .ok());
        done.WaitForNotification();
      }
    });
  }
  for (auto& t : producers) t.join();
  EXPECT_GT(db_.QueryInt("SELECT count(*) FROM responses"), 1000);
  EXPECT_EQ(db_.QueryInt(kRollupMismatchSql), 0);
}

// While the writer is stuck (a lock on responses held by another session),
// submissions queue up to max_queued_rows; one more is refused at once, and
// what was queued is stored once the writer can go on.
TEST_F(ResponseStoreTest, WriterRefusesSubmissionsBeyondItsQueueBound) {
  ResponseWriter writer(store_, {.writer_threads = 1, .max_queued_rows = 5});
  pqxx::connection blocker(db_.superuser_url());
  pqxx::work lock(blocker);
  lock.exec0("LOCK TABLE responses IN ACCESS EXCLUSIVE MODE");

  std::vector<core::SurveyResponse> responses;
  for (int i = 0; i < 10; ++i) responses.push_back(Response(absl::StrCat("q", i), 9));
  std::atomic<int> stored{0};
  absl::Notification all_done;
  const auto submit = [&](int first, int count) {
    std::vector<TenantResponse> items;
    for (int i = first; i < first + count; ++i) items.push_back({tenant_a_, &responses[i]});
    return writer.Submit(std::move(items), [&, count](auto results) {
      EXPECT_TRUE(results.ok()) << results.status();
      if ((stored += count) == 6) all_done.Notify();
    });
  };
  ASSERT_TRUE(submit(0, 1).ok());  // taken by the writer thread, which blocks
  // Wait until the writer holds it, so that the queue is empty again.
  while (db_.QueryInt("SELECT count(*) FROM pg_locks WHERE NOT granted") == 0) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(submit(1, 3).ok());  // 3 queued
  EXPECT_TRUE(submit(4, 2).ok());  // 5 queued: the bound
  const absl::Status refused = submit(6, 1);
  EXPECT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  lock.abort();
  all_done.WaitForNotification();
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM responses"), 6);
}

}  // namespace
}  // namespace tnps::storage
