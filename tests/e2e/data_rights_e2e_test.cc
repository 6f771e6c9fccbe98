// ResponseService through the real server: read back, amend, export,
// erase and exclude, with every analytics and training answer checked
// against a tenant that never had the erased responses.
#include <gmock/gmock.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <set>

#include "absl/strings/str_cat.h"
#include "tests/e2e/ingest_fixture.h"
#include "tnps/v1/analytics_service.grpc.pb.h"
#include "tnps/v1/response_service.grpc.pb.h"
#include "tnps/v1/training_service.grpc.pb.h"

namespace tnps::testing {
namespace {

using absl::CivilDay;
using google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(0);
}

absl::Time Zurich(CivilDay day, int hour) {
  static const absl::TimeZone zone = [] {
    absl::TimeZone z;
    absl::LoadTimeZone("Europe/Zurich", &z);
    return z;
  }();
  return absl::FromCivil(absl::CivilHour(day.year(), day.month(), day.day(), hour), zone);
}

class DataRightsE2eTest : public IngestFixture {
 protected:
  void SetUp() override {
    IngestFixture::SetUp();
    auto channel = server_->NewChannel();
    responses_ = tnps::v1::ResponseService::NewStub(channel);
    analytics_ = tnps::v1::AnalyticsService::NewStub(channel);
    training_ = tnps::v1::TrainingService::NewStub(channel);
  }

  void TearDown() override {
    responses_.reset();
    analytics_.reset();
    training_.reset();
    IngestFixture::TearDown();
  }

  // A second tenant in tenant-a's zone, with an admin key: the recount.
  std::string CreateRecountTenant() {
    storage::TenantStore tenants(*pool_);
    storage::ApiKeyStore keys(*pool_);
    EXPECT_TRUE(tenants.Create("recount", "Europe/Zurich").ok());
    absl::StatusOr<storage::IssuedKey> key = keys.Issue("recount", core::Role::kAdmin);
    EXPECT_TRUE(key.ok());
    return key.ok() ? key->key : "";
  }

  void SubmitAll(const std::string& key, const std::vector<tnps::v1::SurveyResponse>& all) {
    for (size_t i = 0; i < all.size(); i += 1000) {
      std::vector<tnps::v1::SurveyResponse> batch(all.begin() + i,
                                                  all.begin() + std::min(all.size(), i + 1000));
      tnps::v1::SubmitResponsesResponse reply;
      ASSERT_TRUE(SubmitBatch(key, batch, &reply).ok());
      ASSERT_EQ(reply.accepted_count(), static_cast<int>(batch.size()));
    }
  }

  tnps::v1::GetResponseResponse Get(const std::string& key, const std::string& external_id,
                                    grpc::Status* status) {
    tnps::v1::GetResponseRequest request;
    request.set_external_id(external_id);
    tnps::v1::GetResponseResponse out;
    *status = responses_->GetResponse(Context(key).get(), request, &out);
    return out;
  }

  // Reads an export to its end, or to `max_messages`; the messages read.
  std::vector<tnps::v1::ExportResponsesResponse> Export(
      const std::string& key, const tnps::v1::ExportResponsesRequest& request, grpc::Status* status,
      size_t max_messages = 1000000) {
    auto context = Context(key);
    auto reader = responses_->ExportResponses(context.get(), request);
    std::vector<tnps::v1::ExportResponsesResponse> messages;
    tnps::v1::ExportResponsesResponse message;
    while (messages.size() < max_messages && reader->Read(&message)) messages.push_back(message);
    if (messages.size() >= max_messages) context->TryCancel();
    *status = reader->Finish();
    return messages;
  }

