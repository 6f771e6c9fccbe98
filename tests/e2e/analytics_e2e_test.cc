// AnalyticsService end to end: every figure equals a brute-force recount
// over the responses table, with local days recomputed from interaction_time
// in the tenant's zone (four zones, across their 2026 daylight-saving changes),
// and the cohort filter counts exactly the cohort's agents.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <pqxx/pqxx>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/nps_statistics.h"
#include "core/time_buckets.h"
#include "tests/e2e/ingest_fixture.h"
#include "tnps/v1/analytics_service.grpc.pb.h"
#include "tnps/v1/training_service.grpc.pb.h"

namespace tnps::testing {
namespace {

using absl::CivilDay;
using ::testing::ElementsAre;
using tnps::v1::SurveyResponse;

CivilDay FromProto(const tnps::v1::Date& d) { return CivilDay(d.year(), d.month(), d.day()); }

std::string DateText(CivilDay d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

class AnalyticsE2eTest : public IngestFixture {
 protected:
  void SetUp() override {
    IngestFixture::SetUp();
    analytics_ = tnps::v1::AnalyticsService::NewStub(server_->NewChannel());
    training_ = tnps::v1::TrainingService::NewStub(server_->NewChannel());
  }

  void TearDown() override {
    analytics_.reset();
    training_.reset();
    IngestFixture::TearDown();
  }

  // A tenant of its own in `zone`, with ingest and read keys.
  struct ZoneTenant {
    int64_t id = 0;
    absl::TimeZone zone;
    std::string ingest_key, read_key;
  };

  ZoneTenant AddTenant(const std::string& name, const std::string& zone_name) {
    ZoneTenant t;
    storage::TenantStore tenants(*pool_);
    storage::ApiKeyStore keys(*pool_);
    absl::StatusOr<storage::Tenant> created = tenants.Create(name, zone_name);
    EXPECT_TRUE(created.ok()) << created.status();
    EXPECT_TRUE(absl::LoadTimeZone(zone_name, &t.zone));
    absl::StatusOr<storage::IssuedKey> ingest = keys.Issue(name, core::Role::kIngest);
    absl::StatusOr<storage::IssuedKey> read = keys.Issue(name, core::Role::kRead);
    EXPECT_TRUE(ingest.ok() && read.ok());
    if (!created.ok() || !ingest.ok() || !read.ok()) return t;
    t.id = created->tenant_id;
    t.ingest_key = ingest->key;
    t.read_key = read->key;
    return t;
  }

  ZoneTenant TenantA() {
    ZoneTenant t{tenant_a_, {}, ingest_key_a_, read_key_a_};
    EXPECT_TRUE(absl::LoadTimeZone("Europe/Zurich", &t.zone));
    return t;
  }

  // Responses within 15 days of the zone's 2026 daylight-saving changes (or of
  // mid-March and mid-October where it has none), between 22:00 and 04:00
  // local time, so that many fall just either side of local midnight and of
  // the changes themselves; 10 agents in 3 teams, 3 channels; every batch
  // is submitted twice.
  void LoadResponses(const ZoneTenant& tenant, int count, uint32_t seed,
                     const std::string& prefix) {
    std::vector<absl::CivilDay> anchors;
    absl::TimeZone::CivilTransition transition;
    absl::Time from = absl::FromCivil(absl::CivilSecond(2026, 1, 1, 0, 0, 0), tenant.zone);
    while (anchors.size() < 4 && tenant.zone.NextTransition(from, &transition) &&
           transition.from < absl::CivilSecond(2027, 1, 1, 0, 0, 0)) {
      anchors.push_back(absl::CivilDay(transition.to));
      from = tenant.zone.At(transition.to).trans;
    }
    if (anchors.empty()) anchors = {absl::CivilDay(2026, 3, 15), absl::CivilDay(2026, 10, 15)};
    std::mt19937 rng(seed);
    std::vector<SurveyResponse> batch;
    for (int i = 0; i < count; ++i) {
      const absl::CivilDay day = anchors[i % anchors.size()] + static_cast<int>(rng() % 30) - 15;
      const absl::CivilSecond local =
          absl::CivilSecond(day) + 3600 * (22 + static_cast<int>(rng() % 6)) + rng() % 3600;
      const absl::Time when = tenant.zone.At(local).pre;
      SurveyResponse r = ValidResponse(absl::StrCat(prefix, i), static_cast<int>(rng() % 11));
      const int agent = static_cast<int>(rng() % 10);
      r.set_agent_id(absl::StrCat("agent-", agent));
      r.set_team_id(absl::StrCat("team-", agent % 3));
      r.set_channel(static_cast<tnps::v1::Channel>(1 + rng() % 3));
      r.mutable_interaction_time()->set_seconds(absl::ToUnixSeconds(when));
      r.mutable_response_time()->set_seconds(absl::ToUnixSeconds(when) + 600);
      batch.push_back(r);
      if (batch.size() == 500 || i == count - 1) {
        tnps::v1::SubmitResponsesResponse reply;
        ASSERT_TRUE(SubmitBatch(tenant.ingest_key, batch, &reply).ok());
        ASSERT_TRUE(SubmitBatch(tenant.ingest_key, batch, &reply).ok());  // retries change nothing
        EXPECT_EQ(reply.duplicate_count(), static_cast<int>(batch.size()));
        batch.clear();
      }
    }
  }

  void LoadResponses(int count, uint32_t seed, const std::string& prefix) {
    LoadResponses(TenantA(), count, seed, prefix);
  }

  // Waits until the server's compactor has folded every changed day into
  // the coarse rollups, so that later writes land on compacted days.
  void WaitForCompaction() {
    for (int i = 0; i < 300; ++i) {
      if (db_->QueryInt("SELECT count(*) FROM rollup_changes") == 0) return;
      absl::SleepFor(absl::Milliseconds(100));
    }
    FAIL() << "the compactor did not catch up within 30 s";
  }

  // Brute force: counts per local day of a tenant, straight from responses.
  std::map<CivilDay, core::NpsCounts> RecountByDay(int64_t tenant_id,
                                                   const std::string& extra_condition = "") {
    pqxx::connection conn(db_->url());
    pqxx::nontransaction txn(conn);
    std::map<CivilDay, core::NpsCounts> days;
    for (const auto& row : txn.exec(absl::StrCat(
             "SELECT (r.interaction_time AT TIME ZONE t.time_zone)::date::text, "
             "count(*) FILTER (WHERE score >= 9), count(*) FILTER (WHERE score IN (7, 8)), "
             "count(*) FILTER (WHERE score <= 6) FROM responses r JOIN tenants t USING "
             "(tenant_id) WHERE r.tenant_id = ",
             tenant_id, " ", extra_condition, " GROUP BY 1"))) {
      CivilDay day;
      EXPECT_TRUE(absl::ParseCivilTime(row[0].c_str(), &day));
      days[day] = {row[1].as<int64_t>(), row[2].as<int64_t>(), row[3].as<int64_t>()};
    }
    return days;
  }

  std::map<CivilDay, core::NpsCounts> RecountByDay(const std::string& extra_condition = "") {
    return RecountByDay(tenant_a_, extra_condition);
  }

  static core::NpsCounts SumDays(const std::map<CivilDay, core::NpsCounts>& days, CivilDay first,
                                 CivilDay last) {
    core::NpsCounts sum;
    for (const auto& [day, counts] : days) {
      if (day >= first && day <= last) sum += counts;
    }
    return sum;
  }

  static void ExpectCounts(const tnps::v1::NpsSummary& s, const core::NpsCounts& expected,
                           const std::string& where) {
    EXPECT_EQ(s.promoters(), expected.promoters) << where;
    EXPECT_EQ(s.passives(), expected.passives) << where;
    EXPECT_EQ(s.detractors(), expected.detractors) << where;
    EXPECT_EQ(s.responses(), expected.responses()) << where;
    if (expected.responses() > 0) {
      EXPECT_NEAR(s.nps(),
                  100.0 * (expected.promoters - expected.detractors) / expected.responses(), 1e-9)
          << where;
    }
  }

  tnps::v1::NpsFilter Filter(CivilDay first, CivilDay last) {
    tnps::v1::NpsFilter f;
    *f.mutable_start_date() = ProtoDate(first);
    *f.mutable_end_date() = ProtoDate(last);
    return f;
  }

  grpc::Status Trend(const tnps::v1::GetNpsTrendRequest& request,
                     tnps::v1::GetNpsTrendResponse* response, const std::string& key = "") {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + (key.empty() ? read_key_a_ : key));
    return analytics_->GetNpsTrend(&context, request, response);
  }

  grpc::Status Nps(const tnps::v1::GetNpsRequest& request, tnps::v1::GetNpsResponse* response,
                   const std::string& key = "") {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + (key.empty() ? read_key_a_ : key));
    return analytics_->GetNps(&context, request, response);
  }

