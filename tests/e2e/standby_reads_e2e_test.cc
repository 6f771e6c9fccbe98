// Reads from a standby (--read_database_url) end to end: a real streaming
// hot standby of the test cluster (deploy/pg-cluster.sh standby), whose
// replay the tests pause to make it lag. A consistency token from ingest
// reads the write back however far behind the standby is; without one the
// standby answers from a consistent point, never partial rollups; every
// estimate answers from the standby what it answers from the primary; and
// the server refuses a standby for writes.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/consistency_token.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/e2e/http_get.h"
#include "tests/e2e/ingest_fixture.h"
#include "tnps/v1/analytics_service.grpc.pb.h"
#include "tnps/v1/training_service.grpc.pb.h"

namespace tnps::testing {
namespace {

using tnps::v1::SurveyResponse;

// The standby of the shared test cluster, made once for the suite.
struct Standby {
  std::string dir;
  int port = 0;
};
Standby* standby = nullptr;

// `url` (a libpq keyword string) pointed at the standby: a repeated keyword
// takes the last value.
std::string AtStandby(const std::string& url) { return absl::StrCat(url, " port=", standby->port); }

// Runs one query on the standby as the superuser; returns its first value.
std::string OnStandby(const TestDatabase& db, const std::string& sql) {
  pqxx::connection conn(AtStandby(db.superuser_url()));
  pqxx::nontransaction txn(conn);
  const pqxx::result result = txn.exec(sql);
  return result.empty() || result[0][0].is_null() ? "" : result[0][0].c_str();
}

int64_t OnStandbyInt(const TestDatabase& db, const std::string& sql) {
  int64_t value = 0;
  EXPECT_TRUE(absl::SimpleAtoi(OnStandby(db, sql), &value)) << sql;
  return value;
}

// The end of the standby's server log, for a failure message.
std::string StandbyLogTail() {
  std::ifstream in(standby->dir + "/run/postgresql.log");
  const std::string log((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
}

// Waits (up to 90 s: it replays every test's writes on a busy machine)
// until the standby has replayed everything the primary has written so
// far. It asks through database postgres: the test's own may not be there
// yet.
void AwaitStandbyCaughtUp(const TestDatabase& db) {
  const std::string target = db.QueryText("SELECT pg_current_wal_lsn()::text");
  pqxx::connection conn(absl::StrCat(ClusterUrl(), " dbname=postgres port=", standby->port));
  for (absl::Time until = absl::Now() + absl::Seconds(90); absl::Now() < until;) {
    pqxx::nontransaction txn(conn);
    if (txn.exec1(absl::StrCat("SELECT pg_last_wal_replay_lsn() >= '", target, "'"))[0].as<bool>(
            false)) {
      return;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  FAIL() << "the standby did not replay up to " << target << " within 90 s; its log ends:\n"
         << StandbyLogTail();
}

// What the server's metrics say for `series`; -1 when it is missing.
double MetricValue(const ServerProcess& server, const std::string& series) {
  return ScrapedValue(server.metrics_address(), series).value_or(-1);
}

class StandbyReadsE2eTest : public IngestFixture {
 protected:
  static void SetUpTestSuite() {
    standby = new Standby;
    char dir[] = "/tmp/tnps-test-standby.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    standby->dir = dir;
    standby->port = FreeLoopbackPort();
    const std::string primary = RequiredEnv("TNPS_TEST_PG_CLUSTER_DIR");
    for (const std::vector<std::string>& command :
         {std::vector<std::string>{TNPS_PG_CLUSTER_SCRIPT, "standby", standby->dir,
                                   std::to_string(standby->port), primary},
          std::vector<std::string>{TNPS_PG_CLUSTER_SCRIPT, "start", standby->dir}}) {
      const CommandResult r = RunCommand(command);
      ASSERT_EQ(r.exit_code, 0) << r.stdout_text << r.stderr_text;
    }
  }

  static void TearDownTestSuite() {
    RunCommand({TNPS_PG_CLUSTER_SCRIPT, "destroy", standby->dir});
    delete standby;
    standby = nullptr;
  }

  std::vector<std::string> ServerFlags() const override {
    // The server's first reads need the new database on the standby.
    AwaitStandbyCaughtUp(*db_);
    return {"--auth_cache_ttl=0s", "--metrics_listen=127.0.0.1:0",
            "--read_database_url=" + AtStandby(db_->url()), "--read_replay_wait=300ms",
            "--compact_interval=100ms"};
  }

  void SetUp() override {
    IngestFixture::SetUp();
    analytics_ = tnps::v1::AnalyticsService::NewStub(server_->NewChannel());
    training_ = tnps::v1::TrainingService::NewStub(server_->NewChannel());
  }

  void TearDown() override {
    // A test that failed with replay paused, or the standby stopped, must
    // not leave it so.
    RunCommand({TNPS_PG_CLUSTER_SCRIPT, "start", standby->dir});
    try {
      OnStandby(*db_, "SELECT CASE WHEN pg_is_wal_replay_paused() THEN pg_wal_replay_resume() END");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the standby did not answer after the test: " << e.what();
    }
    analytics_.reset();
    training_.reset();
    IngestFixture::TearDown();
  }

  // Days around the responses' interaction time (an hour ago).
  static tnps::v1::NpsFilter RecentDays() {
    const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
    tnps::v1::NpsFilter filter;
    *filter.mutable_start_date() = ProtoDate(today - 3);
    *filter.mutable_end_date() = ProtoDate(today + 1);
    return filter;
  }

  // Tenant A's total response count as GetNps answers it.
  absl::StatusOr<int64_t> NpsTotal(const std::string& token = "") {
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter() = RecentDays();
    request.set_consistency_token(token);
    tnps::v1::GetNpsResponse response;
    const grpc::Status status = analytics_->GetNps(Context(read_key_a_).get(), request, &response);
    if (!status.ok()) return absl::UnknownError(status.error_message());
    return response.summary().responses();
  }

  // `count` responses for tenant A in one SubmitResponses call; its token.
  std::string Ingest(const std::string& prefix, int count, int score = 9) {
    std::vector<SurveyResponse> batch;
    for (int i = 0; i < count; ++i) {
      SurveyResponse r = ValidResponse(absl::StrCat(prefix, "-", i), score);
      r.set_agent_id(absl::StrCat("agent-", i % 4));
      batch.push_back(std::move(r));
    }
    tnps::v1::SubmitResponsesResponse out;
    const grpc::Status status = SubmitBatch(ingest_key_a_, batch, &out);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(out.accepted_count() + out.duplicate_count(), count);
    return out.consistency_token();
  }

  // Queries run on the primary because the standby was behind (or, with
  // `reason` "failed", could not serve them).
  double Fallbacks(const std::string& reason = "behind") const {
    return MetricValue(*server_,
                       absl::StrCat("tnps_db_pool_primary_fallbacks_total{pool=\"standby\","
                                    "reason=\"",
                                    reason, "\"}"));
  }

  std::unique_ptr<tnps::v1::AnalyticsService::Stub> analytics_;
  std::unique_ptr<tnps::v1::TrainingService::Stub> training_;
};

TEST_F(StandbyReadsE2eTest, ATokenReadsTheWriteBackWhileTheStandbyLags) {
  const std::string first = Ingest("first", 10);
  std::string problem;
  const std::optional<core::WalPosition> first_position =
      core::ParseConsistencyToken(first, &problem);
  ASSERT_TRUE(first_position.has_value() && *first_position > 0) << first << " " << problem;
  EXPECT_EQ(NpsTotal(first).value_or(-1), 10);

  // The standby stops replaying: it lags from here on. (Fallbacks are
  // counted from here: the read above may have waited, on a busy machine.)
  AwaitStandbyCaughtUp(*db_);
  const double fallbacks_before = Fallbacks();
  OnStandby(*db_, "SELECT pg_wal_replay_pause()");
  const std::string second = Ingest("second", 5);
  const std::optional<core::WalPosition> second_position =
      core::ParseConsistencyToken(second, &problem);
  ASSERT_TRUE(second_position.has_value());
  EXPECT_GT(*second_position, *first_position);
  EXPECT_EQ(ResponseCount(), 15);

  // Without a token: the standby's data, from before the second write.
  EXPECT_EQ(NpsTotal().value_or(-1), 10);
  // The first token: the standby has it.
  EXPECT_EQ(NpsTotal(first).value_or(-1), 10);
  EXPECT_EQ(Fallbacks(), fallbacks_before);
  // The second: after --read_replay_wait, from the primary.
  EXPECT_EQ(NpsTotal(second).value_or(-1), 15);
  EXPECT_EQ(Fallbacks(), fallbacks_before + 1);

  // A call of three queries (CompareNps) waits once, then reads all three
  // on the primary, instead of waiting again for each.
  const double waits_before =
      MetricValue(*server_, "tnps_db_pool_replay_waits_total{pool=\"standby\"}");
  tnps::v1::CompareNpsRequest compare;
  *compare.mutable_baseline() = RecentDays();
  *compare.mutable_comparison() = RecentDays();
  compare.mutable_comparison()->add_agent_ids("agent-1");
  compare.set_consistency_token(second);
  tnps::v1::CompareNpsResponse compared;
  ASSERT_TRUE(analytics_->CompareNps(Context(read_key_a_).get(), compare, &compared).ok());
  EXPECT_EQ(compared.baseline().responses(), 15);
  EXPECT_EQ(MetricValue(*server_, "tnps_db_pool_replay_waits_total{pool=\"standby\"}"),
            waits_before + 1);
  EXPECT_EQ(Fallbacks(), fallbacks_before + 4);

  OnStandby(*db_, "SELECT pg_wal_replay_resume()");
  AwaitStandbyCaughtUp(*db_);
  EXPECT_EQ(NpsTotal(second).value_or(-1), 15);
  EXPECT_EQ(NpsTotal().value_or(-1), 15);
  // The standby caught up: no query went to the primary since.
  EXPECT_EQ(Fallbacks(), fallbacks_before + 4);

  // Each ingest RPC returns a token, and a later write a later position.
  tnps::v1::SubmitResponseResponse one;
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("single"), &one).ok());
  tnps::v1::StreamResponsesResponse streamed;
  ASSERT_TRUE(Stream(ingest_key_a_, {{ValidResponse("streamed-1")}, {ValidResponse("streamed-2")}},
                     &streamed)
                  .ok());
  const std::optional<core::WalPosition> single_position =
      core::ParseConsistencyToken(one.consistency_token(), &problem);
  const std::optional<core::WalPosition> stream_position =
      core::ParseConsistencyToken(streamed.consistency_token(), &problem);
  ASSERT_TRUE(single_position.has_value() && stream_position.has_value());
  EXPECT_GT(*single_position, *second_position);
  EXPECT_GT(*stream_position, *single_position);
  EXPECT_EQ(NpsTotal(streamed.consistency_token()).value_or(-1), 18);
}

TEST_F(StandbyReadsE2eTest, ALaggingStandbyNeverAnswersWithPartialRollups) {
  // Ingest goes on from a second thread while the compactor folds change
  // rows into the rollups every 100 ms; the standby stops replaying at five
  // moments, and at each its answers must equal a recount of the responses
  // it holds at that point.
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int batch = 0; !stop.load() && batch < 400; ++batch) {
      Ingest(absl::StrCat("lag-", batch), 20, batch % 11);
    }
  });
  for (int round = 0; round < 5; ++round) {
    absl::SleepFor(absl::Milliseconds(300));
    OnStandby(*db_, "SELECT pg_wal_replay_pause()");
    // Pausing takes effect at the next record; wait until replay holds still.
    std::string replayed = OnStandby(*db_, "SELECT pg_last_wal_replay_lsn()::text");
    for (int i = 0; i < 50; ++i) {
      absl::SleepFor(absl::Milliseconds(20));
      const std::string now = OnStandby(*db_, "SELECT pg_last_wal_replay_lsn()::text");
      if (now == replayed && OnStandby(*db_, "SELECT pg_get_wal_replay_pause_state()") == "paused")
        break;
      replayed = now;
    }
    const int64_t stored = OnStandbyInt(
        *db_, absl::StrCat("SELECT count(*) FROM responses WHERE tenant_id = ", tenant_a_));
    const int64_t promoters = OnStandbyInt(
        *db_, absl::StrCat("SELECT count(*) FROM responses WHERE score >= 9 AND tenant_id = ",
                           tenant_a_));
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter() = RecentDays();
    tnps::v1::GetNpsResponse response;
    const grpc::Status status = analytics_->GetNps(Context(read_key_a_).get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(response.summary().responses(), stored) << "round " << round;
    EXPECT_EQ(response.summary().promoters(), promoters) << "round " << round;
    EXPECT_EQ(OnStandbyInt(*db_, kRollupMismatchSql), 0) << "round " << round;
    OnStandby(*db_, "SELECT pg_wal_replay_resume()");
    if (round == 0) EXPECT_GT(stored, 0);
  }
  stop = true;
  writer.join();
  EXPECT_GT(ResponseCount(), 100);
}

TEST_F(StandbyReadsE2eTest, EveryEstimateAnswersFromTheStandbyAsFromThePrimary) {
  // 40 days of responses by 4 agents; agents 1 and 2 trained 15 days ago.
  const absl::Time now = absl::Now();
  std::vector<SurveyResponse> history;
  for (int day = 1; day <= 40; ++day) {
    for (int agent = 0; agent < 4; ++agent) {
      for (int i = 0; i < 3; ++i) {
        SurveyResponse r = ValidResponse(absl::StrCat("history-", day, "-", agent, "-", i));
        r.set_agent_id(absl::StrCat("agent-", agent));
        r.set_score((day * 7 + agent * 3 + i * 5 + (day < 15 && agent % 3 != 0 ? 3 : 0)) % 11);
        const absl::Time at = now - absl::Hours(24 * day) + absl::Minutes(i);
        google::protobuf::Timestamp* t = r.mutable_interaction_time();
        t->set_seconds(absl::ToUnixSeconds(at));
        *r.mutable_response_time() = *t;
        r.mutable_response_time()->set_seconds(t->seconds() + 600);
        history.push_back(std::move(r));
      }
    }
  }
  tnps::v1::SubmitResponsesResponse ingested;
  ASSERT_TRUE(SubmitBatch(ingest_key_a_, history, &ingested).ok());
  ASSERT_EQ(ingested.accepted_count(), 480);
  tnps::v1::CreateProgramRequest program_request;
  program_request.mutable_program()->set_name("Empathy");
  program_request.mutable_program()->set_hours_per_participant(8);
  program_request.mutable_program()->set_cost_per_hour_micros(50'000'000);
  program_request.mutable_program()->set_currency_code("EUR");
  tnps::v1::CreateProgramResponse program;
  ASSERT_TRUE(
      training_->CreateProgram(Context(admin_key_a_).get(), program_request, &program).ok());
  tnps::v1::CreateCohortRequest cohort_request;
  cohort_request.mutable_cohort()->set_program_id(program.program().program_id());
  cohort_request.mutable_cohort()->set_name("Wave 1");
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  *cohort_request.mutable_cohort()->mutable_planned_start_date() = ProtoDate(today - 17);
  *cohort_request.mutable_cohort()->mutable_planned_end_date() = ProtoDate(today - 15);
  tnps::v1::CreateCohortResponse cohort;
  const grpc::Status created =
      training_->CreateCohort(Context(admin_key_a_).get(), cohort_request, &cohort);
  ASSERT_TRUE(created.ok()) << created.error_message();
  tnps::v1::EnrollAgentsRequest enroll;
  enroll.set_cohort_id(cohort.cohort().cohort_id());
  enroll.add_agent_ids("agent-1");
  enroll.add_agent_ids("agent-2");
  enroll.mutable_enroll_time()->set_seconds(absl::ToUnixSeconds(now - absl::Hours(24 * 30)));
  tnps::v1::EnrollAgentsResponse enrolled;
  ASSERT_TRUE(training_->EnrollAgents(Context(admin_key_a_).get(), enroll, &enrolled).ok());
  tnps::v1::RecordCompletionsRequest complete;
  complete.set_cohort_id(cohort.cohort().cohort_id());
  for (const char* agent : {"agent-1", "agent-2"}) {
    tnps::v1::Completion* c = complete.add_completions();
    c->set_agent_id(agent);
    c->mutable_completion_time()->set_seconds(absl::ToUnixSeconds(now - absl::Hours(24 * 15)));
  }
  tnps::v1::RecordCompletionsResponse completed;
  const grpc::Status recorded =
      training_->RecordCompletions(Context(admin_key_a_).get(), complete, &completed);
  ASSERT_TRUE(recorded.ok()) << recorded.error_message();
  AwaitStandbyCaughtUp(*db_);

  // The same calls to a server that reads from the primary only.
  ServerProcess primary_only(db_->url(), {"--auth_cache_ttl=0s"});
  auto primary_analytics = tnps::v1::AnalyticsService::NewStub(primary_only.NewChannel());
  auto primary_training = tnps::v1::TrainingService::NewStub(primary_only.NewChannel());
  const auto same = [&](const char* rpc, auto call, const auto& request, auto response) {
    auto from_primary = response;
    const grpc::Status standby_status = call(*analytics_, *training_, request, &response);
    const grpc::Status primary_status =
        call(*primary_analytics, *primary_training, request, &from_primary);
    EXPECT_EQ(standby_status.error_code(), primary_status.error_code())
        << rpc << ": " << standby_status.error_message() << " / " << primary_status.error_message();
    EXPECT_TRUE(standby_status.ok()) << rpc << ": " << standby_status.error_message();
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(response, from_primary))
        << rpc << ":\n"
        << response.DebugString() << "\n"
        << from_primary.DebugString();
  };
  using Analytics = tnps::v1::AnalyticsService::Stub;
  using Training = tnps::v1::TrainingService::Stub;
  const std::string key = read_key_a_;