  std::unique_ptr<tnps::v1::ResponseService::Stub> responses_;
  std::unique_ptr<tnps::v1::AnalyticsService::Stub> analytics_;
  std::unique_ptr<tnps::v1::TrainingService::Stub> training_;
};

// Two years of responses by eight agents in two teams over three channels;
// "cust-erase" answered every 37th time, whoever served them.
std::vector<tnps::v1::SurveyResponse> TwoYears() {
  std::vector<tnps::v1::SurveyResponse> out;
  const CivilDay first(2024, 11, 1);
  for (int i = 0; i < 3000; ++i) {
    tnps::v1::SurveyResponse r;
    r.set_external_id(absl::StrCat("ext-", i));
    r.set_interaction_id(absl::StrCat("call-", i));
    const int agent = (i * 5) % 8;
    r.set_agent_id(absl::StrCat("agent-", agent));
    r.set_team_id(agent < 4 ? "team-north" : "team-south");
    r.set_channel(static_cast<tnps::v1::Channel>(1 + i % 3));
    r.set_customer_ref(i % 37 == 0 ? "cust-erase" : absl::StrCat("cust-", i));
    // The erased customer is unhappy: their removal moves every figure.
    r.set_score(i % 37 == 0 ? i % 4 : (i * 7 + agent) % 11);
    r.set_comment(absl::StrCat("comment ", i));
    const absl::Time when = Zurich(first + (i * 13) % 729, 8 + i % 10);
    SetTime(when, r.mutable_interaction_time());
    SetTime(when + absl::Minutes(20), r.mutable_response_time());
    (*r.mutable_attributes())["queue"] = i % 2 == 0 ? "billing" : "tech";
    out.push_back(r);
  }
  return out;
}

// The same programme in a tenant: two waves, four agents never trained.
void SetUpProgramme(tnps::v1::TrainingService::Stub& training, const std::string& admin_key) {
  tnps::v1::CreateProgramRequest program;
  program.mutable_program()->set_name("Empathy");
  program.mutable_program()->set_hours_per_participant(8);
  program.mutable_program()->set_cost_per_hour_micros(50'000'000);
  program.mutable_program()->set_currency_code("EUR");
  tnps::v1::CreateProgramResponse created;
  ASSERT_TRUE(training.CreateProgram(Context(admin_key).get(), program, &created).ok());
  const std::vector<std::pair<std::vector<std::string>, CivilDay>> waves = {
      {{"agent-0", "agent-1"}, CivilDay(2025, 9, 10)},
      {{"agent-4", "agent-5"}, CivilDay(2026, 3, 11)}};
  for (size_t w = 0; w < waves.size(); ++w) {
    tnps::v1::CreateCohortRequest cohort;
    cohort.mutable_cohort()->set_program_id(created.program().program_id());
    cohort.mutable_cohort()->set_name(absl::StrCat("Wave ", w + 1));
    *cohort.mutable_cohort()->mutable_planned_start_date() = ProtoDate(waves[w].second - 2);
    *cohort.mutable_cohort()->mutable_planned_end_date() = ProtoDate(waves[w].second);
    tnps::v1::CreateCohortResponse cohort_created;
    ASSERT_TRUE(training.CreateCohort(Context(admin_key).get(), cohort, &cohort_created).ok());
    tnps::v1::EnrollAgentsRequest enroll;
    enroll.set_cohort_id(cohort_created.cohort().cohort_id());
    for (const auto& a : waves[w].first) enroll.add_agent_ids(a);
    SetTime(Zurich(waves[w].second - 20, 9), enroll.mutable_enroll_time());
    tnps::v1::EnrollAgentsResponse enrolled;
    ASSERT_TRUE(training.EnrollAgents(Context(admin_key).get(), enroll, &enrolled).ok());
    tnps::v1::RecordCompletionsRequest complete;
    complete.set_cohort_id(cohort_created.cohort().cohort_id());
    for (const auto& a : waves[w].first) {
      tnps::v1::Completion* c = complete.add_completions();
      c->set_agent_id(a);
      SetTime(Zurich(waves[w].second, 16), c->mutable_completion_time());
    }
    tnps::v1::RecordCompletionsResponse completed;
    ASSERT_TRUE(training.RecordCompletions(Context(admin_key).get(), complete, &completed).ok());
  }
}

// Every analytics and training answer of a tenant, as one list of messages
// to compare.
std::vector<std::unique_ptr<google::protobuf::Message>> Answers(
    tnps::v1::AnalyticsService::Stub& analytics, tnps::v1::TrainingService::Stub& training,
    const std::string& key) {
  std::vector<std::unique_ptr<google::protobuf::Message>> out;
  tnps::v1::NpsFilter all;
  *all.mutable_start_date() = ProtoDate(CivilDay(2024, 11, 1));
  *all.mutable_end_date() = ProtoDate(CivilDay(2026, 10, 31));
  std::vector<tnps::v1::NpsFilter> filters = {all, all, all, all};
  filters[1].add_team_ids("team-south");
  filters[2].add_channels(tnps::v1::CHANNEL_CHAT);
  filters[3].add_agent_ids("agent-3");
  filters[3].add_agent_ids("agent-6");
  for (const auto& filter : filters) {
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter() = filter;
    auto answer = std::make_unique<tnps::v1::GetNpsResponse>();
    EXPECT_TRUE(analytics.GetNps(Context(key).get(), request, answer.get()).ok());
    out.push_back(std::move(answer));
    for (const auto bucket : {tnps::v1::BUCKET_WEEK, tnps::v1::BUCKET_MONTH}) {
      tnps::v1::GetNpsTrendRequest trend;
      *trend.mutable_filter() = filter;
      trend.set_bucket(bucket);
      trend.set_rolling_window_days(bucket == tnps::v1::BUCKET_WEEK ? 28 : 0);
      trend.set_include_deltas(true);
      auto points = std::make_unique<tnps::v1::GetNpsTrendResponse>();
      EXPECT_TRUE(analytics.GetNpsTrend(Context(key).get(), trend, points.get()).ok());
      out.push_back(std::move(points));
    }
    for (const auto dimension :
         {tnps::v1::DIMENSION_AGENT, tnps::v1::DIMENSION_TEAM, tnps::v1::DIMENSION_CHANNEL}) {
      tnps::v1::GetNpsBreakdownRequest breakdown;
      *breakdown.mutable_filter() = filter;
      breakdown.set_dimension(dimension);
      auto rows = std::make_unique<tnps::v1::GetNpsBreakdownResponse>();
      EXPECT_TRUE(analytics.GetNpsBreakdown(Context(key).get(), breakdown, rows.get()).ok());
      out.push_back(std::move(rows));
    }
  }
  tnps::v1::CompareNpsRequest compare;
  *compare.mutable_baseline() = all;
  compare.mutable_baseline()->add_team_ids("team-north");
  *compare.mutable_comparison() = filters[1];
  auto compared = std::make_unique<tnps::v1::CompareNpsResponse>();
  EXPECT_TRUE(analytics.CompareNps(Context(key).get(), compare, compared.get()).ok());
  out.push_back(std::move(compared));

  for (const auto period : {tnps::v1::PERIOD_MONTH, tnps::v1::PERIOD_WEEK}) {
    tnps::v1::GetProgramImpactRequest impact;
    impact.set_program_id(1);
    impact.set_period(period);
    *impact.mutable_start_date() = ProtoDate(CivilDay(2024, 11, 1));
    *impact.mutable_end_date() = ProtoDate(CivilDay(2026, 10, 31));
    auto estimate = std::make_unique<tnps::v1::GetProgramImpactResponse>();
    grpc::Status status = training.GetProgramImpact(Context(key).get(), impact, estimate.get());
    EXPECT_TRUE(status.ok()) << status.error_message();
    // When the programme was created is the tenant's own.
    estimate->mutable_program()->clear_create_time();
    out.push_back(std::move(estimate));
  }
  for (int cohort : {1, 2}) {
    tnps::v1::GetCohortUpliftRequest uplift;
    uplift.set_cohort_id(cohort);
    uplift.set_pre_days(90);
    uplift.set_post_days(90);
    auto estimate = std::make_unique<tnps::v1::GetCohortUpliftResponse>();
    grpc::Status status = training.GetCohortUplift(Context(key).get(), uplift, estimate.get());
    EXPECT_TRUE(status.ok()) << status.error_message();
    estimate->mutable_cohort()->clear_create_time();
    out.push_back(std::move(estimate));
  }
  return out;
}

size_t DifferingAnswers(const std::vector<std::unique_ptr<google::protobuf::Message>>& a,
                        const std::vector<std::unique_ptr<google::protobuf::Message>>& b) {
  EXPECT_EQ(a.size(), b.size());
  size_t differing = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (!MessageDifferencer::Equals(*a[i], *b[i])) ++differing;
  }
  return differing;
}