  std::vector<std::string> ServerFlags() const override {
    return {"--auth_cache_ttl=0s", "--compact_interval=100ms"};
  }

  // A programme with one cohort of these (ingested) agents; its id.
  int programs_ = 0;

  int64_t CreateCohort(const std::string& admin_key, const std::vector<std::string>& agents) {
    const auto call = [&](auto method, const auto& request, auto* response) {
      grpc::ClientContext c;
      c.AddMetadata("authorization", "Bearer " + admin_key);
      const grpc::Status status = (training_.get()->*method)(&c, request, response);
      EXPECT_TRUE(status.ok()) << status.error_message();
    };
    tnps::v1::CreateProgramRequest program;
    program.mutable_program()->set_name(absl::StrCat("Empathy ", ++programs_));
    program.mutable_program()->set_currency_code("EUR");
    tnps::v1::CreateProgramResponse created;
    call(&tnps::v1::TrainingService::Stub::CreateProgram, program, &created);
    tnps::v1::CreateCohortRequest cohort;
    cohort.mutable_cohort()->set_program_id(created.program().program_id());
    cohort.mutable_cohort()->set_name("Wave 1");
    *cohort.mutable_cohort()->mutable_planned_start_date() = ProtoDate(CivilDay(2026, 5, 1));
    *cohort.mutable_cohort()->mutable_planned_end_date() = ProtoDate(CivilDay(2026, 5, 10));
    tnps::v1::CreateCohortResponse cohort_created;
    call(&tnps::v1::TrainingService::Stub::CreateCohort, cohort, &cohort_created);
    tnps::v1::EnrollAgentsRequest enroll;
    enroll.set_cohort_id(cohort_created.cohort().cohort_id());
    for (const std::string& agent : agents) enroll.add_agent_ids(agent);
    tnps::v1::EnrollAgentsResponse enrolled;
    call(&tnps::v1::TrainingService::Stub::EnrollAgents, enroll, &enrolled);
    EXPECT_EQ(enrolled.enrolled(), static_cast<int>(agents.size()));
    return cohort_created.cohort().cohort_id();
  }

