// Every query of the BI assets in deploy/bi/ (the Grafana dashboard's
// panels and variables, the Metabase questions) run as a BI login against
// the reporting views, with Grafana's macros and Metabase's variables
// filled in as those tools would; and the figures they show equal a
// recount over the responses table, at the edges of the range too.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "storage/attribute_dimensions.h"
#include "storage/connection_pool.h"
#include "storage/migration_runner.h"
#include "storage/reporting_role_store.h"
#include "storage/response_records.h"
#include "storage/response_store.h"
#include "storage/rollup_compactor.h"
#include "storage/tenant_store.h"
#include "storage/training_store.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using tnps::testing::TestDatabase;

// The dashboard's time range and the Metabase questions' dates.
constexpr char kFrom[] = "2026-02-01";
constexpr char kTo[] = "2026-03-31";

Struct ReadJson(const std::string& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << path;
  std::stringstream text;
  text << file.rdbuf();
  Struct out;
  const auto status = google::protobuf::util::JsonStringToMessage(text.str(), &out);
  EXPECT_TRUE(status.ok()) << path << ": " << status.ToString();
  return out;
}

const Value& Field(const Struct& s, const std::string& name) {
  static const Value kNull;
  const auto it = s.fields().find(name);
  return it == s.fields().end() ? kNull : it->second;
}

// As Grafana's PostgreSQL data source expands them for the range, two teams
// picked in $team and "queue" in $attribute.
std::string FillGrafana(const std::string& sql) {
  return absl::StrReplaceAll(sql, {{"$__timeFrom()", absl::StrCat("'", kFrom, "T00:00:00Z'")},
                                   {"$__timeTo()", absl::StrCat("'", kTo, "T23:59:59Z'")},
                                   {"$team", "'team-1','team-2'"},
                                   {"$attribute", "queue"}});
}

// As Metabase fills date variables.
std::string FillMetabase(const std::string& sql) {
  return absl::StrReplaceAll(sql, {{"{{start}}", absl::StrCat("'", kFrom, "'::date")},
                                   {"{{end}}", absl::StrCat("'", kTo, "'::date")}});
}

class BiQueriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Tenant> tenant = tenants_.Create("bi", "Europe/Zurich");
    ASSERT_TRUE(tenant.ok());
    tenant_id_ = tenant->tenant_id;
    // Declared before any response: ready at once.
    ASSERT_TRUE(AttributeDimensions(pool_).Declare(tenant_id_, "queue").ok());
    // 8 agents in 4 teams, 120 days from 2026-01-01, 6 to 9 responses a
    // day; half compacted, half pending, so that the views add both.
    static const char* kQueues[] = {"billing", "tech", "moving"};
    std::vector<core::SurveyResponse> rows;
    for (int day = 0; day < 120; ++day) {
      for (int i = 0; i < 6 + day % 4; ++i) {
        core::SurveyResponse r;
        const int n = day * 10 + i;
        r.external_id = absl::StrCat("r", n);
        r.interaction_id = r.external_id;
        r.agent_id = absl::StrCat("agent-", n % 8);
        r.team_id = absl::StrCat("team-", n % 8 / 2);
        r.channel = 1 + n % 3;
        r.score = (n * 7 + day) % 11;
        r.interaction_time = absl::FromCivil(
            absl::CivilSecond(2026, 1, 1, 12, 0, 0) + 86400 * day + 60 * i, absl::UTCTimeZone());
        r.response_time = *r.interaction_time + absl::Minutes(5);
        r.attributes = {{"queue", kQueues[n % 3]}};
        rows.push_back(std::move(r));
      }
    }
    for (size_t from = 0; from < rows.size(); from += 300) {
      std::vector<TenantResponse> items;
      for (size_t k = from; k < std::min(rows.size(), from + 300); ++k) {
        items.push_back({tenant_id_, &rows[k]});
      }
      ASSERT_TRUE(responses_.Write(items).ok());
      if (from < rows.size() / 2) ASSERT_TRUE(compactor_.CompactAll(5000).ok());
    }
    // A programme with a trained agent excluded from analysis.
    Program program;
    program.name = "Empathy";
    program.hours_per_participant = 6;
    program.currency_code = "EUR";
    absl::StatusOr<Program> created = training_.CreateProgram(tenant_id_, program);
    ASSERT_TRUE(created.ok());
    Cohort cohort;
    cohort.program_id = created->program_id;
    cohort.name = "Wave 1";
    cohort.planned_start = absl::CivilDay(2026, 2, 2);
    cohort.planned_end = absl::CivilDay(2026, 2, 6);
    absl::StatusOr<Cohort> wave = training_.CreateCohort(tenant_id_, cohort);
    ASSERT_TRUE(wave.ok());
    const absl::Time enrolled =
        absl::FromCivil(absl::CivilSecond(2026, 2, 2, 9, 0, 0), absl::UTCTimeZone());
    ASSERT_TRUE(
        training_.Enroll(tenant_id_, wave->cohort_id, {"agent-1", "agent-3"}, enrolled).ok());
    ASSERT_TRUE(training_
                    .RecordCompletions(tenant_id_, wave->cohort_id,
                                       {{"agent-1", enrolled + absl::Hours(50)},
                                        {"agent-3", enrolled + absl::Hours(52)}})
                    .ok());
    ASSERT_TRUE(ResponseRecords(pool_).SetAgentExclusion(tenant_id_, "agent-3", true, "QA").ok());

    role_name_ = absl::StrCat("tnps_bi_", db_.name());
    ASSERT_TRUE(roles_.Create("bi", role_name_).ok());
    bi_ = std::make_unique<pqxx::connection>(db_.UrlAs(role_name_));
  }

  void TearDown() override {
    bi_.reset();
    db_.DropLogin(role_name_);
  }

  pqxx::result RunAsBi(const std::string& name, const std::string& sql) {
    pqxx::nontransaction txn(*bi_);
    try {
      return txn.exec(sql);
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": " << e.what() << "\n" << sql;
      return {};
    }
  }

  // The recount: NPS rounded to `digits` decimals over counted responses
  // (not excluded, nor their agent) whose local day is in [first, last],
  // and `extra` (SQL over r).
  std::string Recount(const std::string& first, const std::string& last,
                      const std::string& extra = "TRUE", int digits = 1) {
    return db_.QueryText(absl::StrCat(
        "SELECT round(100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score "
        "<= 6)) / count(*), ",
        digits, ")::text FROM responses r WHERE tenant_id = ", tenant_id_,
        " AND NOT excluded AND NOT EXISTS (SELECT 1 FROM excluded_agents e WHERE ",
        "e.tenant_id = r.tenant_id AND e.agent_id = r.agent_id) AND local_day BETWEEN '", first,
        "' AND '", last, "' AND ", extra));
  }

  TestDatabase db_;
  ConnectionPool pool_{{.database_url = db_.url(), .size = 2}};
  ConnectionPool owner_pool_{{.database_url = db_.owner_url(), .size = 1}};
  TenantStore tenants_{owner_pool_};
  ResponseStore responses_{pool_};
  TrainingStore training_{pool_};
  ReportingRoleStore roles_{owner_pool_};
  RollupCompactor compactor_{pool_};
  int64_t tenant_id_ = 0;
  std::string role_name_;
  std::unique_ptr<pqxx::connection> bi_;
};

