// Erasure, exclusion, amendment, export and retention against a real
// PostgreSQL: every change keeps the rollups equal to a recount.
#include <gtest/gtest.h>

#include <atomic>
#include <pqxx/pqxx>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/attribute_dimensions.h"
#include "storage/connection_pool.h"
#include "storage/response_records.h"
#include "storage/response_store.h"
#include "storage/retention.h"
#include "storage/rollup_compactor.h"
#include "storage/rollup_reader.h"
#include "storage/tenant_store.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

using tnps::testing::kAttributeMismatchSql;
using tnps::testing::kRollupCounts;
using tnps::testing::kRollupMismatchSql;
using tnps::testing::TestDatabase;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 2, 12, 0, 0), absl::UTCTimeZone());

core::SurveyResponse Response(std::string external_id, int score, std::string agent,
                              absl::Time when, std::string customer = "") {
  core::SurveyResponse r;
  r.external_id = std::move(external_id);
  r.interaction_id = "i-" + r.external_id;
  r.agent_id = std::move(agent);
  r.team_id = r.agent_id < "a3" ? "t1" : "t2";
  r.channel = 1 + static_cast<int>(r.external_id.size() % 3);
  r.customer_ref = std::move(customer);
  r.score = score;
  r.comment = "said something about " + r.external_id;
  r.interaction_time = when;
  r.response_time = when + absl::Minutes(10);
  r.attributes = {{"queue", "billing"}};
  return r;
}

class DataRightsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Tenant> a = tenants_.Create("a", "Europe/Zurich");
    absl::StatusOr<Tenant> b = tenants_.Create("b", "UTC");
    ASSERT_TRUE(a.ok() && b.ok());
    tenant_ = a->tenant_id;
    other_ = b->tenant_id;
  }

  std::vector<WriteResult> Write(int64_t tenant, const std::vector<core::SurveyResponse>& rs) {
    std::vector<TenantResponse> items;
    for (const auto& r : rs) items.push_back({tenant, &r});
    absl::StatusOr<std::vector<WriteResult>> written = store_.Write(items);
    EXPECT_TRUE(written.ok()) << written.status();
    return written.ok() ? *written : std::vector<WriteResult>{};
  }

  // Two years of responses by five agents; customer "cust-1" answered 40
  // times, spread over both years and every agent.
  void WriteTwoYears() {
    std::vector<core::SurveyResponse> rs;
    for (int i = 0; i < 600; ++i) {
      const absl::Time when = kNow - absl::Hours(24) * (1 + (i * 7) % 720) - absl::Hours(i % 13);
      const std::string agent = absl::StrCat("a", 1 + i % 5);
      rs.push_back(Response(absl::StrCat("r", i), (i * 7) % 11, agent, when,
                            i % 15 == 0 ? "cust-1" : absl::StrCat("cust-", 100 + i)));
    }
    Write(tenant_, rs);
    // The other tenant has the same customer reference: it must not be
    // touched.
    Write(other_, {Response("r0", 3, "a1", kNow - absl::Hours(48), "cust-1")});
  }

  int64_t Mismatches() const { return db_.QueryInt(kRollupMismatchSql); }
  int64_t AttributeMismatches() const { return db_.QueryInt(kAttributeMismatchSql); }

  // Responses the rollups count for the tenant, by the reader.
  int64_t ReaderTotal(int64_t tenant) {
    absl::StatusOr<std::vector<RollupRow>> rows = ReadRollups(
        pool_,
        {.tenant_id = tenant, .days = {absl::CivilDay(2020, 1, 1), absl::CivilDay(2027, 1, 1)}},
        RollupBy::kNothing, RollupTime::kTotal);
    EXPECT_TRUE(rows.ok()) << rows.status();
    int64_t total = 0;
    if (rows.ok()) {
      for (const auto& row : *rows) total += row.counts.responses();
    }
    return total;
  }

  int64_t Counted(int64_t tenant) const {
    return db_.QueryInt(
        absl::StrCat("SELECT count(*) FROM responses r WHERE tenant_id = ", tenant,
                     " AND NOT excluded AND NOT EXISTS (SELECT 1 FROM excluded_agents e WHERE "
                     "e.tenant_id = r.tenant_id AND e.agent_id = r.agent_id)"));
  }

  TestDatabase db_;
  ConnectionPool pool_{{.database_url = db_.url(), .size = 6}};
  ConnectionPool owner_pool_{{.database_url = db_.owner_url(), .size = 1}};
  TenantStore tenants_{owner_pool_};
  ResponseStore store_{pool_};
  ResponseRecords records_{pool_};
  RollupCompactor compactor_{pool_};
  int64_t tenant_ = 0;
  int64_t other_ = 0;
};