  std::unique_ptr<tnps::v1::AnalyticsService::Stub> analytics_;
  std::unique_ptr<tnps::v1::TrainingService::Stub> training_;
};

TEST_F(AnalyticsE2eTest, GetNpsEqualsARecountAndOnlyCountsItsTenant) {
  LoadResponses(2000, 1, "n");
  ASSERT_TRUE(Submit(ingest_key_b_, ValidResponse("other-tenant", 0)).ok());
  const auto days = RecountByDay();
  tnps::v1::GetNpsRequest request;
  *request.mutable_filter() = Filter(CivilDay(2026, 3, 1), CivilDay(2026, 11, 30));
  tnps::v1::GetNpsResponse response;
  ASSERT_TRUE(Nps(request, &response).ok());
  ExpectCounts(response.summary(), SumDays(days, CivilDay(2026, 3, 1), CivilDay(2026, 11, 30)),
               "whole range");
  EXPECT_EQ(response.summary().responses(), 2000);
  EXPECT_EQ(response.time_zone(), "Europe/Zurich");
  EXPECT_EQ(response.summary().interval_method(), tnps::v1::INTERVAL_METHOD_WALD);

  // A team and channel filter, adjusted Wald.
  request.mutable_filter()->add_team_ids("team-1");
  request.mutable_filter()->add_channels(tnps::v1::CHANNEL_CHAT);
  request.set_interval_method(tnps::v1::INTERVAL_METHOD_ADJUSTED_WALD);
  ASSERT_TRUE(Nps(request, &response).ok());
  const auto filtered = RecountByDay("AND team_id = 'team-1' AND channel = 2");
  const core::NpsCounts expected = SumDays(filtered, CivilDay(2026, 3, 1), CivilDay(2026, 11, 30));
  ExpectCounts(response.summary(), expected, "team-1 chat");
  const core::NpsSummary reference = core::Summarize(expected, core::IntervalMethod::kAdjustedWald);
  EXPECT_NEAR(response.summary().ci_low(), reference.ci_low, 1e-9);
  EXPECT_NEAR(response.summary().ci_high(), reference.ci_high, 1e-9);
}

// In four zones (two northern-hemisphere DST rules, a southern one, and a
// half-hour offset without DST), after a late batch lands on days the
// compactor has already folded: GetNps, every bucket and every rolling
// window equal a recount over the responses table.
TEST_F(AnalyticsE2eTest, EveryTrendBucketAndRollingWindowEqualsARecountInEveryZone) {
  std::vector<ZoneTenant> tenants = {TenantA(), AddTenant("tenant-ny", "America/New_York"),
                                     AddTenant("tenant-syd", "Australia/Sydney"),
                                     AddTenant("tenant-kol", "Asia/Kolkata")};
  for (size_t z = 0; z < tenants.size(); ++z) {
    LoadResponses(tenants[z], 1500, static_cast<uint32_t>(10 + z), "t");
  }
  WaitForCompaction();
  for (size_t z = 0; z < tenants.size(); ++z) {
    LoadResponses(tenants[z], 200, static_cast<uint32_t>(20 + z), "late");
  }
  const CivilDay first(2026, 2, 10), last(2026, 11, 20);
  for (const ZoneTenant& tenant : tenants) {
    const std::string zone = tenant.zone.name();
    const auto days = RecountByDay(tenant.id);
    ASSERT_EQ(SumDays(days, first, last).responses(), 1700) << zone;

    tnps::v1::GetNpsRequest nps_request;
    *nps_request.mutable_filter() = Filter(first, last);
    tnps::v1::GetNpsResponse nps_response;
    ASSERT_TRUE(Nps(nps_request, &nps_response, tenant.read_key).ok()) << zone;
    ExpectCounts(nps_response.summary(), SumDays(days, first, last), zone);
    EXPECT_EQ(nps_response.time_zone(), zone);

    for (tnps::v1::Bucket bucket : {tnps::v1::BUCKET_DAY, tnps::v1::BUCKET_WEEK,
                                    tnps::v1::BUCKET_MONTH, tnps::v1::BUCKET_QUARTER}) {
      for (int window : {0, 7, 28, 90}) {
        tnps::v1::GetNpsTrendRequest request;
        *request.mutable_filter() = Filter(first, last);
        request.set_bucket(bucket);
        request.set_rolling_window_days(window);
        request.set_include_deltas(true);
        tnps::v1::GetNpsTrendResponse response;
        grpc::Status status = Trend(request, &response, tenant.read_key);
        ASSERT_TRUE(status.ok()) << status.error_message();
        ASSERT_GT(response.points_size(), 0);
        EXPECT_EQ(FromProto(response.points(0).bucket_start()), first);
        EXPECT_EQ(FromProto(response.points(response.points_size() - 1).bucket_end()), last);
        for (const auto& point : response.points()) {
          const CivilDay wfirst = FromProto(point.window_start());
          const CivilDay wlast = FromProto(point.window_end());
          const std::string where =
              absl::StrCat(zone, " bucket ", bucket, " window ", window, " at ", DateText(wlast));
          EXPECT_EQ(wlast, FromProto(point.bucket_end())) << where;
          if (window > 0) {
            EXPECT_EQ(wlast - wfirst + 1, window) << where;
          }
          ExpectCounts(point.summary(), SumDays(days, wfirst, wlast), where);
          if (point.delta().defined()) {
            // The delta is this period minus the previous one.
            const CivilDay pfirst =
                window > 0
                    ? wfirst - window
                    : core::BucketStart(wfirst - 1, static_cast<core::BucketSize>(bucket - 1));
            const core::NpsCounts prev = SumDays(days, pfirst, wfirst - 1);
            const core::NpsDifference d =
                core::CompareIndependent(prev, SumDays(days, wfirst, wlast));
            EXPECT_NEAR(point.delta().delta(), d.delta, 1e-9) << where;
            EXPECT_NEAR(point.delta().p_value(), d.p_value, 1e-9) << where;
          }
        }
      }
    }
  }
}

TEST_F(AnalyticsE2eTest, LateResponsesAndNewWritesAreCountedByTheNextRead) {
  LoadResponses(500, 3, "l");
  tnps::v1::GetNpsRequest request;
  *request.mutable_filter() = Filter(CivilDay(2026, 3, 1), CivilDay(2026, 11, 30));
  tnps::v1::GetNpsResponse before, after;
  ASSERT_TRUE(Nps(request, &before).ok());
  // A late response for a day already reported, acknowledged, then read.
  SurveyResponse late = ValidResponse("late-1", 0);
  late.mutable_interaction_time()->set_seconds(absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(2026, 3, 20, 12, 0, 0), absl::UTCTimeZone())));
  late.mutable_response_time()->set_seconds(late.interaction_time().seconds() + 60);
  ASSERT_TRUE(Submit(ingest_key_a_, late).ok());
  ASSERT_TRUE(Nps(request, &after).ok());
  EXPECT_EQ(after.summary().responses(), before.summary().responses() + 1);
  EXPECT_EQ(after.summary().detractors(), before.summary().detractors() + 1);
}