TEST_F(BiQueriesTest, GrafanaDashboardQueriesShowTheRecountedFigures) {
  const Struct dashboard = ReadJson(TNPS_SOURCE_DIR "/deploy/bi/grafana-dashboard.json");
  int queries = 0;
  for (const Value& variable :
       Field(Field(dashboard, "templating").struct_value(), "list").list_value().values()) {
    const std::string sql = Field(variable.struct_value(), "query").string_value();
    const pqxx::result rows = RunAsBi("variable", FillGrafana(sql));
    EXPECT_GT(rows.size(), 0u) << sql;
    ++queries;
  }
  std::map<std::string, pqxx::result> by_title;
  for (const Value& panel : Field(dashboard, "panels").list_value().values()) {
    const std::string title = Field(panel.struct_value(), "title").string_value();
    for (const Value& target : Field(panel.struct_value(), "targets").list_value().values()) {
      const std::string sql = Field(target.struct_value(), "rawSql").string_value();
      ASSERT_FALSE(sql.empty()) << title;
      by_title[title] = RunAsBi(title, FillGrafana(sql));
      EXPECT_GT(by_title[title].size(), 0u) << title;
      ++queries;
    }
  }
  EXPECT_EQ(queries, 7);

  // The rolling NPS: one row per day of the range, no lead-in row, and
  // each day's figure over the 28 days ending on it, the first day's too.
  const pqxx::result& rolling = by_title.at("NPS, 28 days rolling");
  ASSERT_EQ(rolling.size(), 59u);
  EXPECT_EQ(rolling[0][0].as<std::string>().substr(0, 10), kFrom);
  EXPECT_EQ(rolling[rolling.size() - 1][0].as<std::string>().substr(0, 10), kTo);
  EXPECT_EQ(rolling[0][1].as<std::string>(), Recount("2026-01-05", kFrom));
  EXPECT_EQ(rolling[30][1].as<std::string>(), Recount("2026-02-04", "2026-03-03"));

  // Weekly per team: whole weeks, the first one starting on the Monday
  // before the range.
  const pqxx::result& weekly = by_title.at("NPS per team, weekly (Monday to Sunday)");
  EXPECT_EQ(weekly[0][0].as<std::string>().substr(0, 10), "2026-01-26");
  EXPECT_EQ(weekly[0][1].as<std::string>(), "team-1");
  EXPECT_EQ(weekly[0][2].as<std::string>(),
            Recount("2026-01-26", "2026-02-01", "team_id = 'team-1'"));
  for (const auto& row : weekly) {
    const std::string team = row[1].as<std::string>();
    EXPECT_TRUE(team == "team-1" || team == "team-2") << team;
  }

  const pqxx::result& monthly = by_title.at("NPS per month");
  ASSERT_EQ(monthly.size(), 2u);
  EXPECT_EQ(monthly[1][1].as<std::string>(), Recount("2026-03-01", "2026-03-31"));

  const pqxx::result& touchpoints = by_title.at("NPS by touchpoint ($attribute)");
  ASSERT_EQ(touchpoints.size(), 3u);
  for (const auto& row : touchpoints) {
    EXPECT_EQ(row[2].as<std::string>(),
              Recount(kFrom, kTo,
                      absl::StrCat("attributes ->> 'queue' = '", row[0].as<std::string>(), "'")));
  }
  EXPECT_EQ(by_title.at("Training cohorts")[0][3].as<int>(), 2);
}

TEST_F(BiQueriesTest, MetabaseQuestionsShowTheRecountedFigures) {
  std::map<std::string, pqxx::result> by_file;
  for (const auto& entry :
       std::filesystem::directory_iterator(TNPS_SOURCE_DIR "/deploy/bi/metabase")) {
    const Struct card = ReadJson(entry.path().string());
    EXPECT_FALSE(Field(card, "name").string_value().empty()) << entry.path();
    const Struct& query = Field(card, "dataset_query").struct_value();
    EXPECT_EQ(Field(query, "type").string_value(), "native");
    const std::string sql = Field(Field(query, "native").struct_value(), "query").string_value();
    by_file[entry.path().filename().string()] = RunAsBi(entry.path().string(), FillMetabase(sql));
  }
  ASSERT_EQ(by_file.size(), 4u);
  for (const auto& [file, rows] : by_file) EXPECT_GT(rows.size(), 0u) << file;

  // agent-3 is excluded: in no figure, but listed as an excluded trainee.
  const pqxx::result& leaderboard = by_file.at("agent-leaderboard.json");
  EXPECT_EQ(leaderboard.size(), 7u);
  for (const auto& row : leaderboard) {
    EXPECT_EQ(row[2].as<std::string>(),
              Recount(kFrom, kTo, absl::StrCat("agent_id = '", row[0].as<std::string>(), "'")));
  }
  const pqxx::result& excluded = by_file.at("excluded-trained-agents.json");
  ASSERT_EQ(excluded.size(), 1u);
  EXPECT_EQ(excluded[0][0].as<std::string>(), "agent-3");

  const pqxx::result& months = by_file.at("team-months.json");
  EXPECT_EQ(months.size(), 8u);  // 4 teams, February and March
  EXPECT_EQ(months[0][3].as<std::string>(),
            Recount("2026-02-01", "2026-02-28", "team_id = 'team-0'", 2));

  const pqxx::result& touchpoints = by_file.at("touchpoint-pain-points.json");
  ASSERT_EQ(touchpoints.size(), 3u);
  EXPECT_EQ(touchpoints[0][3].as<std::string>(),
            Recount(kFrom, kTo,
                    absl::StrCat("attributes ->> 'queue' = '", touchpoints[0][1].as<std::string>(),
                                 "'")));
}