TEST_F(DataRightsTest, ErasingACustomerCorrectsCompactedAndPendingCountsInOneTransaction) {
  WriteTwoYears();
  // Part of the counts compacted into every rollup table, part pending.
  ASSERT_TRUE(compactor_.CompactAll(100).ok());
  Write(tenant_, {Response("late-1", 0, "a2", kNow - absl::Hours(30), "cust-1"),
                  Response("late-2", 10, "a4", kNow - absl::Hours(24) * 400, "cust-1")});
  ASSERT_EQ(ReaderTotal(tenant_), 602);
  ASSERT_EQ(db_.QueryInt("SELECT count(*) FROM responses WHERE customer_ref = 'cust-1'"), 43);

  absl::StatusOr<EraseResult> erased = records_.Erase(
      {.tenant_id = tenant_, .customer_ref = "cust-1", .request_reference = "DSR-77"});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->erased, 42);
  EXPECT_EQ(Mismatches(), 0);
  EXPECT_EQ(ReaderTotal(tenant_), 560);
  EXPECT_EQ(ReaderTotal(other_), 1);
  EXPECT_EQ(db_.QueryInt(absl::StrCat("SELECT count(*) FROM responses WHERE tenant_id = ", tenant_,
                                      " AND customer_ref = 'cust-1'")),
            0);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM response_tombstones WHERE reason = 'erasure'"), 42);
  // The erasure is recorded with its count and reference, not the customer.
  EXPECT_EQ(db_.QueryText("SELECT summary::text FROM audit_events WHERE action = "
                          "'responses.erase'"),
            R"({"erased": "42", "request_reference": "DSR-77", "suppress_resubmission": "false"})");
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM audit_events WHERE summary::text LIKE '%cust-1%'"),
            0);

  // Idempotent.
  erased = records_.Erase({.tenant_id = tenant_, .customer_ref = "cust-1"});
  ASSERT_TRUE(erased.ok());
  EXPECT_EQ(erased->erased, 0);

  // The compactor takes the negative change rows like any other: every
  // table, coarse ones included, ends equal to the recount.
  ASSERT_TRUE(compactor_.CompactAll(7).ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM rollup_changes"), 0);
  EXPECT_EQ(Mismatches(), 0);
  for (const char* table : {"rollup_tenant_days", "rollup_team_days", "rollup_agent_days",
                            "rollup_agent_weeks", "daily_rollups"}) {
    EXPECT_EQ(db_.QueryInt(absl::StrCat("SELECT sum(promoters + passives + detractors) FROM ",
                                        table, " WHERE tenant_id = ", tenant_)),
              560)
        << table;
  }
  EXPECT_EQ(ReaderTotal(tenant_), 560);
}

TEST_F(DataRightsTest, ErasedIdsAreStoredAgainUnlessSuppressed) {
  Write(tenant_, {Response("x1", 9, "a1", kNow - absl::Hours(5)),
                  Response("x2", 2, "a1", kNow - absl::Hours(5))});
  absl::StatusOr<EraseResult> erased =
      records_.Erase({.tenant_id = tenant_, .external_ids = {"x1", "x1", "never"}});
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->erased, 1);
  EXPECT_EQ(erased->not_found, 1);
  erased = records_.Erase(
      {.tenant_id = tenant_, .external_ids = {"x2", "y9"}, .suppress_resubmission = true});
  ASSERT_TRUE(erased.ok());
  EXPECT_EQ(erased->erased, 1);

  const std::vector<WriteResult> again =
      Write(tenant_, {Response("x1", 9, "a1", kNow - absl::Hours(5)),
                      Response("x2", 2, "a1", kNow - absl::Hours(5)),
                      Response("y9", 5, "a1", kNow - absl::Hours(5))});
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].outcome, WriteOutcome::kAccepted);
  EXPECT_EQ(again[1].outcome, WriteOutcome::kSuppressed);
  EXPECT_EQ(again[2].outcome, WriteOutcome::kSuppressed);
  // Suppression is per tenant, and stores digests, not the ids.
  EXPECT_EQ(Write(other_, {Response("x2", 2, "a1", kNow - absl::Hours(5))})[0].outcome,
            WriteOutcome::kAccepted);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM suppressed_external_ids "
                         "WHERE position('x2'::bytea in external_id_digest) > 0"),
            0);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM suppressed_external_ids"), 2);
  EXPECT_EQ(ReaderTotal(tenant_), 1);
  EXPECT_EQ(Mismatches(), 0);
}