TEST_F(AnalyticsE2eTest, BreakdownsEqualARecountAndShrinkSmallAgents) {
  LoadResponses(2000, 4, "b");
  // One agent with two promoters only.
  SurveyResponse lucky = ValidResponse("lucky-1", 10);
  lucky.set_agent_id("agent-lucky");
  lucky.set_team_id("team-0");
  lucky.mutable_interaction_time()->set_seconds(absl::ToUnixSeconds(
      absl::FromCivil(absl::CivilSecond(2026, 3, 20, 12, 0, 0), absl::UTCTimeZone())));
  lucky.mutable_response_time()->set_seconds(lucky.interaction_time().seconds() + 60);
  ASSERT_TRUE(Submit(ingest_key_a_, lucky).ok());
  lucky.set_external_id("lucky-2");
  ASSERT_TRUE(Submit(ingest_key_a_, lucky).ok());

  tnps::v1::GetNpsBreakdownRequest request;
  *request.mutable_filter() = Filter(CivilDay(2026, 3, 1), CivilDay(2026, 11, 30));
  request.set_dimension(tnps::v1::DIMENSION_AGENT);
  request.set_order(tnps::v1::BREAKDOWN_ORDER_NPS_DESC);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + read_key_a_);
  tnps::v1::GetNpsBreakdownResponse response;
  ASSERT_TRUE(analytics_->GetNpsBreakdown(&context, request, &response).ok());
  ASSERT_EQ(response.total_rows(), 11);
  EXPECT_EQ(response.rows(0).key(), "agent-lucky");  // raw NPS 100 tops the raw board
  EXPECT_LT(response.rows(0).shrunk_nps(), 100);
  for (const auto& row : response.rows()) {
    const auto recount = RecountByDay(absl::StrCat("AND agent_id = '", row.key(), "'"));
    ExpectCounts(row.summary(), SumDays(recount, CivilDay(2026, 3, 1), CivilDay(2026, 11, 30)),
                 row.key());
  }

  // min_responses hides the lucky agent and says so; paging walks the rest.
  request.set_min_responses(10);
  request.set_page_size(4);
  request.set_order(tnps::v1::BREAKDOWN_ORDER_SHRUNK_NPS_DESC);
  std::vector<std::string> seen;
  std::string token, last_token;
  do {
    request.set_page_token(token);
    grpc::ClientContext page_context;
    page_context.AddMetadata("authorization", "Bearer " + read_key_a_);
    ASSERT_TRUE(analytics_->GetNpsBreakdown(&page_context, request, &response).ok());
    EXPECT_EQ(response.suppressed_rows(), 1);
    for (const auto& row : response.rows()) seen.push_back(row.key());
    token = response.next_page_token();
    if (!token.empty()) last_token = token;
  } while (!token.empty());
  EXPECT_EQ(seen.size(), 10u);

  // Tokens are opaque and bound to their query: an offset written by hand,
  // one past 2^64, or a real token replayed on another query are refused.
  ASSERT_FALSE(last_token.empty());
  const auto page_status = [&](const tnps::v1::GetNpsBreakdownRequest& r) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + read_key_a_);
    tnps::v1::GetNpsBreakdownResponse ignored;
    return analytics_->GetNpsBreakdown(&context, r, &ignored);
  };
  for (const std::string& forged :
       std::vector<std::string>{"4", "18446744073709551620", "YjE6NC4w", last_token + "x"}) {
    request.set_page_token(forged);
    grpc::Status status = page_status(request);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << forged;
    EXPECT_THAT(ViolatedFields(status), ElementsAre("page_token")) << forged;
  }
  tnps::v1::GetNpsBreakdownRequest other = request;
  other.set_min_responses(11);
  other.set_page_token(last_token);
  EXPECT_EQ(page_status(other).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  request.set_page_token(last_token);
  request.set_page_size(2);  // the page size may change between pages
  EXPECT_TRUE(page_status(request).ok());

  // Channels are named.
  request.Clear();
  *request.mutable_filter() = Filter(CivilDay(2026, 3, 1), CivilDay(2026, 11, 30));
  request.set_dimension(tnps::v1::DIMENSION_CHANNEL);
  request.set_order(tnps::v1::BREAKDOWN_ORDER_KEY_ASC);
  grpc::ClientContext channel_context;
  channel_context.AddMetadata("authorization", "Bearer " + read_key_a_);
  ASSERT_TRUE(analytics_->GetNpsBreakdown(&channel_context, request, &response).ok());
  std::vector<std::string> keys;
  for (const auto& row : response.rows()) keys.push_back(row.key());
  EXPECT_THAT(keys, ElementsAre("CHANNEL_CHAT", "CHANNEL_EMAIL", "CHANNEL_PHONE"));
}

