// Analytics benchmark: loads a synthetic tenant straight into PostgreSQL
// (1,000 agents in 50 teams, 3 channels, two years; rollups built from the
// responses) and times AnalyticsService calls over real gRPC.
// bench/run_analytics_bench.sh runs it on 1M and 10M responses;
// bench/run_training_bench.sh times TrainingService's estimates on 10M.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/synthetic_tenant.h"
#include "core/role.h"
#include "storage/api_key_store.h"
#include "storage/connection_pool.h"
#include "storage/reporting_role_store.h"
#include "storage/tenant_store.h"
#include "tnps/v1/analytics_service.grpc.pb.h"
#include "tnps/v1/ingest_service.grpc.pb.h"
#include "tnps/v1/training_service.grpc.pb.h"

ABSL_FLAG(std::string, database_url, "", "the server's database");
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tnps-server address");
ABSL_FLAG(int64_t, responses, 1000000, "responses to generate");
ABSL_FLAG(int, calls, 30, "timed calls per query (after 3 warm-up calls)");
ABSL_FLAG(bool, analytics, true, "time the AnalyticsService queries");
ABSL_FLAG(bool, attributes, false,
          "a tenant whose responses carry queue and language attributes: declare queue as a "
          "dimension, time its back-fill, and time attribute filters and breakdowns");
ABSL_FLAG(bool, bi, false,
          "also time the BI views' two-year weekly team queries as a BI login, against the "
          "API's weekly trend");
ABSL_FLAG(bool, training, false,
          "record a programme with 10 cohorts of 50 agents and time TrainingService's estimates");