TEST_F(DataRightsTest, ConflictsNameTheFieldsThatDiffer) {
  Write(tenant_, {Response("k", 9, "a1", kNow - absl::Hours(5))});
  core::SurveyResponse rebuilt = Response("k", 9, "a1", kNow - absl::Hours(5));
  rebuilt.response_time = *rebuilt.response_time + absl::Seconds(1);
  rebuilt.comment = "another text";
  const std::vector<WriteResult> result = Write(tenant_, {rebuilt});
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].outcome, WriteOutcome::kConflict);
  EXPECT_EQ(result[0].differing_fields, (std::vector<std::string>{"comment", "response_time"}));
}

TEST_F(DataRightsTest, ExcludedAgentsAndResponsesLeaveEveryCountAndComeBack) {
  WriteTwoYears();
  ASSERT_TRUE(compactor_.CompactAll(100).ok());
  Write(tenant_, {Response("pending-a2", 1, "a2", kNow - absl::Hours(3))});
  const int64_t a2 = db_.QueryInt(
      "SELECT count(*) FROM responses WHERE agent_id = 'a2' AND "
      "tenant_id = " +
      absl::StrCat(tenant_));
  ASSERT_EQ(a2, 121);

  absl::StatusOr<bool> changed = records_.SetAgentExclusion(tenant_, "a2", true, "QA bot");
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_TRUE(*changed);
  EXPECT_FALSE(*records_.SetAgentExclusion(tenant_, "a2", true, "again"));
  EXPECT_EQ(Mismatches(), 0);
  EXPECT_EQ(ReaderTotal(tenant_), 601 - a2);
  // Its new responses are stored and not counted; erasing one of them
  // corrects the excluded counts, not the rollups.
  Write(tenant_, {Response("new-a2", 10, "a2", kNow - absl::Hours(2), "cust-9")});
  EXPECT_EQ(ReaderTotal(tenant_), 601 - a2);
  ASSERT_TRUE(records_.Erase({.tenant_id = tenant_, .external_ids = {"r1"}}).ok());
  EXPECT_EQ(Mismatches(), 0);

  // One response of another agent, by itself.
  absl::StatusOr<ResponseExclusionResult> one =
      records_.SetResponseExclusion(tenant_, {"r0", "nope"}, true, "test traffic");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->changed, 1);
  EXPECT_EQ(one->not_found, 1);
  EXPECT_EQ(ReaderTotal(tenant_), 600 - a2);
  EXPECT_EQ(Mismatches(), 0);
  // An excluded response erased: nothing to take from any count.
  ASSERT_TRUE(records_.Erase({.tenant_id = tenant_, .external_ids = {"r0"}}).ok());
  EXPECT_EQ(ReaderTotal(tenant_), 600 - a2);
  EXPECT_EQ(Mismatches(), 0);

  ASSERT_TRUE(compactor_.CompactAll(50).ok());
  EXPECT_EQ(Mismatches(), 0);
  // Back in: its responses (the one erased aside) count again.
  ASSERT_TRUE(*records_.SetAgentExclusion(tenant_, "a2", false, ""));
  EXPECT_EQ(Mismatches(), 0);
  EXPECT_EQ(ReaderTotal(tenant_), Counted(tenant_));
  EXPECT_EQ(ReaderTotal(tenant_), 600);
  EXPECT_EQ(records_.SetAgentExclusion(tenant_, "ghost", true, "x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM audit_events WHERE action IN "
                         "('agent.exclude', 'agent.include', 'responses.exclude')"),
            3);
}