TEST_F(AnalyticsE2eTest, CompareReportsTheDifferenceAndAnyOverlap) {
  LoadResponses(2000, 5, "c");
  const auto days = RecountByDay();
  tnps::v1::CompareNpsRequest request;
  *request.mutable_baseline() = Filter(CivilDay(2026, 3, 1), CivilDay(2026, 3, 31));
  *request.mutable_comparison() = Filter(CivilDay(2026, 10, 1), CivilDay(2026, 11, 30));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + read_key_a_);
  tnps::v1::CompareNpsResponse response;
  ASSERT_TRUE(analytics_->CompareNps(&context, request, &response).ok());
  const core::NpsCounts a = SumDays(days, CivilDay(2026, 3, 1), CivilDay(2026, 3, 31));
  const core::NpsCounts b = SumDays(days, CivilDay(2026, 10, 1), CivilDay(2026, 11, 30));
  ExpectCounts(response.baseline(), a, "baseline");
  ExpectCounts(response.comparison(), b, "comparison");
  const core::NpsDifference d = core::CompareIndependent(a, b);
  EXPECT_NEAR(response.delta().delta(), d.delta, 1e-9);
  EXPECT_NEAR(response.delta().standard_error(), d.standard_error, 1e-9);
  EXPECT_NEAR(response.delta().p_value(), d.p_value, 1e-9);
  EXPECT_EQ(response.overlapping_responses(), 0);

  // team-1 in all of 2026 against March for everyone overlaps in team-1's March.
  request.mutable_baseline()->add_team_ids("team-1");
  *request.mutable_baseline()->mutable_end_date() = ProtoDate(CivilDay(2026, 12, 31));
  *request.mutable_comparison() = Filter(CivilDay(2026, 3, 1), CivilDay(2026, 3, 31));
  grpc::ClientContext overlap_context;
  overlap_context.AddMetadata("authorization", "Bearer " + read_key_a_);
  ASSERT_TRUE(analytics_->CompareNps(&overlap_context, request, &response).ok());
  EXPECT_EQ(response.overlapping_responses(), SumDays(RecountByDay("AND team_id = 'team-1'"),
                                                      CivilDay(2026, 3, 1), CivilDay(2026, 3, 31))
                                                  .responses());
}