// Migration 0021 starts the weekly and monthly team rollups from the
// compacted days; from then on the compactor keeps them with the rest.
TEST(BiViewsMigrationTest, StartsTheWeeklyAndMonthlyRollupsFromTheCompactedDays) {
  TestDatabase db;
  ASSERT_TRUE(MigrationRunner(db.owner_url()).DownTo(20).ok());
  ConnectionPool pool({.database_url = db.url(), .size = 1});
  ConnectionPool owner({.database_url = db.owner_url(), .size = 1});
  ResponseStore responses(pool);
  absl::StatusOr<Tenant> tenant = TenantStore(owner).Create("m", "UTC");
  ASSERT_TRUE(tenant.ok());
  std::vector<core::SurveyResponse> rows(200);
  std::vector<TenantResponse> items;
  for (int i = 0; i < 200; ++i) {
    core::SurveyResponse& r = rows[i];
    r.external_id = absl::StrCat("m", i);
    r.interaction_id = r.external_id;
    r.agent_id = absl::StrCat("agent-", i % 4);
    r.team_id = absl::StrCat("team-", i % 2);
    r.channel = 1 + i % 3;
    r.score = i % 11;
    r.interaction_time =
        absl::FromCivil(absl::CivilSecond(2026, 1, 1, 9, 0, 0), absl::UTCTimeZone()) +
        absl::Hours(13 * i);
    r.response_time = *r.interaction_time + absl::Minutes(5);
    items.push_back({tenant->tenant_id, &r});
  }
  // Half compacted before the migration (into rollup_team_days, the table
  // 0021 starts from, as the previous version's compactor did), half after.
  ASSERT_TRUE(
      responses.Write(std::vector<TenantResponse>(items.begin(), items.begin() + 100)).ok());
  db.Exec(R"sql(
WITH taken AS (DELETE FROM rollup_changes RETURNING *)
INSERT INTO rollup_team_days AS r (tenant_id, local_day, team_id, channel,
                                   promoters, passives, detractors)
SELECT tenant_id, local_day, team_id, channel, sum(promoters), sum(passives), sum(detractors)
FROM taken GROUP BY 1, 2, 3, 4
ON CONFLICT (tenant_id, local_day, team_id, channel) DO UPDATE
SET promoters = r.promoters + excluded.promoters, passives = r.passives + excluded.passives,
    detractors = r.detractors + excluded.detractors)sql");
  ASSERT_TRUE(responses.Write(std::vector<TenantResponse>(items.begin() + 100, items.end())).ok());
  ASSERT_TRUE(MigrationRunner(db.owner_url()).Up().ok());
  ConnectionPool after({.database_url = db.url(), .size = 1});
  ASSERT_TRUE(RollupCompactor(after).CompactAll(1000).ok());
  EXPECT_EQ(db.QueryInt("SELECT count(*) FROM rollup_changes"), 0);
  for (const char* table : {"rollup_team_weeks", "rollup_team_months"}) {
    const std::string unit = std::string(table) == "rollup_team_weeks" ? "week" : "month";
    const std::string start = unit == "week" ? "week_start" : "month_start";
    EXPECT_EQ(db.QueryInt(absl::StrCat(
                  "SELECT count(*) FROM (SELECT tenant_id, ", start,
                  ", team_id, channel, promoters, passives, detractors FROM ", table,
                  " EXCEPT SELECT tenant_id, date_trunc('", unit,
                  "', local_day::timestamp)::date, team_id, channel, count(*) FILTER (WHERE score "
                  ">= 9), count(*) FILTER (WHERE score BETWEEN 7 AND 8), count(*) FILTER (WHERE "
                  "score <= 6) FROM responses GROUP BY 1, 2, 3, 4) x")),
              0)
        << table;
    EXPECT_GT(db.QueryInt(absl::StrCat("SELECT count(*) FROM ", table)), 0);
  }
  EXPECT_EQ(db.QueryInt("SELECT sum(promoters + passives + detractors) FROM rollup_team_weeks"),
            200);
}

}  // namespace
}  // namespace tnps::storage
