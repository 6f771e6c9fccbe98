// The coarse rollups and their reader against a recount of the responses:
// with nothing compacted, part compacted, late responses into compacted days
// and weeks, and the compactor running while writers write.
#include "storage/rollup_reader.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/nps_category.h"
#include "storage/connection_pool.h"
#include "storage/migration_runner.h"
#include "storage/response_store.h"
#include "storage/rollup_compactor.h"
#include "storage/tenant_store.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

using tnps::testing::TestDatabase;

// Coarse cells that differ from a regrouping of daily_rollups; 0 whenever
// the compactor is between rounds (every table holds the same change rows).
constexpr char kCoarseMismatchSql[] = R"sql(
SELECT
 (SELECT count(*) FROM (
   (SELECT tenant_id, local_day, agent_id, team_id, sum(promoters), sum(passives), sum(detractors)
    FROM daily_rollups GROUP BY 1, 2, 3, 4
    EXCEPT SELECT tenant_id, local_day, agent_id, team_id, promoters, passives, detractors
    FROM rollup_agent_days)
   UNION ALL
   (SELECT tenant_id, local_day, agent_id, team_id, promoters, passives, detractors
    FROM rollup_agent_days
    EXCEPT SELECT tenant_id, local_day, agent_id, team_id, sum(promoters), sum(passives),
                  sum(detractors) FROM daily_rollups GROUP BY 1, 2, 3, 4)) a) +
 (SELECT count(*) FROM (
   SELECT tenant_id, date_trunc('week', local_day::timestamp)::date, agent_id, team_id,
          sum(promoters), sum(passives), sum(detractors) FROM daily_rollups GROUP BY 1, 2, 3, 4
   EXCEPT SELECT tenant_id, week_start, agent_id, team_id, promoters, passives, detractors
   FROM rollup_agent_weeks) b) +
 (SELECT count(*) FROM (
   SELECT tenant_id, local_day, team_id, channel, sum(promoters), sum(passives), sum(detractors)
   FROM daily_rollups GROUP BY 1, 2, 3, 4
   EXCEPT SELECT tenant_id, local_day, team_id, channel, promoters, passives, detractors
   FROM rollup_team_days) c) +
 (SELECT count(*) FROM (
   SELECT tenant_id, local_day, channel, sum(promoters), sum(passives), sum(detractors)
   FROM daily_rollups GROUP BY 1, 2, 3
   EXCEPT SELECT tenant_id, local_day, channel, promoters, passives, detractors
   FROM rollup_tenant_days) d) +
 (SELECT count(*) FROM rollup_agent_weeks) -
 (SELECT count(*) FROM (SELECT DISTINCT tenant_id, date_trunc('week', local_day::timestamp),
                        agent_id, team_id FROM daily_rollups) e))sql";

struct Stored {
  absl::CivilDay day;
  std::string agent, team;
  int channel;
  int score;
};

class RollupReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Tenant> a = tenants_.Create("a", "Europe/Zurich");
    absl::StatusOr<Tenant> b = tenants_.Create("b", "UTC");
    ASSERT_TRUE(a.ok() && b.ok());
    tenant_ = a->tenant_id;
    other_ = b->tenant_id;
  }

  // `n` random responses on the days [first, first + days), for `tenant`.
  void WriteRandom(int64_t tenant, int n, absl::CivilDay first, int days, std::mt19937& rng) {
    std::vector<core::SurveyResponse> rs(n);
    std::vector<TenantResponse> items;
    for (core::SurveyResponse& r : rs) {
      const int agent = static_cast<int>(rng() % 12);
      r.external_id = absl::StrCat("e", next_id_++);
      r.interaction_id = r.external_id;
      r.agent_id = absl::StrCat("agent-", agent);
      // Agent 11 moves between teams; the rest stay in one.
      r.team_id = absl::StrCat("team-", agent == 11 ? rng() % 3 : agent % 3);
      r.channel = 1 + static_cast<int>(rng() % 3);
      r.score = static_cast<int>(rng() % 11);
      // Noon in Zurich, so the local day is `first + offset`.
      r.interaction_time =
          absl::FromCivil(absl::CivilSecond(first + static_cast<int>(rng() % days)) + 11 * 3600,
                          absl::UTCTimeZone());
      r.response_time = *r.interaction_time + absl::Minutes(5);
      items.push_back({tenant, &r});
    }
    ASSERT_TRUE(responses_.Write(items).ok());
    if (tenant != tenant_) return;
    for (const core::SurveyResponse& r : rs) {
      stored_.push_back({absl::ToCivilDay(*r.interaction_time, absl::UTCTimeZone()), r.agent_id,
                         r.team_id, r.channel, *r.score});
    }
  }

  // The brute-force answer for `filter`, keyed as ReadRollups keys its rows.
  std::map<std::tuple<std::string, std::string, absl::CivilDay>, core::NpsCounts> Expected(
      const RollupFilter& f, RollupBy by, RollupTime time) const {
    const auto in = [](const auto& list, const auto& v) {
      return list.empty() || std::find(list.begin(), list.end(), v) != list.end();
    };
    std::map<std::tuple<std::string, std::string, absl::CivilDay>, core::NpsCounts> out;
    for (const Stored& s : stored_) {
      if (s.day < f.days.first || s.day > f.days.last || !in(f.agent_ids, s.agent) ||
          !in(f.team_ids, s.team) || !in(f.channels, s.channel)) {
        continue;
      }
      std::string key, team;
      if (by == RollupBy::kAgentAndTeam || by == RollupBy::kAgent) key = s.agent;
      if (by == RollupBy::kAgentAndTeam) team = s.team;
      if (by == RollupBy::kTeam) key = s.team;
      if (by == RollupBy::kChannel) key = absl::StrCat(s.channel);
      absl::CivilDay bucket = f.days.first;
      if (time == RollupTime::kDay) bucket = s.day;
      if (time == RollupTime::kWeek) bucket = core::BucketStart(s.day, core::BucketSize::kWeek);
      if (time == RollupTime::kMonth) bucket = core::BucketStart(s.day, core::BucketSize::kMonth);
      core::NpsCounts& c = out[{key, team, bucket}];
      switch (core::CategoryOf(s.score)) {
        case core::NpsCategory::kPromoter:
          ++c.promoters;
          break;
        case core::NpsCategory::kPassive:
          ++c.passives;
          break;
        case core::NpsCategory::kDetractor:
          ++c.detractors;
          break;
      }
    }
    return out;
  }

  // Every grouping and bucket for a few filters equals the recount.
  void ExpectReadsEqualRecount(const std::string& when) {
    const core::DayRange all{absl::CivilDay(2026, 2, 23), absl::CivilDay(2026, 4, 12)};
    const std::vector<RollupFilter> filters = {
        {.tenant_id = tenant_, .days = all},
        {.tenant_id = tenant_, .days = {absl::CivilDay(2026, 3, 4), absl::CivilDay(2026, 3, 29)}},
        {.tenant_id = tenant_, .days = all, .agent_ids = {"agent-1", "agent-11"}},
        {.tenant_id = tenant_, .days = all, .team_ids = {"team-2"}},
        {.tenant_id = tenant_, .days = all, .channels = {2, 3}},
        {.tenant_id = tenant_, .days = all, .agent_ids = {"agent-11"}, .channels = {1}},
    };
    for (size_t i = 0; i < filters.size(); ++i) {
      for (RollupBy by : {RollupBy::kNothing, RollupBy::kAgentAndTeam, RollupBy::kAgent,
                          RollupBy::kTeam, RollupBy::kChannel}) {
        for (RollupTime time :
             {RollupTime::kTotal, RollupTime::kDay, RollupTime::kWeek, RollupTime::kMonth}) {
          SCOPED_TRACE(absl::StrCat(when, ": filter ", i, ", by ", static_cast<int>(by), ", time ",
                                    static_cast<int>(time)));
          absl::StatusOr<std::vector<RollupRow>> rows = ReadRollups(pool_, filters[i], by, time);
          ASSERT_TRUE(rows.ok()) << rows.status();
          std::map<std::tuple<std::string, std::string, absl::CivilDay>, core::NpsCounts> got;
          for (const RollupRow& r : *rows) got[{r.key, r.team_id, r.bucket}] = r.counts;
          EXPECT_EQ(got, Expected(filters[i], by, time));
        }
      }
    }
  }

  TestDatabase db_;
  ConnectionPool pool_{{.database_url = db_.url(), .size = 6}};
  // Tenants are made by the operator's role.
  ConnectionPool owner_pool_{{.database_url = db_.owner_url(), .size = 1}};
  TenantStore tenants_{owner_pool_};
  ResponseStore responses_{pool_};
  RollupCompactor compactor_{pool_};
  int64_t tenant_ = 0;
  int64_t other_ = 0;
  int next_id_ = 0;
  std::vector<Stored> stored_;
};