TEST_F(DataRightsE2eTest, ErasingACustomerLeavesEveryAnswerEqualToARecount) {
  const std::string recount_key = CreateRecountTenant();
  const std::vector<tnps::v1::SurveyResponse> all = TwoYears();
  std::vector<tnps::v1::SurveyResponse> remaining;
  std::set<std::string> agents_of_customer;
  std::set<int> years_of_customer;
  for (const auto& r : all) {
    if (r.customer_ref() != "cust-erase") {
      remaining.push_back(r);
    } else {
      agents_of_customer.insert(r.agent_id());
      years_of_customer.insert(
          static_cast<int>(absl::ToCivilYear(absl::FromUnixSeconds(r.interaction_time().seconds()),
                                             absl::UTCTimeZone())
                               .year()));
    }
  }
  ASSERT_EQ(all.size() - remaining.size(), 82u);
  ASSERT_EQ(agents_of_customer.size(), 8u);
  ASSERT_EQ(years_of_customer, (std::set<int>{2024, 2025, 2026}));
  SubmitAll(ingest_key_a_, all);
  SubmitAll(recount_key, remaining);
  SetUpProgramme(*training_, admin_key_a_);
  SetUpProgramme(*training_, recount_key);

  const auto before = Answers(*analytics_, *training_, read_key_a_);
  const auto recount = Answers(*analytics_, *training_, recount_key);
  // The customer's responses move every figure: the comparison can fail.
  EXPECT_GE(DifferingAnswers(before, recount), before.size() - 2);

  tnps::v1::EraseResponsesRequest erase;
  erase.set_customer_ref("cust-erase");
  erase.set_request_reference("DSR-2026-114");
  tnps::v1::EraseResponsesResponse erased;
  grpc::Status status = responses_->EraseResponses(Context(admin_key_a_).get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(erased.erased_count(), 82);

  const auto after = Answers(*analytics_, *training_, read_key_a_);
  EXPECT_EQ(DifferingAnswers(after, recount), 0u);
  for (size_t i = 0; i < std::min(after.size(), recount.size()); ++i) {
    EXPECT_TRUE(MessageDifferencer::Equals(*after[i], *recount[i]))
        << after[i]->GetTypeName() << " #" << i << "\n"
        << after[i]->ShortDebugString().substr(0, 400) << "\nrecount:\n"
        << recount[i]->ShortDebugString().substr(0, 400);
  }
  EXPECT_EQ(db_->QueryInt(kRollupMismatchSql), 0);
  // Again: nothing more to erase, and the answers stay.
  status = responses_->EraseResponses(Context(admin_key_a_).get(), erase, &erased);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(erased.erased_count(), 0);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM audit_events WHERE action = 'responses.erase' "
                          "AND summary->>'request_reference' = 'DSR-2026-114'"),
            2);
}