// Ingest decides where an agent's counts go under the tenant's counting
// lock: writers racing exclusions of the same agent never leave a count in
// the wrong place.
TEST_F(DataRightsTest, IngestRacingAgentExclusionsStaysExact) {
  Write(tenant_, {Response("seed", 9, "a1", kNow - absl::Hours(3))});
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        std::vector<core::SurveyResponse> rs;
        for (int j = 0; j < 20; ++j) {
          rs.push_back(Response(absl::StrCat("w", w, "-", i, "-", j), (i + j) % 11, "a1",
                                kNow - absl::Hours(1 + j)));
        }
        Write(tenant_, rs);
      }
    });
  }
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(records_.SetAgentExclusion(tenant_, "a1", round % 2 == 0, "toggle").ok());
  }
  stop = true;
  for (auto& t : writers) t.join();
  EXPECT_GT(db_.QueryInt("SELECT count(*) FROM responses"), 200);
  EXPECT_EQ(Mismatches(), 0);
  EXPECT_EQ(ReaderTotal(tenant_), Counted(tenant_));
}

// A key declared over two years of responses is back-filled in small
// batches while ingest, erasure, exclusions and amendments go on: every
// attribute count ends exact, none counted twice or taken away unadded.
TEST_F(DataRightsTest, AttributeBackFillRacingEveryCountMoveStaysExact) {
  WriteTwoYears();
  AttributeDimensions dimensions(pool_);
  ASSERT_TRUE(dimensions.Declare(tenant_, "queue").ok());
  std::atomic<bool> stop{false};
  std::thread backfill([&] {
    while (true) {
      absl::StatusOr<BackfillBatch> batch = compactor_.BackfillOnce(7);
      ASSERT_TRUE(batch.ok()) << batch.status();
      if (batch->key.empty()) break;
    }
  });
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      Write(tenant_, {Response(absl::StrCat("new-", i), i % 11, absl::StrCat("a", 1 + i % 5),
                               kNow - absl::Hours(2))});
    }
  });
  for (int round = 0; round < 12; ++round) {
    ASSERT_TRUE(records_.SetAgentExclusion(tenant_, "a2", round % 2 == 0, "toggle").ok());
    ASSERT_TRUE(records_
                    .SetResponseExclusion(tenant_, {absl::StrCat("r", 40 * round + 1)},
                                          round % 3 != 0, "QA")
                    .ok());
    ASSERT_TRUE(records_
                    .Erase({.tenant_id = tenant_,
                            .external_ids = {absl::StrCat("r", 40 * round + 3),
                                             absl::StrCat("r", 599 - round)}})
                    .ok());
    ASSERT_TRUE(records_
                    .Amend({.tenant_id = tenant_,
                            .external_id = absl::StrCat("r", 40 * round + 5),
                            .attributes =
                                std::vector<std::pair<std::string, std::string>>{
                                    {"queue", round % 2 ? "tech" : "moving"}}})
                    .ok());
    ASSERT_TRUE(compactor_.CompactOnce(50).ok());
  }
  backfill.join();
  stop = true;
  writer.join();
  absl::StatusOr<std::vector<AttributeDimension>> listed = dimensions.List(tenant_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE(listed->front().ready);
  EXPECT_EQ(AttributeMismatches(), 0);
  ASSERT_TRUE(compactor_.CompactAll(1000).ok());
  EXPECT_EQ(AttributeMismatches(), 0);
  EXPECT_EQ(Mismatches(), 0);
  // The reader answers the recount, tenant-wide and per agent.
  const RollupFilter queue{.tenant_id = tenant_,
                           .days = {absl::CivilDay(2020, 1, 1), absl::CivilDay(2027, 1, 1)},
                           .attribute = AttributeCondition{"queue", {"billing", "tech"}}};
  absl::StatusOr<std::vector<RollupRow>> rows =
      ReadRollups(pool_, queue, RollupBy::kNothing, RollupTime::kTotal);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().counts.responses(),
            db_.QueryInt(absl::StrCat(
                "SELECT count(*) FROM responses r WHERE tenant_id = ", tenant_,
                " AND NOT excluded AND attributes ->> 'queue' IN ('billing', 'tech') AND NOT "
                "EXISTS (SELECT 1 FROM excluded_agents e WHERE e.tenant_id = r.tenant_id AND "
                "e.agent_id = r.agent_id)")));
}