TEST_F(AnalyticsE2eTest, BadQueriesAreInvalidArgumentNamingTheField) {
  struct Case {
    std::function<void(tnps::v1::GetNpsTrendRequest&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.mutable_filter()->clear_start_date(); }, "filter.start_date"},
      {[](auto& r) { r.mutable_filter()->mutable_end_date()->set_year(2025); }, "filter.end_date"},
      {[](auto& r) { r.mutable_filter()->mutable_end_date()->set_year(2032); }, "filter.end_date"},
      {[](auto& r) { r.mutable_filter()->mutable_start_date()->set_month(13); },
       "filter.start_date"},
      {[](auto& r) { r.set_bucket(tnps::v1::BUCKET_UNSPECIFIED); }, "bucket"},
      {[](auto& r) { r.set_bucket(static_cast<tnps::v1::Bucket>(9)); }, "bucket"},
      {[](auto& r) { r.set_rolling_window_days(400); }, "rolling_window_days"},
      {[](auto& r) { r.mutable_filter()->add_channels(static_cast<tnps::v1::Channel>(9)); },
       "filter.channels"},
      {[](auto& r) {
         for (int i = 0; i < 1001; ++i) r.mutable_filter()->add_agent_ids(absl::StrCat("a", i));
       },
       "filter.agent_ids"},
      {[](auto& r) { r.set_interval_method(static_cast<tnps::v1::IntervalMethod>(7)); },
       "interval_method"},
      {[](auto& r) { r.set_confidence_level(1.5); }, "confidence_level"},
      {[](auto& r) { r.mutable_filter()->clear_end_date(); }, "filter.end_date"},
      {[](auto& r) {
         for (int i = 0; i < 1001; ++i) r.mutable_filter()->add_team_ids(absl::StrCat("t", i));
       },
       "filter.team_ids"},
      {[](auto& r) { r.mutable_filter()->set_cohort_id(-3); }, "filter.cohort_id"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    tnps::v1::GetNpsTrendRequest request;
    *request.mutable_filter() = Filter(CivilDay(2026, 3, 1), CivilDay(2026, 3, 31));
    request.set_bucket(tnps::v1::BUCKET_WEEK);
    cases[i].spoil(request);
    tnps::v1::GetNpsTrendResponse response;
    grpc::Status status = Trend(request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << i;
    EXPECT_THAT(ViolatedFields(status), ElementsAre(cases[i].field)) << i;
  }
}

TEST_F(AnalyticsE2eTest, BadBreakdownsAndComparisonsNameTheField) {
  tnps::v1::GetNpsBreakdownRequest breakdown;
  *breakdown.mutable_filter() = Filter(CivilDay(2026, 3, 1), CivilDay(2026, 3, 31));
  breakdown.set_dimension(static_cast<tnps::v1::Dimension>(8));
  breakdown.set_order(static_cast<tnps::v1::BreakdownOrder>(12));
  grpc::ClientContext breakdown_context;
  breakdown_context.AddMetadata("authorization", "Bearer " + read_key_a_);
  tnps::v1::GetNpsBreakdownResponse breakdown_response;
  const grpc::Status breakdown_status =
      analytics_->GetNpsBreakdown(&breakdown_context, breakdown, &breakdown_response);
  EXPECT_EQ(breakdown_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(breakdown_status), ElementsAre("dimension", "order"));

  // Each side of a comparison is named by its own prefix.
  tnps::v1::CompareNpsRequest compare;
  *compare.mutable_baseline() = Filter(CivilDay(2026, 3, 31), CivilDay(2026, 3, 1));
  *compare.mutable_comparison() = Filter(CivilDay(2026, 3, 1), CivilDay(2026, 3, 31));
  compare.mutable_comparison()->add_channels(tnps::v1::CHANNEL_UNSPECIFIED);
  grpc::ClientContext compare_context;
  compare_context.AddMetadata("authorization", "Bearer " + read_key_a_);
  tnps::v1::CompareNpsResponse compare_response;
  const grpc::Status compare_status =
      analytics_->CompareNps(&compare_context, compare, &compare_response);
  EXPECT_EQ(compare_status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(compare_status),
              ElementsAre("baseline.end_date", "comparison.channels"));
}

TEST_F(AnalyticsE2eTest, ACohortFilterCountsItsEnrolledAgentsOnly) {
  LoadResponses(1500, 6, "h");
  const int64_t cohort = CreateCohort(admin_key_a_, {"agent-1", "agent-4", "agent-7"});
  const CivilDay first(2026, 3, 1), last(2026, 11, 30);
  const core::NpsCounts enrolled =
      SumDays(RecountByDay("AND agent_id IN ('agent-1', 'agent-4', 'agent-7')"), first, last);
  ASSERT_GT(enrolled.responses(), 0);

  tnps::v1::GetNpsRequest request;
  *request.mutable_filter() = Filter(first, last);
  request.mutable_filter()->set_cohort_id(cohort);
  tnps::v1::GetNpsResponse response;
  ASSERT_TRUE(Nps(request, &response).ok());
  ExpectCounts(response.summary(), enrolled, "cohort");

  // With agent ids as well, an agent must be in both.
  request.mutable_filter()->add_agent_ids("agent-4");
  request.mutable_filter()->add_agent_ids("agent-5");
  ASSERT_TRUE(Nps(request, &response).ok());
  ExpectCounts(response.summary(), SumDays(RecountByDay("AND agent_id = 'agent-4'"), first, last),
               "cohort and agent-4, agent-5");

  // A breakdown of the cohort lists its agents.
  tnps::v1::GetNpsBreakdownRequest breakdown;
  *breakdown.mutable_filter() = Filter(first, last);
  breakdown.mutable_filter()->set_cohort_id(cohort);
  breakdown.set_dimension(tnps::v1::DIMENSION_AGENT);
  breakdown.set_order(tnps::v1::BREAKDOWN_ORDER_KEY_ASC);
  grpc::ClientContext breakdown_context;
  breakdown_context.AddMetadata("authorization", "Bearer " + read_key_a_);
  tnps::v1::GetNpsBreakdownResponse rows;
  ASSERT_TRUE(analytics_->GetNpsBreakdown(&breakdown_context, breakdown, &rows).ok());
  std::vector<std::string> keys;
  for (const auto& row : rows.rows()) keys.push_back(row.key());
  EXPECT_THAT(keys, ElementsAre("agent-1", "agent-4", "agent-7"));

  // The cohort against the other agents: disjoint, the delta of the recounts.
  tnps::v1::CompareNpsRequest compare;
  *compare.mutable_baseline() = Filter(first, last);
  for (const char* agent :
       {"agent-0", "agent-2", "agent-3", "agent-5", "agent-6", "agent-8", "agent-9"}) {
    compare.mutable_baseline()->add_agent_ids(agent);
  }
  *compare.mutable_comparison() = Filter(first, last);
  compare.mutable_comparison()->set_cohort_id(cohort);
  grpc::ClientContext compare_context;
  compare_context.AddMetadata("authorization", "Bearer " + read_key_a_);
  tnps::v1::CompareNpsResponse compared;
  ASSERT_TRUE(analytics_->CompareNps(&compare_context, compare, &compared).ok());
  const core::NpsCounts others =
      SumDays(RecountByDay("AND agent_id NOT IN ('agent-1', 'agent-4', 'agent-7')"), first, last);
  ExpectCounts(compared.baseline(), others, "untrained");
  ExpectCounts(compared.comparison(), enrolled, "cohort");
  EXPECT_NEAR(compared.delta().delta(), core::CompareIndependent(others, enrolled).delta, 1e-9);
  EXPECT_EQ(compared.overlapping_responses(), 0);

  // Cohorts are numbered per tenant: the other tenant's first is 1 too,
  // and its second, which this tenant does not have, is not found here.
  ASSERT_TRUE(Submit(ingest_key_b_, ValidResponse("b-1", 3)).ok());
  ASSERT_TRUE(Submit(ingest_key_b_, ValidResponse("b-2", 3)).ok());
  EXPECT_EQ(CreateCohort(admin_key_b_, {"agent-1"}), cohort);
  const int64_t other_tenants = CreateCohort(admin_key_b_, {"agent-1"});
  EXPECT_EQ(other_tenants, cohort + 1);
  for (const int64_t id : {other_tenants, int64_t{987654}}) {
    request.mutable_filter()->clear_agent_ids();
    request.mutable_filter()->set_cohort_id(id);
    EXPECT_EQ(Nps(request, &response).error_code(), grpc::StatusCode::NOT_FOUND) << id;
  }
}

TEST_F(AnalyticsE2eTest, IngestKeysMayNotReadAndEmptyPeriodsAreFlagged) {
  tnps::v1::GetNpsRequest request;
  *request.mutable_filter() = Filter(CivilDay(2026, 3, 1), CivilDay(2026, 3, 31));
  tnps::v1::GetNpsResponse response;
  EXPECT_EQ(Nps(request, &response, ingest_key_a_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Nps(request, &response, admin_key_a_).ok());
  EXPECT_TRUE(response.summary().empty());
  EXPECT_TRUE(response.summary().low_sample());
  EXPECT_EQ(response.summary().nps(), 0);
}

}  // namespace
}  // namespace tnps::testing