TEST_F(RollupReaderTest, ReadsEqualARecountWhetherCompactedOrPending) {
  std::mt19937 rng(11);
  WriteRandom(tenant_, 1500, absl::CivilDay(2026, 2, 23), 49, rng);
  WriteRandom(other_, 300, absl::CivilDay(2026, 2, 23), 49, rng);
  ExpectReadsEqualRecount("nothing compacted");

  // Part compacted: a round takes exactly the oldest change rows it may,
  // which leaves some cells with part of their counts added; readers add
  // the rest from the change rows, so reads stay exact.
  const int64_t changes = db_.QueryInt("SELECT count(*) FROM rollup_changes");
  ASSERT_GT(changes, 3);
  const int64_t first_left = db_.QueryInt(absl::StrCat(
      "SELECT change_id FROM rollup_changes ORDER BY change_id OFFSET ", changes / 3, " LIMIT 1"));
  absl::StatusOr<int64_t> taken = compactor_.CompactOnce(changes / 3);
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(*taken, changes / 3);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM rollup_changes"), changes - changes / 3);
  EXPECT_EQ(db_.QueryInt("SELECT min(change_id) FROM rollup_changes"), first_left);
  ExpectReadsEqualRecount("part compacted");

  ASSERT_TRUE(compactor_.CompactAll(7).ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM rollup_changes"), 0);
  EXPECT_EQ(db_.QueryInt(kCoarseMismatchSql), 0);
  ExpectReadsEqualRecount("all compacted");

  // Late responses into compacted days and weeks are pending, then compacted.
  WriteRandom(tenant_, 40, absl::CivilDay(2026, 3, 10), 3, rng);
  EXPECT_GT(db_.QueryInt("SELECT count(*) FROM rollup_changes"), 0);
  ExpectReadsEqualRecount("late responses pending");
  ASSERT_TRUE(compactor_.CompactAll(1000).ok());
  EXPECT_EQ(db_.QueryInt(kCoarseMismatchSql), 0);
  ExpectReadsEqualRecount("late responses compacted");
}

TEST_F(RollupReaderTest, MigrationsDownAndUpKeepEveryRollupExact) {
  std::mt19937 rng(5);
  WriteRandom(tenant_, 400, absl::CivilDay(2026, 2, 23), 20, rng);
  ASSERT_TRUE(compactor_.CompactOnce(100).ok());
  ASSERT_GT(db_.QueryInt("SELECT count(*) FROM rollup_changes"), 0);
  MigrationRunner migrations(db_.owner_url());
  // Back to daily_rollups kept at ingest (0008 down): the pending change
  // rows are added to every table, daily_rollups included.
  ASSERT_TRUE(migrations.DownTo(7).ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM rollup_changes"), 0);
  // No exclusions before 0013: daily_rollups against a plain recount.
  EXPECT_EQ(db_.QueryInt(R"sql(
WITH recount AS (
  SELECT r.tenant_id, r.local_day, r.agent_id, r.team_id, r.channel,
         count(*) FILTER (WHERE r.score >= 9), count(*) FILTER (WHERE r.score BETWEEN 7 AND 8),
         count(*) FILTER (WHERE r.score <= 6)
  FROM responses r GROUP BY 1, 2, 3, 4, 5
), kept AS (
  SELECT tenant_id, local_day, agent_id, team_id, channel, promoters, passives, detractors
  FROM daily_rollups
)
SELECT (SELECT count(*) FROM (SELECT * FROM recount EXCEPT SELECT * FROM kept) a) +
       (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM recount) b))sql"),
            0);
  EXPECT_EQ(db_.QueryInt(kCoarseMismatchSql), 0);
  // Back to day-only change rows, then forward: 0007 empties the coarse
  // tables and queues every daily_rollups cell, which 0008 adds to the
  // coarse tables alone, since daily_rollups holds them already.
  ASSERT_TRUE(migrations.DownTo(6).ok());
  ASSERT_TRUE(migrations.Up().ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM rollup_changes"), 0);
  EXPECT_EQ(db_.QueryInt(tnps::testing::kRollupMismatchSql), 0);
  EXPECT_EQ(db_.QueryInt(kCoarseMismatchSql), 0);
  EXPECT_EQ(db_.QueryInt("SELECT sum(promoters + passives + detractors) FROM rollup_agent_weeks"),
            400);
  ExpectReadsEqualRecount("migrated");
}

TEST_F(RollupReaderTest, CompactingWhileWritersWriteEndsExact) {
  compactor_.Start(
      {.idle_period = absl::Milliseconds(1), .max_changes_per_round = 3, .busy_share = 1});
  std::vector<std::thread> writers;
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([this, w] {
      std::mt19937 rng(100 + w);
      std::vector<core::SurveyResponse> rs(20);
      for (int batch = 0; batch < 30; ++batch) {
        std::vector<TenantResponse> items;
        for (int i = 0; i < 20; ++i) {
          core::SurveyResponse& r = rs[i];
          r.external_id = absl::StrCat("w", w, "-", batch, "-", i);
          r.interaction_id = r.external_id;
          r.agent_id = absl::StrCat("agent-", rng() % 5);
          r.team_id = "team";
          r.channel = 1;
          r.score = static_cast<int>(rng() % 11);
          r.interaction_time = absl::FromCivil(
              absl::CivilSecond(absl::CivilDay(2026, 3, 1) + static_cast<int>(rng() % 20)) +
                  11 * 3600,
              absl::UTCTimeZone());
          r.response_time = *r.interaction_time;
          items.push_back({tenant_, &r});
        }
        ASSERT_TRUE(responses_.Write(items).ok());
      }
    });
  }
  for (std::thread& t : writers) t.join();
  // The background rounds and a final catch-up leave every cell exact.
  ASSERT_TRUE(compactor_.CompactAll(1000).ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM responses"), 1800);
  EXPECT_EQ(db_.QueryInt(kCoarseMismatchSql), 0);
  EXPECT_EQ(db_.QueryInt("SELECT sum(promoters + passives + detractors) FROM rollup_agent_weeks"),
            1800);
}

}  // namespace
}  // namespace tnps::storage