// Amendments of the same responses race each other, exclusion toggles and
// redaction (which empties attributes): every statement moves the counts
// of the row version it replaces, so the attribute counts stay exact.
TEST_F(DataRightsTest, AttributeAmendmentsRacingExclusionsAndRedactionStayExact) {
  ASSERT_TRUE(AttributeDimensions(pool_).Declare(tenant_, "queue").ok());
  WriteTwoYears();
  ASSERT_TRUE(RetentionPolicies(owner_pool_)
                  .Set(tenant_, RetentionPolicy{.redact_after_days = 90, .redact_attributes = true})
                  .ok());
  // Ten responses the policy redacts and ten it keeps.
  std::vector<std::string> targets;
  pqxx::connection conn(db_.url());
  for (const char* age : {"<", ">="}) {
    for (const auto& row : pqxx::nontransaction(conn).exec(absl::StrCat(
             "SELECT external_id FROM responses WHERE tenant_id = ", tenant_,
             " AND interaction_time ", age, " '", absl::FormatTime(kNow - absl::Hours(24 * 90)),
             "' ORDER BY external_id LIMIT 10"))) {
      targets.push_back(row[0].as<std::string>());
    }
  }
  ASSERT_EQ(targets.size(), 20u);
  static const char* kValues[] = {"tech", "moving", "billing"};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 40; ++i) {
        const std::string& id = targets[(i * 7 + t) % targets.size()];
        EXPECT_TRUE(records_
                        .Amend({.tenant_id = tenant_,
                                .external_id = id,
                                .attributes =
                                    std::vector<std::pair<std::string, std::string>>{
                                        {"queue", kValues[(i + t) % 3]}}})
                        .ok());
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 40; ++i) {
      EXPECT_TRUE(
          records_.SetResponseExclusion(tenant_, {targets[i % targets.size()]}, i % 4 < 2, "QA")
              .ok());
    }
  });
  threads.emplace_back([&] {
    RetentionWorker worker(pool_);
    for (int i = 0; i < 15; ++i) {
      EXPECT_TRUE(worker.RunOnce({.batch_rows = 5, .busy_share = 1}, kNow).ok());
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(AttributeMismatches(), 0);
  EXPECT_EQ(Mismatches(), 0);
  ASSERT_TRUE(compactor_.CompactAll(1000).ok());
  EXPECT_EQ(AttributeMismatches(), 0);
}

TEST_F(DataRightsTest, AmendmentsAreVersionedAndIdempotent) {
  Write(tenant_, {Response("k", 4, "a1", kNow - absl::Hours(5))});
  AmendRequest amend{.tenant_id = tenant_,
                     .external_id = "k",
                     .comment = "the agent called me back",
                     .attributes = std::vector<std::pair<std::string, std::string>>{
                         {"language", "de"}, {"queue", "billing"}}};
  absl::StatusOr<AmendResult> result = records_.Amend(amend);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->changed);
  EXPECT_EQ(result->response.version, 2);
  EXPECT_EQ(result->response.response.comment, "the agent called me back");
  EXPECT_EQ(result->response.response.attributes.size(), 2u);
  EXPECT_EQ(*result->response.response.score, 4);
  // A retry: nothing changes, even with the version it was sent with.
  amend.expected_version = 1;
  result = records_.Amend(amend);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->changed);
  EXPECT_EQ(result->response.version, 2);
  // A different amendment against an old version is refused.
  amend.comment = "something else";
  EXPECT_EQ(records_.Amend(amend).status().code(), absl::StatusCode::kAborted);
  amend.expected_version = 2;
  EXPECT_TRUE(records_.Amend(amend).ok());
  EXPECT_EQ(
      records_.Amend({.tenant_id = tenant_, .external_id = "nope", .comment = "x"}).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(
      records_.Amend({.tenant_id = other_, .external_id = "k", .comment = "x"}).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(Mismatches(), 0);
}

// Reads an export to its end: the ids of the responses and removals.
struct Exported {
  std::vector<int64_t> responses, removals;
};

Exported ExportAll(ResponseRecords& records, int64_t tenant, const ExportSince& since,
                   const std::string& until, int page) {
  Exported out;
  ExportPosition position;
  for (int guard = 0; guard < 10000 && position.phase != ExportPhase::kDone; ++guard) {
    absl::StatusOr<ExportPage> p = records.Export(tenant, since, until, position, page);
    EXPECT_TRUE(p.ok()) << p.status();
    if (!p.ok()) break;
    for (const auto& r : p->responses) out.responses.push_back(r.response_id);
    for (const auto& r : p->removals) out.removals.push_back(r.response_id);
    position = p->next;
  }
  return out;
}

TEST_F(DataRightsTest, ExportsReturnEachResponseOnceAndThenExactlyWhatChanged) {
  WriteTwoYears();
  // Responses stored before changes were tracked have no change xid.
  db_.Exec(
      absl::StrCat("UPDATE responses SET changed_xid = NULL WHERE external_id < 'r3' AND "
                   "tenant_id = ",
                   tenant_));
  const std::string first = *records_.CurrentSnapshot();
  const Exported all = ExportAll(records_, tenant_, {}, first, 70);
  EXPECT_EQ(all.responses.size(), 600u);
  EXPECT_EQ(std::set<int64_t>(all.responses.begin(), all.responses.end()).size(), 600u);
  EXPECT_TRUE(all.removals.empty());

  // A mark of the oldest running transaction (the server's retention
  // worker makes one a minute), then a time: what changes after the time
  // is what an export `changed_since` it returns.
  ASSERT_TRUE(RetentionWorker(pool_).RunOnce({}).ok());
  ASSERT_EQ(db_.QueryInt("SELECT count(*) FROM xid_marks"), 1);
  absl::SleepFor(absl::Milliseconds(20));
  const absl::Time since = absl::Now();
  absl::SleepFor(absl::Milliseconds(20));
  // Changes after the export began: an amendment, an exclusion, an
  // erasure, a new response.
  ASSERT_TRUE(records_.Amend({.tenant_id = tenant_, .external_id = "r5", .comment = "more"}).ok());
  ASSERT_TRUE(records_.SetResponseExclusion(tenant_, {"r6"}, true, "test").ok());
  ASSERT_TRUE(records_.Erase({.tenant_id = tenant_, .external_ids = {"r7", "r200"}}).ok());
  Write(tenant_, {Response("fresh", 8, "a1", kNow - absl::Hours(1))});
  Write(other_, {Response("elsewhere", 8, "a1", kNow - absl::Hours(1))});
  const std::string second = *records_.CurrentSnapshot();
  const Exported changes = ExportAll(
      records_, tenant_, {.kind = ExportSince::Kind::kSnapshot, .snapshot = first}, second, 2);
  const auto id_of = [&](const std::string& external_id) {
    return db_.QueryInt(absl::StrCat("SELECT response_id FROM responses WHERE tenant_id = ",
                                     tenant_, " AND external_id = '", external_id, "'"));
  };
  EXPECT_EQ(std::set<int64_t>(changes.responses.begin(), changes.responses.end()),
            (std::set<int64_t>{id_of("r5"), id_of("r6"), id_of("fresh")}));
  EXPECT_EQ(changes.removals.size(), 2u);
  const Exported by_time =
      ExportAll(records_, tenant_, {.kind = ExportSince::Kind::kTime, .time = since}, second, 2);
  EXPECT_EQ(std::set<int64_t>(by_time.responses.begin(), by_time.responses.end()),
            (std::set<int64_t>{id_of("r5"), id_of("r6"), id_of("fresh")}));
  EXPECT_EQ(by_time.removals.size(), 2u);
  // Nothing since the second.
  const Exported none =
      ExportAll(records_, tenant_, {.kind = ExportSince::Kind::kSnapshot, .snapshot = second},
                *records_.CurrentSnapshot(), 100);
  EXPECT_TRUE(none.responses.empty());
  EXPECT_TRUE(none.removals.empty());
}

TEST_F(DataRightsTest, RetentionRedactsAndDeletesInBatchesAndCatchesLateArrivals) {
  // Deleting and redacting attributes take attribute counts away too.
  ASSERT_TRUE(AttributeDimensions(pool_).Declare(tenant_, "queue").ok());
  WriteTwoYears();
  ASSERT_TRUE(compactor_.CompactAll(1000).ok());
  RetentionPolicies policies(owner_pool_);
  ASSERT_TRUE(policies
                  .Set(tenant_, RetentionPolicy{.redact_after_days = 90,
                                                .redact_attributes = true,
                                                .delete_after_days = 540})
                  .ok());
  RetentionWorker worker(pool_);
  const auto older_than = [&](int days, const std::string& condition) {
    return db_.QueryInt(absl::StrCat(
        "SELECT count(*) FROM responses WHERE tenant_id = ", tenant_, " AND interaction_time < '",
        absl::FormatTime(kNow - absl::Hours(24) * days), "'::timestamptz AND ", condition));
  };
  const int64_t due_delete = older_than(540, "true");
  const int64_t due_redact = older_than(90, "true") - due_delete;
  ASSERT_GT(due_delete, 100);
  ASSERT_GT(due_redact, 100);

  absl::StatusOr<RetentionRound> round = worker.RunOnce({.batch_rows = 37, .busy_share = 1}, kNow);
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->tenants, 1);
  EXPECT_EQ(round->deleted, due_delete);
  EXPECT_EQ(round->redacted, due_redact);
  EXPECT_EQ(older_than(540, "true"), 0);
  EXPECT_EQ(older_than(90, "(comment <> '' OR customer_ref <> '' OR attributes <> '{}')"), 0);
  EXPECT_EQ(older_than(90, "redacted_at IS NOT NULL AND score IS NOT NULL"), due_redact);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM responses WHERE interaction_time >= '" +
                         absl::FormatTime(kNow - absl::Hours(24) * 90) +
                         "'::timestamptz AND comment = ''"),
            0);
  EXPECT_EQ(Mismatches(), 0);
  EXPECT_EQ(AttributeMismatches(), 0);
  EXPECT_GT(db_.QueryInt("SELECT count(*) FROM attribute_changes WHERE promoters + passives + "
                         "detractors < 0"),
            0);
  EXPECT_EQ(ReaderTotal(tenant_), 600 - due_delete);
  EXPECT_EQ(ReaderTotal(other_), 1);

  // A late arrival older than the deletion age, and a comment added to a
  // redacted response: the next round handles both.
  Write(tenant_, {Response("late-old", 3, "a1", kNow - absl::Hours(24) * 600, "cust-5")});
  const std::string redacted_one =
      db_.QueryText(absl::StrCat("SELECT external_id FROM responses WHERE tenant_id = ", tenant_,
                                 " AND redacted_at IS NOT NULL LIMIT 1"));
  ASSERT_TRUE(
      records_.Amend({.tenant_id = tenant_, .external_id = redacted_one, .comment = "back"}).ok());
  round = worker.RunOnce({.batch_rows = 37, .busy_share = 1}, kNow);
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->deleted, 1);
  EXPECT_EQ(round->redacted, 1);
  EXPECT_EQ(older_than(90, "comment <> ''"), 0);
  EXPECT_EQ(Mismatches(), 0);
  // A quiet round does nothing.
  round = worker.RunOnce({.batch_rows = 37, .busy_share = 1}, kNow);
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->deleted + round->redacted, 0);
  absl::StatusOr<RetentionProgress> progress = policies.Progress(tenant_);
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress->deleted_total, due_delete + 1);
  EXPECT_EQ(progress->redacted_total, due_redact + 1);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM response_tombstones WHERE reason = 'retention'"),
            due_delete + 1);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM audit_events WHERE action = 'retention.apply'"), 2);
}