namespace {

constexpr int kDays = tnps::bench::kSyntheticDays;

tnps::v1::NpsFilter LastDays(int days) {
  // The data end on 2026-10-31 (local).
  const absl::CivilDay last(2026, 10, 31);
  const absl::CivilDay first = last - (days - 1);
  tnps::v1::NpsFilter f;
  f.mutable_start_date()->set_year(static_cast<int>(first.year()));
  f.mutable_start_date()->set_month(first.month());
  f.mutable_start_date()->set_day(first.day());
  f.mutable_end_date()->set_year(2026);
  f.mutable_end_date()->set_month(10);
  f.mutable_end_date()->set_day(31);
  return f;
}

void Time(const char* name, const std::function<grpc::Status()>& call) {
  for (int i = 0; i < 3; ++i) call();
  std::vector<double> ms;
  for (int i = 0; i < absl::GetFlag(FLAGS_calls); ++i) {
    const absl::Time start = absl::Now();
    grpc::Status status = call();
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    if (!status.ok()) {
      std::fprintf(stderr, "%s failed: %s\n", name, status.error_message().c_str());
      std::exit(1);
    }
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%-52s p50 %7.1f ms   p99 %7.1f ms\n", name, ms[ms.size() / 2],
              ms[static_cast<size_t>(0.99 * (ms.size() - 1))]);
}

void SetDate(absl::CivilDay day, tnps::v1::Date* out) {
  out->set_year(static_cast<int>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

// Ten cohorts of 50 agents through TrainingService, two months apart from
// February 2025, each agent completing on one of its cohort's first ten
// days; 500 agents are never trained. Returns the programme and the
// cohort in the middle.
std::pair<int64_t, int64_t> RecordTraining(tnps::v1::TrainingService::Stub& stub,
                                           const std::string& admin_key) {
  auto call = [&](auto method, const auto& request, auto* response) {
    grpc::ClientContext c;
    c.AddMetadata("authorization", "Bearer " + admin_key);
    grpc::Status status = (stub.*method)(&c, request, response);
    if (!status.ok()) {
      std::fprintf(stderr, "training setup failed: %s\n", status.error_message().c_str());
      std::exit(1);
    }
  };
  tnps::v1::CreateProgramRequest program;
  // Unique per run, so that a reused tenant takes another programme.
  program.mutable_program()->set_name(absl::StrCat("Empathy ", absl::ToUnixMicros(absl::Now())));
  program.mutable_program()->set_hours_per_participant(8);
  program.mutable_program()->set_currency_code("EUR");
  tnps::v1::CreateProgramResponse created;
  call(&tnps::v1::TrainingService::Stub::CreateProgram, program, &created);
  int64_t middle = 0;
  for (int k = 0; k < 10; ++k) {
    const absl::CivilDay start = absl::CivilDay(2025, 2, 1) + 60 * k;
    tnps::v1::CreateCohortRequest cohort;
    cohort.mutable_cohort()->set_program_id(created.program().program_id());
    cohort.mutable_cohort()->set_name(absl::StrCat("Cohort ", k + 1));
    SetDate(start, cohort.mutable_cohort()->mutable_planned_start_date());
    SetDate(start + 9, cohort.mutable_cohort()->mutable_planned_end_date());
    tnps::v1::CreateCohortResponse cohort_created;
    call(&tnps::v1::TrainingService::Stub::CreateCohort, cohort, &cohort_created);
    const int64_t cohort_id = cohort_created.cohort().cohort_id();
    if (k == 5) middle = cohort_id;
    tnps::v1::EnrollAgentsRequest enroll;
    tnps::v1::RecordCompletionsRequest complete;
    enroll.set_cohort_id(cohort_id);
    complete.set_cohort_id(cohort_id);
    enroll.mutable_enroll_time()->set_seconds(
        absl::ToUnixSeconds(absl::FromCivil(start - 7, absl::UTCTimeZone())));
    for (int i = 0; i < 50; ++i) {
      const std::string agent = absl::StrCat("agent-", 50 * k + i);
      enroll.add_agent_ids(agent);
      tnps::v1::Completion* c = complete.add_completions();
      c->set_agent_id(agent);
      c->mutable_completion_time()->set_seconds(absl::ToUnixSeconds(
          absl::FromCivil(start + i % 10, absl::UTCTimeZone()) + absl::Hours(14)));
    }
    tnps::v1::EnrollAgentsResponse enrolled;
    tnps::v1::RecordCompletionsResponse recorded;
    call(&tnps::v1::TrainingService::Stub::EnrollAgents, enroll, &enrolled);
    call(&tnps::v1::TrainingService::Stub::RecordCompletions, complete, &recorded);
  }
  return {created.program().program_id(), middle};
}

// Steady ingest while `busy` says so: a SubmitResponses call of 20
// responses every 50 ms; prints the calls' p50 and p99 under `label`.
class IngestProbe {
 public:
  // `id_prefix` keeps each probe's external ids apart.
  IngestProbe(tnps::v1::IngestService::Stub& stub, std::string key, std::string label,
              std::string id_prefix)
      : stub_(stub),
        key_(std::move(key)),
        label_(std::move(label)),
        id_prefix_(std::move(id_prefix)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~IngestProbe() {
    stop_ = true;
    thread_.join();
    std::sort(ms_.begin(), ms_.end());
    if (ms_.empty()) return;
    std::printf("%-52s p50 %7.1f ms   p99 %7.1f ms   (%zu calls, %d failed)\n", label_.c_str(),
                ms_[ms_.size() / 2], ms_[std::min(ms_.size() - 1, ms_.size() * 99 / 100)],
                ms_.size(), failed_);
  }

 private:
  void Run() {
    for (int i = 0; !stop_.load(); ++i) {
      tnps::v1::SubmitResponsesRequest request;
      const absl::Time now = absl::Now();
      for (int j = 0; j < 20; ++j) {
        tnps::v1::SurveyResponse* r = request.add_responses();
        r->set_external_id(absl::StrCat(id_prefix_, "-", i, "-", j));
        r->set_interaction_id(r->external_id());
        r->set_agent_id(absl::StrCat("agent-", (i * 20 + j) % 1000));
        r->set_team_id(absl::StrCat("team-", (i * 20 + j) % 1000 % 50));
        r->set_channel(tnps::v1::CHANNEL_PHONE);
        r->set_score((i + j) % 11);
        r->mutable_interaction_time()->set_seconds(absl::ToUnixSeconds(now) - 3600);
        r->mutable_response_time()->set_seconds(absl::ToUnixSeconds(now) - 1800);
        (*r->mutable_attributes())["queue"] = j % 2 ? "billing" : "tech";
      }
      grpc::ClientContext c;
      c.AddMetadata("authorization", "Bearer " + key_);
      tnps::v1::SubmitResponsesResponse response;
      const absl::Time start = absl::Now();
      if (stub_.SubmitResponses(&c, request, &response).ok()) {
        ms_.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      } else {
        ++failed_;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  tnps::v1::IngestService::Stub& stub_;
  const std::string key_, label_, id_prefix_;
  std::atomic<bool> stop_{false};
  std::vector<double> ms_;
  int failed_ = 0;
  std::thread thread_;
};

// Declares "queue" (3 values on every response) and waits for its
// back-fill while ingest goes on (timed against 20 s of ingest before),
// then times reads on it: tenant-wide (attribute_days), one team
// (attribute_team_days), one agent (attribute_rollups).
bool TimeAttributes(tnps::v1::AnalyticsService::Stub& stub, tnps::v1::IngestService::Stub& ingest,
                    const std::string& read_key, const std::string& admin_key,
                    const std::string& ingest_key) {
  const auto with = [](grpc::ClientContext& c, const std::string& key) {
    c.AddMetadata("authorization", "Bearer " + key);
  };
  {
    IngestProbe before(ingest, ingest_key, "SubmitResponses (20), before declaring",
                       "probe-before");
    absl::SleepFor(absl::Seconds(20));
  }
  std::optional<IngestProbe> during;
  during.emplace(ingest, ingest_key, "SubmitResponses (20), during the back-fill", "probe-during");
  const absl::Time declared = absl::Now();
  {
    grpc::ClientContext c;
    with(c, admin_key);
    tnps::v1::DeclareAttributeDimensionRequest request;
    request.set_key("queue");
    tnps::v1::DeclareAttributeDimensionResponse response;
    grpc::Status status = stub.DeclareAttributeDimension(&c, request, &response);
    if (!status.ok()) {
      std::fprintf(stderr, "declare failed: %s\n", status.error_message().c_str());
      return false;
    }
    std::printf("declared queue (%s)\n", response.created() ? "new" : "declared before");
  }
  while (true) {
    grpc::ClientContext c;
    with(c, read_key);
    tnps::v1::ListAttributeDimensionsResponse list;
    if (!stub.ListAttributeDimensions(&c, {}, &list).ok()) return false;
    if (list.dimensions_size() == 1 && list.dimensions(0).ready()) {
      std::printf("back-fill ready after %.1f s (%lld earlier responses counted)\n",
                  absl::ToDoubleSeconds(absl::Now() - declared),
                  static_cast<long long>(list.dimensions(0).backfilled_responses()));
      during.reset();
      break;
    }
    absl::SleepFor(absl::Seconds(1));
  }
  const auto condition = [](tnps::v1::NpsFilter* f) {
    tnps::v1::AttributeCondition* c = f->add_attributes();
    c->set_key("queue");
    c->add_values("billing");
  };
  Time("GetNps, queue = billing, 90 days", [&] {
    grpc::ClientContext c;
    with(c, read_key);
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter() = LastDays(90);
    condition(request.mutable_filter());
    tnps::v1::GetNpsResponse response;
    return stub.GetNps(&c, request, &response);
  });
  Time("GetNpsTrend, daily 365 d, 28-day rolling, queue", [&] {
    grpc::ClientContext c;
    with(c, read_key);
    tnps::v1::GetNpsTrendRequest request;
    *request.mutable_filter() = LastDays(365);
    condition(request.mutable_filter());
    request.set_bucket(tnps::v1::BUCKET_DAY);
    request.set_rolling_window_days(28);
    tnps::v1::GetNpsTrendResponse response;
    return stub.GetNpsTrend(&c, request, &response);
  });
  for (const char* team : {"", "team-7"}) {
    Time(team[0] ? "GetNpsBreakdown, queue values, one team, 90 days"
                 : "GetNpsBreakdown, queue values, 90 days",
         [&] {
           grpc::ClientContext c;
           with(c, read_key);
           tnps::v1::GetNpsBreakdownRequest request;
           *request.mutable_filter() = LastDays(90);
           if (team[0]) request.mutable_filter()->add_team_ids(team);
           request.set_dimension(tnps::v1::DIMENSION_ATTRIBUTE);
           request.set_attribute_key("queue");
           tnps::v1::GetNpsBreakdownResponse response;
           return stub.GetNpsBreakdown(&c, request, &response);
         });
  }
  Time("GetNps, queue = billing, one agent, 365 days", [&] {
    grpc::ClientContext c;
    with(c, read_key);
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter() = LastDays(365);
    request.mutable_filter()->add_agent_ids("agent-7");
    condition(request.mutable_filter());
    tnps::v1::GetNpsResponse response;
    return stub.GetNps(&c, request, &response);
  });
  return true;
}

// p50/p99 of a SQL query as the BI login, like Time for calls.
void TimeSql(const char* name, pqxx::connection& bi, const std::string& sql) {
  Time(name, [&] {
    pqxx::nontransaction txn(bi);
    const pqxx::result rows = txn.exec(sql);
    return rows.empty() ? grpc::Status(grpc::StatusCode::NOT_FOUND, "no rows") : grpc::Status::OK;
  });
}

// The two-year weekly NPS per team as docs/reporting.md's Grafana panel
// reads it (weekly_nps_by_team), as it read it before (daily_nps_by_team),
// for one team and all, against GetNpsTrend's weekly trend of one team.
void TimeBiViews(const std::string& url, const std::string& tenant,
                 tnps::v1::AnalyticsService::Stub& stub, const std::string& read_key) {
  tnps::storage::ConnectionPool owner({.database_url = url, .size = 1});
  absl::StatusOr<tnps::storage::ReportingRole> role =
      tnps::storage::ReportingRoleStore(owner).Create(tenant, "");
  if (!role.ok()) {
    std::fprintf(stderr, "BI login: %s\n", std::string(role.status().message()).c_str());
    return;
  }
  pqxx::connection bi(absl::StrCat(url, " user=", role->role_name, " password=", role->password));
  const std::string range = "'2024-11-04' AND '2026-10-31'";
  for (const bool one_team : {true, false}) {
    const std::string team = one_team ? " AND team_id = 'team-7'" : "";
    TimeSql(one_team ? "SQL weekly_nps_by_team, 2 years, one team"
                     : "SQL weekly_nps_by_team, 2 years, 50 teams",
            bi,
            absl::StrCat("SELECT week_start, team_id, round(100.0 * (sum(promoters) - "
                         "sum(detractors)) / sum(responses), 1) FROM reporting.weekly_nps_by_team "
                         "WHERE week_start BETWEEN ",
                         range, team, " GROUP BY 1, 2 ORDER BY 1, 2"));
    TimeSql(one_team ? "SQL daily_nps_by_team by week, 2 years, one team (before)"
                     : "SQL daily_nps_by_team by week, 2 years, 50 teams (before)",
            bi,
            absl::StrCat("SELECT date_trunc('week', local_day), team_id, round(100.0 * "
                         "(sum(promoters) - sum(detractors)) / sum(responses), 1) FROM "
                         "reporting.daily_nps_by_team WHERE local_day BETWEEN ",
                         range, team, " GROUP BY 1, 2 ORDER BY 1, 2"));
  }
  TimeSql("SQL monthly_nps_by_team, 2 years, 50 teams", bi,
          "SELECT month_start, team_id, nps FROM reporting.monthly_nps_by_team WHERE "
          "month_start BETWEEN '2024-11-01' AND '2026-10-31' ORDER BY 1, 2");
  Time("GetNpsTrend, weekly, 2 years, one team", [&] {
    grpc::ClientContext c;
    c.AddMetadata("authorization", "Bearer " + read_key);
    tnps::v1::GetNpsTrendRequest request;
    *request.mutable_filter() = LastDays(kDays);
    request.mutable_filter()->add_team_ids("team-7");
    request.set_bucket(tnps::v1::BUCKET_WEEK);
    tnps::v1::GetNpsTrendResponse response;
    return stub.GetNpsTrend(&c, request, &response);
  });
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string url = absl::GetFlag(FLAGS_database_url);
  const int64_t responses = absl::GetFlag(FLAGS_responses);
  tnps::storage::ConnectionPool pool({.database_url = url, .size = 1});
  tnps::storage::TenantStore tenants(pool);
  tnps::storage::ApiKeyStore keys(pool);
  const bool attributes = absl::GetFlag(FLAGS_attributes);
  const std::string name =
      absl::StrCat(attributes ? "analytics-attributes-" : "analytics-", responses);
  // A tenant loaded by an earlier run on the same database is reused.
  absl::StatusOr<tnps::storage::Tenant> tenant = tenants.FindByName(name);
  const bool load = !tenant.ok();
  if (load) tenant = tenants.Create(name, "Europe/Zurich");
  absl::StatusOr<tnps::storage::IssuedKey> key = keys.Issue(name, tnps::core::Role::kRead);
  absl::StatusOr<tnps::storage::IssuedKey> admin = keys.Issue(name, tnps::core::Role::kAdmin);
  if (!tenant.ok() || !key.ok() || !admin.ok()) return 1;
  if (load) {
    std::fprintf(stderr, "generating %lld responses\n", static_cast<long long>(responses));
    tnps::bench::LoadSyntheticTenant(url, tenant->tenant_id, responses,
                                     {.personal_data = attributes});
  }

  auto channel =
      grpc::CreateChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials());
  auto stub = tnps::v1::AnalyticsService::NewStub(channel);
  auto context = [&](grpc::ClientContext& c) {
    c.AddMetadata("authorization", "Bearer " + key->key);
  };
  std::printf("%lld responses, 1,000 agents, 50 teams, 3 channels, %d days\n",
              static_cast<long long>(responses), kDays);
  if (absl::GetFlag(FLAGS_training)) {
    auto training = tnps::v1::TrainingService::NewStub(channel);
    const auto [program_id, cohort_id] = RecordTraining(*training, admin->key);
    Time("GetCohortUplift, 50 agents, 90/14/90 days", [&] {
      grpc::ClientContext c;
      context(c);
      tnps::v1::GetCohortUpliftRequest request;
      request.set_cohort_id(cohort_id);
      request.set_pre_days(90);
      request.set_post_days(90);
      request.set_washout_days(14);
      tnps::v1::GetCohortUpliftResponse response;
      return training->GetCohortUplift(&c, request, &response);
    });
    Time("GetProgramImpact, 10 cohorts, weekly, 2 years", [&] {
      grpc::ClientContext c;
      context(c);
      tnps::v1::GetProgramImpactRequest request;
      request.set_program_id(program_id);
      request.set_period(tnps::v1::PERIOD_WEEK);
      SetDate(absl::CivilDay(2024, 11, 1), request.mutable_start_date());
      SetDate(absl::CivilDay(2026, 10, 31), request.mutable_end_date());
      tnps::v1::GetProgramImpactResponse response;
      return training->GetProgramImpact(&c, request, &response);
    });
  }
  if (absl::GetFlag(FLAGS_bi)) TimeBiViews(url, name, *stub, key->key);
  if (attributes) {
    absl::StatusOr<tnps::storage::IssuedKey> ingest_key =
        keys.Issue(name, tnps::core::Role::kIngest);
    if (!ingest_key.ok()) return 1;
    auto ingest = tnps::v1::IngestService::NewStub(channel);
    return TimeAttributes(*stub, *ingest, key->key, admin->key, ingest_key->key) ? 0 : 1;
  }
  if (!absl::GetFlag(FLAGS_analytics)) return 0;
  Time("GetNps, tenant, 90 days", [&] {
    grpc::ClientContext c;
    context(c);
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter() = LastDays(90);
    tnps::v1::GetNpsResponse response;
    return stub->GetNps(&c, request, &response);
  });
  for (const bool one_team : {true, false}) {
    Time(one_team ? "GetNpsTrend, daily 365 d, 28-day rolling, one team"
                  : "GetNpsTrend, daily 365 d, 28-day rolling, tenant",
         [&] {
           grpc::ClientContext c;
           context(c);
           tnps::v1::GetNpsTrendRequest request;
           *request.mutable_filter() = LastDays(365);
           if (one_team) request.mutable_filter()->add_team_ids("team-7");
           request.set_bucket(tnps::v1::BUCKET_DAY);
           request.set_rolling_window_days(28);
           tnps::v1::GetNpsTrendResponse response;
           return stub->GetNpsTrend(&c, request, &response);
         });
  }
  Time("GetNpsBreakdown, agents, 90 days", [&] {
    grpc::ClientContext c;
    context(c);
    tnps::v1::GetNpsBreakdownRequest request;
    *request.mutable_filter() = LastDays(90);
    request.set_dimension(tnps::v1::DIMENSION_AGENT);
    tnps::v1::GetNpsBreakdownResponse response;
    return stub->GetNpsBreakdown(&c, request, &response);
  });
  return 0;
}