  tnps::v1::GetNpsRequest nps;
  *nps.mutable_filter() = RecentDays();
  same(
      "GetNps",
      [&](Analytics& a, Training&, const auto& r, auto* out) {
        return a.GetNps(Context(key).get(), r, out);
      },
      nps, tnps::v1::GetNpsResponse());
  tnps::v1::GetNpsTrendRequest trend;
  *trend.mutable_filter() = RecentDays();
  trend.set_bucket(tnps::v1::BUCKET_DAY);
  trend.set_include_deltas(true);
  same(
      "GetNpsTrend",
      [&](Analytics& a, Training&, const auto& r, auto* out) {
        return a.GetNpsTrend(Context(key).get(), r, out);
      },
      trend, tnps::v1::GetNpsTrendResponse());
  tnps::v1::GetNpsBreakdownRequest breakdown;
  *breakdown.mutable_filter() = RecentDays();
  breakdown.set_dimension(tnps::v1::DIMENSION_AGENT);
  same(
      "GetNpsBreakdown",
      [&](Analytics& a, Training&, const auto& r, auto* out) {
        return a.GetNpsBreakdown(Context(key).get(), r, out);
      },
      breakdown, tnps::v1::GetNpsBreakdownResponse());
  tnps::v1::CompareNpsRequest compare;
  *compare.mutable_baseline() = RecentDays();
  *compare.mutable_comparison() = RecentDays();
  compare.mutable_comparison()->set_cohort_id(cohort.cohort().cohort_id());
  same(
      "CompareNps",
      [&](Analytics& a, Training&, const auto& r, auto* out) {
        return a.CompareNps(Context(key).get(), r, out);
      },
      compare, tnps::v1::CompareNpsResponse());
  tnps::v1::PlanCohortRequest plan;
  plan.set_agents(2);
  plan.set_weeks_after_training(8);
  same(
      "PlanCohort",
      [&](Analytics&, Training& t, const auto& r, auto* out) {
        return t.PlanCohort(Context(key).get(), r, out);
      },
      plan, tnps::v1::PlanCohortResponse());
  tnps::v1::GetCohortUpliftRequest uplift;
  uplift.set_cohort_id(cohort.cohort().cohort_id());
  uplift.set_pre_days(28);
  uplift.set_post_days(28);
  same(
      "GetCohortUplift",
      [&](Analytics&, Training& t, const auto& r, auto* out) {
        return t.GetCohortUplift(Context(key).get(), r, out);
      },
      uplift, tnps::v1::GetCohortUpliftResponse());
  tnps::v1::GetProgramImpactRequest impact;
  impact.set_program_id(program.program().program_id());
  impact.set_period(tnps::v1::PERIOD_WEEK);
  same(
      "GetProgramImpact",
      [&](Analytics&, Training& t, const auto& r, auto* out) {
        return t.GetProgramImpact(Context(key).get(), r, out);
      },
      impact, tnps::v1::GetProgramImpactResponse());
  // They read through the standby's connections, and none of them fell
  // back to the primary.
  EXPECT_GT(MetricValue(*server_, "tnps_db_pool_connections{pool=\"standby\",state=\"idle\"}"), 0);
  EXPECT_EQ(Fallbacks(), 0);
}

TEST_F(StandbyReadsE2eTest, ReadsGoToThePrimaryWhileTheStandbyIsDown) {
  Ingest("before", 12);
  AwaitStandbyCaughtUp(*db_);
  EXPECT_EQ(NpsTotal().value_or(-1), 12);
  EXPECT_EQ(Fallbacks("failed"), 0);
  ASSERT_EQ(RunCommand({TNPS_PG_CLUSTER_SCRIPT, "stop", standby->dir, "immediate"}).exit_code, 0);
  const std::string token = Ingest("while-down", 3);
  EXPECT_EQ(NpsTotal().value_or(-1), 15);
  EXPECT_EQ(NpsTotal(token).value_or(-1), 15);
  EXPECT_EQ(Fallbacks("failed"), 2);
  ASSERT_EQ(RunCommand({TNPS_PG_CLUSTER_SCRIPT, "start", standby->dir}).exit_code, 0);
  AwaitStandbyCaughtUp(*db_);
  EXPECT_EQ(NpsTotal().value_or(-1), 15);
  EXPECT_EQ(Fallbacks("failed"), 2);
}

TEST_F(StandbyReadsE2eTest, AMalformedTokenIsInvalidArgumentNamingTheField) {
  tnps::v1::GetNpsRequest request;
  *request.mutable_filter() = RecentDays();
  request.set_consistency_token("16/B374D848");
  tnps::v1::GetNpsResponse response;
  const grpc::Status status = analytics_->GetNps(Context(read_key_a_).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"consistency_token"});
}