// An operator's new policy takes effect at the worker's next batch, not at
// the end of a long backlog under the old one.
TEST_F(DataRightsTest, ANewRetentionPolicyStopsTheRoundOfTheOldOne) {
  WriteTwoYears();
  RetentionPolicies policies(owner_pool_);
  ASSERT_TRUE(policies.Set(tenant_, RetentionPolicy{.delete_after_days = 90}).ok());
  const int64_t due = db_.QueryInt(absl::StrCat(
      "SELECT count(*) FROM responses WHERE tenant_id = ", tenant_, " AND interaction_time < '",
      absl::FormatTime(absl::Now() - absl::Hours(24) * 90), "'::timestamptz"));
  ASSERT_GT(due, 400);
  {
    // Batches of 5 at 1% of the time: a backlog of minutes.
    RetentionWorker worker(pool_);
    worker.Start({.period = absl::Hours(1), .batch_rows = 5, .busy_share = 0.01});
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (absl::Now() < deadline &&
           db_.QueryInt("SELECT count(*) FROM response_tombstones") == 0) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_TRUE(policies.Set(tenant_, RetentionPolicy{.redact_after_days = 30}).ok());
    // The worker's next batch sees the change and ends its round; the
    // destructor stops the thread.
    absl::SleepFor(absl::Seconds(1));
  }
  const int64_t deleted = db_.QueryInt("SELECT count(*) FROM response_tombstones");
  EXPECT_GT(deleted, 0);
  EXPECT_LT(deleted, due);
  EXPECT_EQ(Mismatches(), 0);
  absl::StatusOr<RetentionRound> round = RetentionWorker(pool_).RunOnce({});
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->deleted, 0);
  EXPECT_GT(round->redacted, 0);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM response_tombstones"), deleted);
}

}  // namespace
}  // namespace tnps::storage