TEST_F(DataRightsE2eTest, ReadBackShowsTheCustomerOnlyToAdmins) {
  tnps::v1::SubmitResponseResponse stored;
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("crm-1", 6), &stored).ok());
  grpc::Status status;
  tnps::v1::GetResponseResponse read = Get(read_key_a_, "crm-1", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(read.response().response_id(), stored.response_id());
  EXPECT_EQ(read.response().response().score(), 6);
  EXPECT_EQ(read.response().response().comment(), "She listened and solved it.");
  EXPECT_EQ(read.response().response().attributes().at("queue"), "billing");
  EXPECT_EQ(read.response().response().customer_ref(), "");
  EXPECT_EQ(read.response().version(), 1);
  EXPECT_FALSE(read.response().excluded());
  tnps::v1::GetResponseResponse admin = Get(admin_key_a_, "crm-1", &status);
  EXPECT_EQ(admin.response().response().customer_ref(), "cust-42");
  // Ingest keys cannot read; other tenants do not see it.
  Get(ingest_key_a_, "crm-1", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  Get(admin_key_b_, "crm-1", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  Get(read_key_a_, "", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"external_id"});
}

TEST_F(DataRightsE2eTest, ACommentThatArrivesLaterIsAnAmendment) {
  tnps::v1::SurveyResponse first = ValidResponse("crm-7", 3);
  first.clear_comment();
  ASSERT_TRUE(Submit(ingest_key_a_, first).ok());
  // Resending with the comment names the field that differs.
  grpc::Status status = Submit(ingest_key_a_, ValidResponse("crm-7", 3));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("differing fields: comment"));

  tnps::v1::AmendResponseRequest amend;
  amend.set_external_id("crm-7");
  amend.mutable_response()->set_comment("Nobody called back.");
  (*amend.mutable_response()->mutable_attributes())["language"] = "de";
  amend.mutable_update_mask()->add_paths("comment");
  amend.mutable_update_mask()->add_paths("attributes");
  amend.set_expected_version(1);
  tnps::v1::AmendResponseResponse amended;
  status = responses_->AmendResponse(Context(ingest_key_a_).get(), amend, &amended);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(amended.changed());
  EXPECT_EQ(amended.response().version(), 2);
  EXPECT_EQ(amended.response().response().comment(), "Nobody called back.");
  EXPECT_EQ(amended.response().response().attributes().size(), 1u);
  EXPECT_EQ(amended.response().response().score(), 3);
  // A retry of the same amendment changes nothing.
  status = responses_->AmendResponse(Context(ingest_key_a_).get(), amend, &amended);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_FALSE(amended.changed());
  EXPECT_EQ(amended.response().version(), 2);

  // The facts of the interaction cannot be amended.
  tnps::v1::AmendResponseRequest score = amend;
  score.mutable_response()->set_score(10);
  status = responses_->AmendResponse(Context(ingest_key_a_).get(), score, &amended);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"response.score"});
  tnps::v1::AmendResponseRequest mask = amend;
  mask.mutable_update_mask()->add_paths("agent_id");
  status = responses_->AmendResponse(Context(ingest_key_a_).get(), mask, &amended);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"update_mask.paths[2]"});
  tnps::v1::AmendResponseRequest unknown = amend;
  unknown.set_external_id("crm-unknown");
  status = responses_->AmendResponse(Context(ingest_key_a_).get(), unknown, &amended);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  tnps::v1::AmendResponseRequest stale = amend;
  stale.mutable_response()->set_comment("Changed my mind.");
  status = responses_->AmendResponse(Context(ingest_key_a_).get(), stale, &amended);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED);
  status = responses_->AmendResponse(Context(read_key_a_).get(), amend, &amended);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(DataRightsE2eTest, ListingPagesByACursorThatOnlyItsQueryAndTenantCanUse) {
  std::vector<tnps::v1::SurveyResponse> rs;
  const CivilDay day(2026, 10, 5);
  for (int i = 0; i < 250; ++i) {
    tnps::v1::SurveyResponse r = ValidResponse(absl::StrCat("l-", i), i % 11);
    SetTime(Zurich(day + i % 10, 9) + absl::Minutes(i), r.mutable_interaction_time());
    SetTime(Zurich(day + i % 10, 9) + absl::Minutes(i + 5), r.mutable_response_time());
    rs.push_back(r);
  }
  SubmitAll(ingest_key_a_, rs);
  SubmitAll(ingest_key_b_, rs);

  tnps::v1::ListResponsesRequest request;
  *request.mutable_filter()->mutable_start_date() = ProtoDate(day);
  *request.mutable_filter()->mutable_end_date() = ProtoDate(day + 9);
  std::vector<std::string> seen;
  int64_t previous = std::numeric_limits<int64_t>::max();
  for (int page = 0; page < 10; ++page) {
    tnps::v1::ListResponsesResponse out;
    grpc::Status status = responses_->ListResponses(Context(read_key_a_).get(), request, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
    for (const auto& r : out.responses()) {
      EXPECT_LE(r.response().interaction_time().seconds(), previous);
      previous = r.response().interaction_time().seconds();
      seen.push_back(r.response().external_id());
    }
    if (out.next_page_token().empty()) break;
    request.set_page_token(out.next_page_token());
  }
  EXPECT_EQ(seen.size(), 250u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 250u);

  // Filters: scores 0..6, given in a window, oldest first.
  tnps::v1::ListResponsesRequest narrow;
  *narrow.mutable_filter() = request.filter();
  narrow.set_max_score(6);
  SetTime(Zurich(day + 2, 0), narrow.mutable_response_start_time());
  SetTime(Zurich(day + 4, 0), narrow.mutable_response_end_time());
  narrow.set_order(tnps::v1::RESPONSE_ORDER_OLDEST_FIRST);
  narrow.set_page_size(1000);
  tnps::v1::ListResponsesResponse out;
  ASSERT_TRUE(responses_->ListResponses(Context(read_key_a_).get(), narrow, &out).ok());
  int expected = 0;
  for (int i = 0; i < 250; ++i) expected += (i % 10 == 2 || i % 10 == 3) && i % 11 <= 6;
  EXPECT_EQ(out.responses_size(), expected);
  for (const auto& r : out.responses()) EXPECT_LE(r.response().score(), 6);

  // The token belongs to tenant-a's query: tenant-b, another query, or an
  // edited token are refused.
  tnps::v1::ListResponsesRequest stolen = request;
  grpc::Status status = responses_->ListResponses(Context(admin_key_b_).get(), stolen, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"page_token"});
  tnps::v1::ListResponsesRequest other_query = request;
  other_query.set_min_score(1);
  status = responses_->ListResponses(Context(read_key_a_).get(), other_query, &out);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"page_token"});
  tnps::v1::ListResponsesRequest edited = request;
  edited.set_page_token("bDE6MTc2MDAwMDAwMDAwMDAwMDoxMjM0.0000");
  status = responses_->ListResponses(Context(read_key_a_).get(), edited, &out);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"page_token"});
  // A data subject's access request: their responses, for admin keys only.
  tnps::v1::ListResponsesRequest subject;
  *subject.mutable_filter() = request.filter();
  subject.set_customer_ref("cust-42");
  subject.set_page_size(1000);
  status = responses_->ListResponses(Context(read_key_a_).get(), subject, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(responses_->ListResponses(Context(admin_key_a_).get(), subject, &out).ok());
  EXPECT_EQ(out.responses_size(), 250);
  EXPECT_EQ(out.responses(0).response().customer_ref(), "cust-42");
  subject.set_customer_ref("cust-nobody");
  ASSERT_TRUE(responses_->ListResponses(Context(admin_key_a_).get(), subject, &out).ok());
  EXPECT_EQ(out.responses_size(), 0);
  tnps::v1::ListResponsesRequest no_range;
  status = responses_->ListResponses(Context(read_key_a_).get(), no_range, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(DataRightsE2eTest, ExportsResumeFromAnyCursorAndSyncChangesAndErasures) {
  std::vector<tnps::v1::SurveyResponse> rs = TwoYears();
  rs.resize(2500);
  SubmitAll(ingest_key_a_, rs);
  SubmitAll(ingest_key_b_, {ValidResponse("b-only", 9)});

  // Interrupted after the first message, resumed from its cursor.
  grpc::Status status;
  std::vector<tnps::v1::ExportResponsesResponse> first =
      Export(read_key_a_, {}, &status, /*max_messages=*/1);
  ASSERT_EQ(first.size(), 1u);
  ASSERT_FALSE(first[0].cursor().empty());
  tnps::v1::ExportResponsesRequest resume;
  resume.set_cursor(first[0].cursor());
  std::vector<tnps::v1::ExportResponsesResponse> rest = Export(read_key_a_, resume, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::set<std::string> ids;
  size_t rows = 0;
  for (const auto* part : {&first, &rest}) {
    for (const auto& m : *part) {
      for (const auto& r : m.responses()) {
        ids.insert(r.response().external_id());
        EXPECT_EQ(r.response().customer_ref(), "");
        ++rows;
      }
    }
  }
  EXPECT_EQ(rows, 2500u);
  EXPECT_EQ(ids.size(), 2500u);
  const std::string sync_token = rest.back().sync_token();
  ASSERT_FALSE(sync_token.empty());

  // Changes: an amendment, a new response, an erasure.
  tnps::v1::AmendResponseRequest amend;
  amend.set_external_id("ext-10");
  amend.mutable_response()->set_comment("Amended.");
  amend.mutable_update_mask()->add_paths("comment");
  tnps::v1::AmendResponseResponse amended;
  ASSERT_TRUE(responses_->AmendResponse(Context(ingest_key_a_).get(), amend, &amended).ok());
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("ext-new", 8)).ok());
  tnps::v1::EraseResponsesRequest erase;
  erase.add_external_ids("ext-11");
  tnps::v1::EraseResponsesResponse erased;
  ASSERT_TRUE(responses_->EraseResponses(Context(admin_key_a_).get(), erase, &erased).ok());
  ASSERT_EQ(erased.erased_count(), 1);
  tnps::v1::ExportResponsesRequest incremental;
  incremental.set_sync_token(sync_token);
  std::vector<tnps::v1::ExportResponsesResponse> changes =
      Export(admin_key_a_, incremental, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::set<std::string> changed;
  int removals = 0;
  for (const auto& m : changes) {
    for (const auto& r : m.responses()) changed.insert(r.response().external_id());
    removals += m.removals_size();
    for (const auto& r : m.removals()) EXPECT_EQ(r.reason(), "erasure");
  }
  EXPECT_EQ(changed, (std::set<std::string>{"ext-10", "ext-new"}));
  EXPECT_EQ(removals, 1);
  // Admin exports carry the customer.
  for (const auto& m : changes) {
    for (const auto& r : m.responses()) {
      if (r.response().external_id() == "ext-10") {
        EXPECT_EQ(r.response().customer_ref(), "cust-10");
      }
    }
  }

  // Tokens are the tenant's own; times older than the removal records are
  // refused; both selectors at once are refused.
  grpc::Status got;
  Export(admin_key_b_, incremental, &got);
  EXPECT_EQ(got.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(got), std::vector<std::string>{"sync_token"});
  tnps::v1::ExportResponsesRequest bad_cursor;
  bad_cursor.set_cursor("not-a-cursor");
  Export(read_key_a_, bad_cursor, &got);
  EXPECT_EQ(got.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(got), std::vector<std::string>{"cursor"});
  tnps::v1::ExportResponsesRequest ancient;
  SetTime(absl::Now() - absl::Hours(24 * 100), ancient.mutable_changed_since());
  Export(read_key_a_, ancient, &got);
  EXPECT_EQ(got.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  tnps::v1::ExportResponsesRequest both = incremental;
  SetTime(absl::Now() - absl::Hours(1), both.mutable_changed_since());
  Export(read_key_a_, both, &got);
  EXPECT_EQ(got.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  Export(ingest_key_a_, {}, &got);
  EXPECT_EQ(got.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // By time: what changed in the last hour (every response of the test).
  tnps::v1::ExportResponsesRequest recent;
  SetTime(absl::Now() - absl::Hours(1), recent.mutable_changed_since());
  std::vector<tnps::v1::ExportResponsesResponse> by_time = Export(read_key_a_, recent, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  size_t recent_rows = 0;
  int recent_removals = 0;
  for (const auto& m : by_time) {
    recent_rows += m.responses_size();
    recent_removals += m.removals_size();
  }
  EXPECT_EQ(recent_rows, 2500u);
  EXPECT_EQ(recent_removals, 1);
}

TEST_F(DataRightsE2eTest, ErasureNeedsASelectorAndSuppressionRefusesResubmission) {
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("crm-9", 9)).ok());
  tnps::v1::EraseResponsesRequest nothing;
  tnps::v1::EraseResponsesResponse erased;
  grpc::Status status = responses_->EraseResponses(Context(admin_key_a_).get(), nothing, &erased);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ResponseCount(), 1);
  tnps::v1::EraseResponsesRequest erase;
  erase.add_external_ids("crm-9");
  erase.set_suppress_resubmission(true);
  status = responses_->EraseResponses(Context(read_key_a_).get(), erase, &erased);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = responses_->EraseResponses(Context(admin_key_a_).get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(erased.erased_count(), 1);
  EXPECT_EQ(ResponseCount(), 0);

  status = Submit(ingest_key_a_, ValidResponse("crm-9", 9));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  tnps::v1::SubmitResponsesResponse batch;
  ASSERT_TRUE(
      SubmitBatch(ingest_key_a_, {ValidResponse("crm-9", 9), ValidResponse("crm-10", 9)}, &batch)
          .ok());
  EXPECT_EQ(batch.results(0).outcome(), tnps::v1::ITEM_OUTCOME_SUPPRESSED);
  EXPECT_EQ(batch.results(1).outcome(), tnps::v1::ITEM_OUTCOME_ACCEPTED);
  EXPECT_EQ(batch.rejected_count(), 1);
  EXPECT_EQ(ResponseCount(), 1);
}

TEST_F(DataRightsE2eTest, ExclusionsLeaveTestTrafficOutOfEveryFigure) {
  std::vector<tnps::v1::SurveyResponse> rs;
  for (int i = 0; i < 30; ++i) {
    tnps::v1::SurveyResponse r = ValidResponse(absl::StrCat("x-", i), 10);
    r.set_agent_id(i < 10 ? "qa-bot" : "agent-1");
    if (i >= 25) r.set_score(0);
    rs.push_back(r);
  }
  SubmitAll(ingest_key_a_, rs);
  const auto nps = [&] {
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter()->mutable_start_date() = ProtoDate(CivilDay(2026, 1, 1));
    *request.mutable_filter()->mutable_end_date() = ProtoDate(CivilDay(2027, 1, 1));
    tnps::v1::GetNpsResponse out;
    EXPECT_TRUE(analytics_->GetNps(Context(read_key_a_).get(), request, &out).ok());
    return out.summary();
  };
  EXPECT_EQ(nps().responses(), 30);

  tnps::v1::SetAgentExclusionRequest agent;
  agent.set_agent_id("qa-bot");
  agent.set_excluded(true);
  tnps::v1::SetAgentExclusionResponse agent_done;
  grpc::Status status =
      responses_->SetAgentExclusion(Context(admin_key_a_).get(), agent, &agent_done);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(status), std::vector<std::string>{"reason"});
  agent.set_reason("QA integration posts test surveys");
  status = responses_->SetAgentExclusion(Context(admin_key_a_).get(), agent, &agent_done);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(agent_done.changed());
  EXPECT_EQ(nps().responses(), 20);

  tnps::v1::SetResponseExclusionRequest one;
  one.add_external_ids("x-29");
  one.set_excluded(true);
  one.set_reason("probe by the integrator");
  tnps::v1::SetResponseExclusionResponse one_done;
  ASSERT_TRUE(responses_->SetResponseExclusion(Context(admin_key_a_).get(), one, &one_done).ok());
  EXPECT_EQ(one_done.changed_count(), 1);
  const tnps::v1::NpsSummary summary = nps();
  EXPECT_EQ(summary.responses(), 19);
  EXPECT_EQ(summary.detractors(), 4);

  tnps::v1::ListAgentExclusionsResponse listed;
  ASSERT_TRUE(responses_->ListAgentExclusions(Context(read_key_a_).get(), {}, &listed).ok());
  ASSERT_EQ(listed.exclusions_size(), 1);
  EXPECT_EQ(listed.exclusions(0).agent_id(), "qa-bot");
  EXPECT_THAT(listed.exclusions(0).excluded_by(), HasSubstr("key:"));
  tnps::v1::ListResponsesRequest excluded_ones;
  *excluded_ones.mutable_filter()->mutable_start_date() = ProtoDate(CivilDay(2026, 1, 1));
  *excluded_ones.mutable_filter()->mutable_end_date() = ProtoDate(CivilDay(2027, 1, 1));
  excluded_ones.set_exclusion(tnps::v1::EXCLUSION_FILTER_EXCLUDED);
  tnps::v1::ListResponsesResponse out;
  ASSERT_TRUE(responses_->ListResponses(Context(read_key_a_).get(), excluded_ones, &out).ok());
  ASSERT_EQ(out.responses_size(), 1);
  EXPECT_EQ(out.responses(0).exclusion_reason(), "probe by the integrator");
  grpc::Status got;
  tnps::v1::GetResponseResponse bot = Get(read_key_a_, "x-0", &got);
  EXPECT_TRUE(bot.response().excluded());
  EXPECT_EQ(bot.response().exclusion_reason(), "QA integration posts test surveys");

  agent.set_excluded(false);
  agent.clear_reason();
  ASSERT_TRUE(responses_->SetAgentExclusion(Context(admin_key_a_).get(), agent, &agent_done).ok());
  EXPECT_EQ(nps().responses(), 29);
  EXPECT_EQ(db_->QueryInt(kRollupMismatchSql), 0);
  tnps::v1::SetAgentExclusionRequest ghost;
  ghost.set_agent_id("nobody");
  ghost.set_excluded(true);
  ghost.set_reason("x");
  status = responses_->SetAgentExclusion(Context(admin_key_a_).get(), ghost, &agent_done);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace tnps::testing

namespace tnps::testing {
namespace {

// The operator's commands, with the owner's connection string in the
// environment (never on the command line).
class TnpsctlDataRightsTest : public DataRightsE2eTest {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--auth_cache_ttl=0s", "--retention_interval=200ms"};
  }

  CommandResult Tnpsctl(std::vector<std::string> args) {
    args.insert(args.begin(), TNPSCTL_BIN);
    return RunCommand(args, {"TNPS_DATABASE_URL=" + db_->owner_url()});
  }
};

TEST_F(TnpsctlDataRightsTest, EraseExcludeAndRetentionFromTheCommandLine) {
  std::vector<tnps::v1::SurveyResponse> rs;
  for (int i = 0; i < 12; ++i) {
    tnps::v1::SurveyResponse r = ValidResponse(absl::StrCat("c-", i), i % 11);
    r.set_customer_ref(i < 4 ? "cust-gone" : "cust-kept");
    r.set_agent_id(i % 2 == 0 ? "agent-even" : "agent-odd");
    rs.push_back(r);
  }
  SubmitAll(ingest_key_a_, rs);

  CommandResult erase = Tnpsctl({"erase", "--tenant=tenant-a", "--customer-ref=cust-gone",
                                 "--reference=DSR-9", "--suppress"});
  ASSERT_EQ(erase.exit_code, 0) << erase.stderr_text;
  EXPECT_THAT(erase.stdout_text, HasSubstr("4 response(s) erased"));
  EXPECT_EQ(ResponseCount(), 8);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM audit_events WHERE action = 'responses.erase' "
                          "AND actor LIKE 'tnpsctl:%'"),
            1);
  // Usage errors exit 2 and erase nothing.
  EXPECT_EQ(Tnpsctl({"erase", "--tenant=tenant-a"}).exit_code, 2);
  EXPECT_EQ(Tnpsctl({"erase", "--tenant=tenant-a", "--customer-ref=x", "c-5"}).exit_code, 2);
  EXPECT_EQ(Tnpsctl({"erase", "--tenant=nope", "c-5"}).exit_code, 1);
  EXPECT_EQ(ResponseCount(), 8);
  CommandResult by_id = Tnpsctl({"erase", "--tenant=tenant-a", "c-5", "c-404"});
  ASSERT_EQ(by_id.exit_code, 0) << by_id.stderr_text;
  EXPECT_THAT(by_id.stdout_text, HasSubstr("1 response(s) erased, 1 external id(s) not found"));

  EXPECT_EQ(Tnpsctl({"exclude", "agent", "agent-odd", "--tenant=tenant-a"}).exit_code, 2);
  CommandResult exclude =
      Tnpsctl({"exclude", "agent", "agent-odd", "--tenant=tenant-a", "--reason=on leave"});
  ASSERT_EQ(exclude.exit_code, 0) << exclude.stderr_text;
  CommandResult listed = Tnpsctl({"exclusions", "list", "--tenant=tenant-a"});
  ASSERT_EQ(listed.exit_code, 0) << listed.stderr_text;
  EXPECT_THAT(listed.stdout_text, HasSubstr("agent-odd"));
  EXPECT_THAT(listed.stdout_text, HasSubstr("on leave"));
  ASSERT_EQ(Tnpsctl({"exclude", "responses", "c-6", "c-8", "--tenant=tenant-a",
                     "--reason=integration probe"})
                .exit_code,
            0);
  listed = Tnpsctl({"exclusions", "list", "--tenant=tenant-a"});
  EXPECT_THAT(listed.stdout_text, HasSubstr("c-6"));
  EXPECT_THAT(listed.stdout_text, HasSubstr("integration probe"));
  ASSERT_EQ(Tnpsctl({"include", "responses", "c-6", "c-8", "--tenant=tenant-a"}).exit_code, 0);
  EXPECT_EQ(db_->QueryInt(kRollupMismatchSql), 0);
  EXPECT_EQ(db_->QueryInt("SELECT sum(promoters + passives + detractors) FROM " +
                          std::string(kRollupCounts)),
            4);
  ASSERT_EQ(Tnpsctl({"include", "agent", "agent-odd", "--tenant=tenant-a"}).exit_code, 0);
  EXPECT_EQ(db_->QueryInt("SELECT sum(promoters + passives + detractors) FROM " +
                          std::string(kRollupCounts)),
            7);

  EXPECT_EQ(
      Tnpsctl({"retention", "set", "--tenant=tenant-a", "--redact-after=30d", "--delete-after=10d"})
          .exit_code,
      2);
  CommandResult set = Tnpsctl({"retention", "set", "--tenant=tenant-a", "--redact-after=180d",
                               "--redact-attributes", "--delete-after=730d"});
  ASSERT_EQ(set.exit_code, 0) << set.stderr_text;
  CommandResult shown = Tnpsctl({"retention", "show", "--tenant=tenant-a"});
  ASSERT_EQ(shown.exit_code, 0) << shown.stderr_text;
  EXPECT_THAT(shown.stdout_text,
              HasSubstr("comment and customer_ref and attributes dropped after 180 days; "
                        "responses deleted after 730 days"));
  ASSERT_EQ(Tnpsctl({"retention", "clear", "--tenant=tenant-a"}).exit_code, 0);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM retention_policies"), 0);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM audit_events WHERE action IN ('retention.set', "
                          "'retention.clear', 'agent.exclude', 'agent.include')"),
            4);
}

// The server applies a policy set by tnpsctl on its own, and says so.
TEST_F(TnpsctlDataRightsTest, TheServerAppliesARetentionPolicy) {
  std::vector<tnps::v1::SurveyResponse> rs;
  for (int i = 0; i < 30; ++i) {
    tnps::v1::SurveyResponse r = ValidResponse(absl::StrCat("old-", i), i % 11);
    const absl::Time when = absl::Now() - absl::Hours(24) * (i < 20 ? 400 : 10);
    SetTime(when, r.mutable_interaction_time());
    SetTime(when + absl::Minutes(5), r.mutable_response_time());
    rs.push_back(r);
  }
  SubmitAll(ingest_key_a_, rs);
  const int64_t counted_before = db_->QueryInt(
      "SELECT sum(promoters + passives + detractors) FROM " + std::string(kRollupCounts));
  CommandResult set = Tnpsctl({"retention", "set", "--tenant=tenant-a", "--redact-after=365d"});
  ASSERT_EQ(set.exit_code, 0) << set.stderr_text;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline &&
         db_->QueryInt("SELECT count(*) FROM responses WHERE redacted_at IS NOT NULL") < 20) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM responses WHERE redacted_at IS NOT NULL AND "
                          "comment = '' AND customer_ref = '' AND attributes <> '{}'"),
            20);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM responses WHERE redacted_at IS NULL AND "
                          "comment <> '' AND customer_ref <> ''"),
            10);
  // Scores stay: no figure moves.
  EXPECT_EQ(db_->QueryInt("SELECT sum(promoters + passives + detractors) FROM " +
                          std::string(kRollupCounts)),
            counted_before);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM audit_events WHERE action = 'retention.apply' "
                          "AND actor = 'server:retention' AND summary->>'redacted' = '20'"),
            1);
  CommandResult shown = Tnpsctl({"retention", "show", "--tenant=tenant-a"});
  EXPECT_THAT(shown.stdout_text, HasSubstr("redacted so far: 20"));
  grpc::Status status;
  tnps::v1::GetResponseResponse read = Get(admin_key_a_, "old-3", &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(read.response().has_redaction_time());
  EXPECT_EQ(read.response().response().comment(), "");
  EXPECT_EQ(read.response().response().score(), 3);
  EXPECT_EQ(read.response().version(), 2);
}

}  // namespace
}  // namespace tnps::testing