TEST_F(StandbyReadsE2eTest, AStandbyForWritesIsRefusedAndAPrimaryForReadsIsSaid) {
  // Bounded: a server that wrongly starts is stopped after 20 s.
  const CommandResult refused =
      RunCommand({"/usr/bin/timeout", "20", TNPS_SERVER_BIN, "--listen=127.0.0.1:0"},
                 {"TNPS_DATABASE_URL=" + AtStandby(db_->url())});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.stderr_text.find("--database_url reaches a standby (in recovery)"),
            std::string::npos)
      << refused.stderr_text;

  // A write that reaches a standby anyway (a primary demoted under a running
  // server) is UNAVAILABLE, which clients retry, not INTERNAL.
  storage::ConnectionPool at_standby({.database_url = AtStandby(db_->url()), .size = 1});
  const absl::Status write = at_standby.Run([](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    txn.exec0("INSERT INTO server_replicas (replica_id, expires_at) VALUES ('test', now())");
    txn.commit();
    return absl::OkStatus();
  });
  EXPECT_TRUE(absl::IsUnavailable(write)) << write;

  ServerProcess reads_at_primary(db_->url(), {"--read_database_url=" + db_->url()});
  EXPECT_NE(reads_at_primary.Log().find("--read_database_url reaches a primary"), std::string::npos)
      << reads_at_primary.Log();
  EXPECT_NE(server_->Log().find("estimates read from a standby"), std::string::npos)
      << server_->Log();
}

}  // namespace
}  // namespace tnps::testing
