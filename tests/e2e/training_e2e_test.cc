// TrainingService end to end: roster, programmes, cohorts, enrolments and
// completions with their error cases; a cohort uplift small enough to check
// by hand; and recovery of a known effect from data that `tnpsctl demo`
// generates through the real ingest API.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "absl/strings/str_cat.h"
#include "core/group_time_att.h"
#include "core/time_buckets.h"
#include "tests/e2e/ingest_fixture.h"
#include "tests/e2e/png_image.h"
#include "tnps/v1/response_service.grpc.pb.h"
#include "tnps/v1/training_service.grpc.pb.h"
#include "tools/demo_data.h"
#include "tools/report_html.h"

namespace tnps::testing {
namespace {

using absl::CivilDay;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
}

absl::Time Utc(int y, int m, int d, int hour) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hour, 0, 0), absl::UTCTimeZone());
}

// Every figure of a response must be finite.
bool AllFinite(const google::protobuf::Message& message) {
  const auto* reflection = message.GetReflection();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* f : fields) {
    using FD = google::protobuf::FieldDescriptor;
    if (f->cpp_type() == FD::CPPTYPE_DOUBLE) {
      if (f->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, f); ++i) {
          if (!std::isfinite(reflection->GetRepeatedDouble(message, f, i))) return false;
        }
      } else if (!std::isfinite(reflection->GetDouble(message, f))) {
        return false;
      }
    } else if (f->cpp_type() == FD::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, f); ++i) {
          if (!AllFinite(reflection->GetRepeatedMessage(message, f, i))) return false;
        }
      } else if (!AllFinite(reflection->GetMessage(message, f))) {
        return false;
      }
    }
  }
  return true;
}

class TrainingE2eTest : public IngestFixture {
 protected:
  void SetUp() override {
    IngestFixture::SetUp();
    training_ = tnps::v1::TrainingService::NewStub(server_->NewChannel());
  }

  void TearDown() override {
    training_.reset();
    IngestFixture::TearDown();
  }

  std::unique_ptr<grpc::ClientContext> Context(const std::string& key) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", absl::StrCat("Bearer ", key));
    return context;
  }

  // A response by `agent` (team-1, phone) at `when`.
  void Respond(const std::string& id, const std::string& agent, absl::Time when, int score) {
    tnps::v1::SurveyResponse r = ValidResponse(id, score);
    r.set_agent_id(agent);
    r.set_team_id("team-1");
    SetTime(when, r.mutable_interaction_time());
    SetTime(when + absl::Minutes(10), r.mutable_response_time());
    responses_.push_back(r);
  }
  void Flush() {
    tnps::v1::SubmitResponsesResponse reply;
    ASSERT_TRUE(SubmitBatch(ingest_key_a_, responses_, &reply).ok());
    ASSERT_EQ(reply.accepted_count(), static_cast<int>(responses_.size()));
    responses_.clear();
  }

  int64_t CreateProgram(const std::string& name, const std::string& key = "") {
    tnps::v1::CreateProgramRequest request;
    request.mutable_program()->set_name(name);
    request.mutable_program()->set_hours_per_participant(8);
    request.mutable_program()->set_cost_per_hour_micros(50'000'000);
    request.mutable_program()->set_currency_code("EUR");
    tnps::v1::CreateProgramResponse response;
    grpc::Status status = training_->CreateProgram(Context(key.empty() ? admin_key_a_ : key).get(),
                                                   request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.program().program_id();
  }

  int64_t CreateCohort(int64_t program_id, const std::string& name) {
    tnps::v1::CreateCohortRequest request;
    request.mutable_cohort()->set_program_id(program_id);
    request.mutable_cohort()->set_name(name);
    *request.mutable_cohort()->mutable_planned_start_date() = ProtoDate(CivilDay(2026, 6, 8));
    *request.mutable_cohort()->mutable_planned_end_date() = ProtoDate(CivilDay(2026, 6, 12));
    tnps::v1::CreateCohortResponse response;
    grpc::Status status = training_->CreateCohort(Context(admin_key_a_).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.cohort().cohort_id();
  }

  grpc::Status Enroll(int64_t cohort_id, const std::vector<std::string>& agents,
                      absl::Time enrolled_at = Utc(2026, 5, 1, 9)) {
    tnps::v1::EnrollAgentsRequest request;
    request.set_cohort_id(cohort_id);
    for (const auto& a : agents) request.add_agent_ids(a);
    SetTime(enrolled_at, request.mutable_enroll_time());
    tnps::v1::EnrollAgentsResponse response;
    return training_->EnrollAgents(Context(admin_key_a_).get(), request, &response);
  }

  grpc::Status Complete(int64_t cohort_id, const std::vector<std::pair<std::string, absl::Time>>& c,
                        tnps::v1::RecordCompletionsResponse* response) {
    tnps::v1::RecordCompletionsRequest request;
    request.set_cohort_id(cohort_id);
    for (const auto& [agent, when] : c) {
      tnps::v1::Completion* completion = request.add_completions();
      completion->set_agent_id(agent);
      SetTime(when, completion->mutable_completion_time());
    }
    return training_->RecordCompletions(Context(admin_key_a_).get(), request, response);
  }

  static tnps::v1::GetCohortUpliftRequest UpliftRequest(int64_t cohort_id, int pre_days,
                                                        int post_days, int washout_days) {
    tnps::v1::GetCohortUpliftRequest request;
    request.set_cohort_id(cohort_id);
    request.set_pre_days(pre_days);
    request.set_post_days(post_days);
    request.set_washout_days(washout_days);
    return request;
  }

  std::unique_ptr<tnps::v1::TrainingService::Stub> training_;
  std::vector<tnps::v1::SurveyResponse> responses_;
};

TEST_F(TrainingE2eTest, RosterSyncUpdatesAgentsFirstSeenThroughIngest) {
  Respond("r1", "agent-7", Utc(2026, 6, 1, 10), 9);
  Flush();
  tnps::v1::UpsertAgentsRequest request;
  tnps::v1::Agent* seen = request.add_agents();
  seen->set_agent_id("agent-7");
  seen->set_team_id("team-9");
  seen->set_display_name("Ana");
  *seen->mutable_hire_date() = ProtoDate(CivilDay(2024, 3, 1));
  seen->set_active(true);
  tnps::v1::Agent* fresh = request.add_agents();
  fresh->set_agent_id("agent-8");
  fresh->set_team_id("team-9");
  tnps::v1::UpsertAgentsResponse response;
  ASSERT_TRUE(training_->UpsertAgents(Context(admin_key_a_).get(), request, &response).ok());
  EXPECT_EQ(response.created(), 1);
  EXPECT_EQ(response.updated(), 1);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM agents WHERE team_id = 'team-9' AND "
                          "(agent_id = 'agent-8' OR (display_name = 'Ana' AND "
                          "hire_date = '2024-03-01' AND active))"),
            2);
  // The response keeps the team it had at interaction time.
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM responses WHERE team_id = 'team-1'"), 1);

  // Bad rows are named and nothing is stored.
  tnps::v1::UpsertAgentsRequest bad;
  bad.add_agents()->set_agent_id("agent-20");
  bad.add_agents()->set_team_id("team-1");
  tnps::v1::Agent* twice = bad.add_agents();
  twice->set_agent_id("agent-20");
  twice->set_team_id("team-1");
  grpc::Status status = training_->UpsertAgents(Context(admin_key_a_).get(), bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status),
              ElementsAre("agents[0].team_id", "agents[1].agent_id", "agents[2].agent_id"));
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM agents WHERE agent_id = 'agent-20'"), 0);

  // Writing needs admin.
  status = training_->UpsertAgents(Context(read_key_a_).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // One audit event: the accepted sync, by the admin key; the refused calls
  // left none.
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM audit_events WHERE action = 'agents.upsert'"), 1);
  EXPECT_EQ(
      db_->QueryInt(absl::StrCat("SELECT count(*) FROM audit_events WHERE action = "
                                 "'agents.upsert' AND actor = 'key:",
                                 admin_key_a_.substr(5, 16), "' AND tenant_id = ", tenant_a_)),
      1);
}

TEST_F(TrainingE2eTest, ProgrammesCohortsEnrolmentsAndCompletionsRejectBadInput) {
  for (const char* agent : {"a1", "a2", "a3"}) Respond(agent, agent, Utc(2026, 6, 1, 10), 9);
  Flush();
  const int64_t program = CreateProgram("Empathy");
  ASSERT_GT(program, 0);
  {
    tnps::v1::CreateProgramRequest again;
    again.mutable_program()->set_name("Empathy");
    again.mutable_program()->set_currency_code("EUR");
    tnps::v1::CreateProgramResponse response;
    EXPECT_EQ(training_->CreateProgram(Context(admin_key_a_).get(), again, &response).error_code(),
              grpc::StatusCode::ALREADY_EXISTS);
    tnps::v1::CreateProgramRequest bad;
    bad.mutable_program()->set_hours_per_participant(-1);
    bad.mutable_program()->set_currency_code("euro");
    bad.mutable_program()->set_value_per_nps_point_micros(-1);
    grpc::Status status = training_->CreateProgram(Context(admin_key_a_).get(), bad, &response);
    EXPECT_THAT(ViolatedFields(status),
                ElementsAre("program.name", "program.hours_per_participant",
                            "program.value_per_nps_point_micros", "program.currency_code"));
  }
  {
    tnps::v1::CreateCohortRequest request;
    request.mutable_cohort()->set_program_id(program + 100);
    request.mutable_cohort()->set_name("W1");
    *request.mutable_cohort()->mutable_planned_start_date() = ProtoDate(CivilDay(2026, 6, 8));
    *request.mutable_cohort()->mutable_planned_end_date() = ProtoDate(CivilDay(2026, 6, 1));
    tnps::v1::CreateCohortResponse response;
    grpc::Status status = training_->CreateCohort(Context(admin_key_a_).get(), request, &response);
    EXPECT_THAT(ViolatedFields(status), ElementsAre("cohort.planned_end_date"));
    *request.mutable_cohort()->mutable_planned_end_date() = ProtoDate(CivilDay(2026, 6, 12));
    status = training_->CreateCohort(Context(admin_key_a_).get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  }
  const int64_t cohort = CreateCohort(program, "W1");
  const int64_t other = CreateCohort(program, "W2");

  ASSERT_TRUE(Enroll(cohort, {"a1", "a2"}).ok());
  // Unknown agent, an agent already in a cohort of this programme, a repeat.
  grpc::Status status = Enroll(other, {"a3", "ghost", "a1", "a3"});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("agent_ids[3]"));
  status = Enroll(other, {"a3", "ghost", "a1"});
  EXPECT_THAT(ViolatedFields(status), ElementsAre("agent_ids[1]", "agent_ids[2]"));
  EXPECT_THAT(status.error_message(), HasSubstr("already enrolled in cohort"));
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM training_enrollments"), 2);
  EXPECT_EQ(Enroll(cohort + 100, {"a3"}).error_code(), grpc::StatusCode::NOT_FOUND);

  tnps::v1::RecordCompletionsResponse recorded;
  // Not enrolled here; before the enrolment; in the future.
  status = Complete(cohort,
                    {{"a3", Utc(2026, 6, 10, 12)},
                     {"a1", Utc(2026, 4, 1, 12)},
                     {"a2", absl::Now() + absl::Hours(48)}},
                    &recorded);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("completions[2].completion_time"));
  status = Complete(cohort, {{"a3", Utc(2026, 6, 10, 12)}, {"a1", Utc(2026, 4, 1, 12)}}, &recorded);
  EXPECT_THAT(ViolatedFields(status),
              ElementsAre("completions[0].agent_id", "completions[1].completion_time"));
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM training_completion_log"), 0);

  ASSERT_TRUE(
      Complete(cohort, {{"a1", Utc(2026, 6, 10, 12)}, {"a2", Utc(2026, 6, 11, 12)}}, &recorded)
          .ok());
  EXPECT_EQ(recorded.recorded(), 2);
  // A retry changes nothing; a correction is counted and logged.
  ASSERT_TRUE(
      Complete(cohort, {{"a1", Utc(2026, 6, 10, 12)}, {"a2", Utc(2026, 6, 12, 23)}}, &recorded)
          .ok());
  EXPECT_EQ(recorded.recorded(), 0);
  EXPECT_EQ(recorded.corrected(), 1);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM training_completion_log"), 3);

  tnps::v1::GetCohortRequest get;
  get.set_cohort_id(cohort);
  tnps::v1::GetCohortResponse got;
  ASSERT_TRUE(training_->GetCohort(Context(read_key_a_).get(), get, &got).ok());
  EXPECT_EQ(got.cohort().enrolled_agents(), 2);
  EXPECT_EQ(got.cohort().completed_agents(), 2);
  ASSERT_EQ(got.enrollments_size(), 2);
  // 23:00 UTC on 12 June is 01:00 on 13 June in Zurich.
  EXPECT_EQ(got.enrollments(1).completion_date().day(), 13);

  tnps::v1::ListCohortsRequest list;
  list.set_program_id(program);
  tnps::v1::ListCohortsResponse cohorts;
  ASSERT_TRUE(training_->ListCohorts(Context(read_key_a_).get(), list, &cohorts).ok());
  EXPECT_EQ(cohorts.cohorts_size(), 2);

  // Unknown programmes and cohorts; another tenant sees none of it.
  list.set_program_id(program + 100);
  EXPECT_EQ(training_->ListCohorts(Context(read_key_a_).get(), list, &cohorts).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Complete(cohort + 100, {{"a1", Utc(2026, 6, 10, 12)}}, &recorded).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(training_->GetCohort(Context(admin_key_b_).get(), get, &got).error_code(),
            grpc::StatusCode::NOT_FOUND);
  tnps::v1::ListProgramsResponse programs;
  ASSERT_TRUE(training_->ListPrograms(Context(admin_key_b_).get(), {}, &programs).ok());
  EXPECT_EQ(programs.programs_size(), 0);
}

// Two trained and two comparison agents, figures worked out by hand.
TEST_F(TrainingE2eTest, CohortUpliftMatchesHandComputation) {
  // Completions: t1 on 10 June, t2 on 12 June. Windows: 10 days before, 10
  // after a 2-day washout. t1: pre 31 May..9 June, post 13..22 June;
  // t2: pre 2..11 June, post 15..24 June. Comparison: pre 31 May..9 June,
  // post 15..24 June.
  Respond("t1-a", "t1", Utc(2026, 6, 5, 10), 10);
  Respond("t1-b", "t1", Utc(2026, 6, 5, 11), 3);
  Respond("t1-washout", "t1", Utc(2026, 6, 11, 10), 0);  // in no window
  Respond("t1-c", "t1", Utc(2026, 6, 14, 10), 9);
  Respond("t1-d", "t1", Utc(2026, 6, 16, 10), 10);
  Respond("t2-a", "t2", Utc(2026, 6, 5, 10), 7);
  Respond("t2-b", "t2", Utc(2026, 6, 20, 10), 10);
  Respond("c1-a", "c1", Utc(2026, 6, 1, 10), 10);
  Respond("c1-b", "c1", Utc(2026, 6, 2, 10), 0);
  Respond("c1-c", "c1", Utc(2026, 6, 16, 10), 8);
  Respond("c1-d", "c1", Utc(2026, 6, 18, 10), 9);
  Respond("c2-a", "c2", Utc(2026, 6, 3, 10), 9);
  Respond("c2-b", "c2", Utc(2026, 6, 20, 10), 9);
  Flush();
  const int64_t program = CreateProgram("Empathy");
  const int64_t cohort = CreateCohort(program, "W1");
  ASSERT_TRUE(Enroll(cohort, {"t1", "t2"}).ok());
  tnps::v1::RecordCompletionsResponse recorded;
  ASSERT_TRUE(
      Complete(cohort, {{"t1", Utc(2026, 6, 10, 15)}, {"t2", Utc(2026, 6, 12, 15)}}, &recorded)
          .ok());

  tnps::v1::GetCohortUpliftRequest request = UpliftRequest(cohort, 10, 10, 2);
  tnps::v1::GetCohortUpliftResponse uplift;
  grpc::Status status = training_->GetCohortUplift(Context(read_key_a_).get(), request, &uplift);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(uplift.treated_agents(), 2);
  EXPECT_EQ(uplift.comparison_agents(), 2);
  EXPECT_EQ(uplift.never_trained_agents(), 2);
  // Cohort: pre P1 Pa1 D1 (NPS 0), post P3 (NPS 100).
  EXPECT_EQ(uplift.cohort_pre().promoters(), 1);
  EXPECT_EQ(uplift.cohort_pre().passives(), 1);
  EXPECT_EQ(uplift.cohort_pre().detractors(), 1);
  EXPECT_EQ(uplift.cohort_post().promoters(), 3);
  EXPECT_EQ(uplift.cohort_post().responses(), 3);
  EXPECT_DOUBLE_EQ(uplift.naive_delta().delta(), 100);
  // Comparison: pre P2 D1 (33.3), post P2 Pa1 (66.7).
  EXPECT_NEAR(uplift.comparison_pre().nps(), 100.0 / 3, 1e-9);
  EXPECT_NEAR(uplift.comparison_post().nps(), 200.0 / 3, 1e-9);
  EXPECT_EQ(ProtoDate(CivilDay(2026, 5, 31)).SerializeAsString(),
            uplift.comparison_pre_start().SerializeAsString());
  EXPECT_EQ(ProtoDate(CivilDay(2026, 6, 24)).SerializeAsString(),
            uplift.comparison_post_end().SerializeAsString());
  // DiD 100 − 33.3. Influence functions: the treated agents' sums equal
  // their share of the means, so only c1 (−11.1) and c2 (+11.1) contribute:
  // SE = √(2·11.1²) = 15.713.
  ASSERT_TRUE(uplift.uplift().defined());
  EXPECT_NEAR(uplift.uplift().estimate(), 200.0 / 3, 1e-9);
  EXPECT_NEAR(uplift.uplift().standard_error(), std::sqrt(2.0) * 100 / 9, 1e-9);
  EXPECT_NEAR(uplift.uplift().p_value(), 2.209e-5, 1e-7);
  // A day of the chart: 28 days to 9 June hold t1 10, 3 and t2 7 (NPS 0)
  // against c1 10, 0 and c2 9 (NPS 33.3).
  ASSERT_EQ(uplift.daily_size(), 25);
  const tnps::v1::UpliftDay& june9 = uplift.daily(9);
  EXPECT_EQ(june9.date().day(), 9);
  EXPECT_EQ(june9.cohort().responses(), 3);
  EXPECT_NEAR(june9.cohort().nps(), 0, 1e-9);
  EXPECT_NEAR(june9.delta(), -100.0 / 3, 1e-9);
  EXPECT_TRUE(AllFinite(uplift));

  // Bad windows are named; unknown cohorts are NOT_FOUND.
  request.set_pre_days(0);
  request.set_post_days(-5);
  request.set_washout_days(-1);
  status = training_->GetCohortUplift(Context(read_key_a_).get(), request, &uplift);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("pre_days", "post_days", "washout_days"));
  request.set_pre_days(10);
  request.set_post_days(10);
  request.set_washout_days(2);
  request.set_cohort_id(cohort + 100);
  EXPECT_EQ(training_->GetCohortUplift(Context(read_key_a_).get(), request, &uplift).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// Who the comparison agents are: the programme's agents not trained by the
// end of the comparison post window (enrolled later, or never completing)
// and agents never enrolled, each with responses in a window; an agent
// trained within the windows is left out, and one who answered only
// outside them counts in the daily chart alone.
TEST_F(TrainingE2eTest, CohortUpliftComparesWithNotYetAndNeverTrainedAgents) {
  // t1 completes on 10 June: windows 31 May..9 June and 13..22 June.
  Respond("t1-a", "t1", Utc(2026, 6, 5, 10), 10);
  Respond("t1-b", "t1", Utc(2026, 6, 15, 10), 9);
  Respond("e1-a", "e1", Utc(2026, 6, 5, 10), 0);  // trained on 12 June: excluded
  Respond("e1-b", "e1", Utc(2026, 6, 15, 10), 0);
  Respond("n1-a", "n1", Utc(2026, 6, 5, 10), 10);  // trained in August
  Respond("n1-b", "n1", Utc(2026, 6, 15, 10), 10);
  Respond("u1-a", "u1", Utc(2026, 6, 6, 10), 0);  // enrolled, never completes
  Respond("u1-b", "u1", Utc(2026, 6, 16, 10), 9);
  Respond("c1-a", "c1", Utc(2026, 6, 7, 10), 7);  // never enrolled
  Respond("c1-b", "c1", Utc(2026, 6, 17, 10), 10);
  Respond("q1-a", "q1", Utc(2026, 5, 20, 10), 0);  // before the windows only
  Flush();
  const int64_t program = CreateProgram("Empathy");
  const int64_t first = CreateCohort(program, "W1");
  const int64_t second = CreateCohort(program, "W2");
  ASSERT_TRUE(Enroll(first, {"t1"}).ok());
  ASSERT_TRUE(Enroll(second, {"e1", "n1", "u1"}).ok());
  tnps::v1::RecordCompletionsResponse recorded;
  ASSERT_TRUE(Complete(first, {{"t1", Utc(2026, 6, 10, 15)}}, &recorded).ok());
  ASSERT_TRUE(
      Complete(second, {{"e1", Utc(2026, 6, 12, 15)}, {"n1", Utc(2026, 8, 3, 15)}}, &recorded)
          .ok());

  tnps::v1::GetCohortUpliftRequest request = UpliftRequest(first, 10, 10, 2);
  tnps::v1::GetCohortUpliftResponse uplift;
  grpc::Status status = training_->GetCohortUplift(Context(read_key_a_).get(), request, &uplift);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(uplift.treated_agents(), 1);
  EXPECT_EQ(uplift.comparison_agents(), 3);
  EXPECT_EQ(uplift.not_yet_trained_agents(), 2);
  EXPECT_EQ(uplift.never_trained_agents(), 1);
  // n1, u1, c1: pre P1 Pa1 D1 (NPS 0), post P3 (NPS 100).
  EXPECT_EQ(uplift.comparison_pre().responses(), 3);
  EXPECT_DOUBLE_EQ(uplift.comparison_pre().nps(), 0);
  EXPECT_EQ(uplift.comparison_post().promoters(), 3);
  EXPECT_DOUBLE_EQ(uplift.comparison_delta().delta(), 100);
  // The chart's 28 days to 9 June also hold q1's detractor: P1 Pa1 D2.
  bool found = false;
  for (const tnps::v1::UpliftDay& day : uplift.daily()) {
    if (day.date().month() != 6 || day.date().day() != 9) continue;
    found = true;
    EXPECT_EQ(day.comparison().responses(), 4);
    EXPECT_DOUBLE_EQ(day.comparison().nps(), -25);
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(AllFinite(uplift));
}

TEST_F(TrainingE2eTest, EmptyPeriodsAreFlaggedNotBroken) {
  Respond("x", "t1", Utc(2026, 1, 5, 10), 9);
  Respond("y", "c1", Utc(2026, 1, 5, 10), 9);
  Flush();
  const int64_t program = CreateProgram("Empathy");
  const int64_t cohort = CreateCohort(program, "W1");
  ASSERT_TRUE(Enroll(cohort, {"t1"}).ok());
  tnps::v1::GetCohortUpliftRequest request;
  request.set_cohort_id(cohort);
  request.set_pre_days(30);
  request.set_post_days(30);
  tnps::v1::GetCohortUpliftResponse uplift;
  // No completion yet: a precondition, not an empty estimate.
  EXPECT_EQ(training_->GetCohortUplift(Context(read_key_a_).get(), request, &uplift).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  tnps::v1::RecordCompletionsResponse recorded;
  ASSERT_TRUE(Complete(cohort, {{"t1", Utc(2026, 6, 10, 15)}}, &recorded).ok());
  // Completed, but nobody answered around it.
  ASSERT_TRUE(training_->GetCohortUplift(Context(read_key_a_).get(), request, &uplift).ok());
  EXPECT_TRUE(uplift.cohort_pre().empty());
  EXPECT_FALSE(uplift.uplift().defined());
  EXPECT_FALSE(uplift.naive_delta().defined());
  EXPECT_FALSE(uplift.daily(0).delta_defined());
  EXPECT_TRUE(AllFinite(uplift));

  tnps::v1::GetProgramImpactRequest impact_request;
  impact_request.set_program_id(program);
  *impact_request.mutable_start_date() = ProtoDate(CivilDay(2026, 1, 1));
  *impact_request.mutable_end_date() = ProtoDate(CivilDay(2026, 10, 31));
  tnps::v1::GetProgramImpactResponse impact;
  grpc::Status status =
      training_->GetProgramImpact(Context(read_key_a_).get(), impact_request, &impact);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << status.error_message();
  impact_request.set_period(static_cast<tnps::v1::Period>(7));
  status = training_->GetProgramImpact(Context(read_key_a_).get(), impact_request, &impact);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("period"));
  impact_request.set_period(tnps::v1::PERIOD_WEEK);
  impact_request.set_program_id(program + 100);
  EXPECT_EQ(
      training_->GetProgramImpact(Context(read_key_a_).get(), impact_request, &impact).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

// Monthly periods with never-treated controls, on data small enough to
// check by hand; a later cohort whose agent is silent for a month leaves
// cells without responses, which are flagged, never NaN.
TEST_F(TrainingE2eTest, MonthlyImpactWithNeverTreatedControlsMatchesHandComputation) {
  // Scores per month, January to June 2026; -1 is no response.
  const std::map<std::string, std::vector<int>> scores = {{"t1", {9, 7, 10, 9, 9, 9}},
                                                          {"t2", {0, -1, 9, 9, 10, 9}},
                                                          {"c1", {9, 9, 9, 9, 9, 9}},
                                                          {"c2", {0, 0, 7, 0, 0, 0}},
                                                          {"n1", {9, 9, 9, -1, 9, 9}}};
  for (const auto& [agent, by_month] : scores) {
    for (int m = 0; m < 6; ++m) {
      if (by_month[m] >= 0) {
        Respond(absl::StrCat(agent, "-", m), agent, Utc(2026, m + 1, 5, 10), by_month[m]);
      }
    }
  }
  Flush();
  const int64_t program = CreateProgram("Empathy");
  const int64_t march = CreateCohort(program, "March");
  const int64_t may = CreateCohort(program, "May");
  ASSERT_TRUE(Enroll(march, {"t1", "t2"}, Utc(2026, 2, 20, 9)).ok());
  ASSERT_TRUE(Enroll(may, {"n1"}, Utc(2026, 2, 20, 9)).ok());
  tnps::v1::RecordCompletionsResponse recorded;
  ASSERT_TRUE(
      Complete(march, {{"t1", Utc(2026, 3, 10, 15)}, {"t2", Utc(2026, 3, 11, 15)}}, &recorded)
          .ok());
  ASSERT_TRUE(Complete(may, {{"n1", Utc(2026, 5, 12, 15)}}, &recorded).ok());

  tnps::v1::GetProgramImpactRequest request;
  request.set_program_id(program);
  request.set_period(tnps::v1::PERIOD_MONTH);
  request.set_control(tnps::v1::CONTROL_GROUP_NEVER_TREATED);
  *request.mutable_start_date() = ProtoDate(CivilDay(2026, 1, 1));
  *request.mutable_end_date() = ProtoDate(CivilDay(2026, 6, 30));
  tnps::v1::GetProgramImpactResponse impact;
  grpc::Status status = training_->GetProgramImpact(Context(read_key_a_).get(), request, &impact);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(impact.period(), tnps::v1::PERIOD_MONTH);
  EXPECT_EQ(impact.control(), tnps::v1::CONTROL_GROUP_NEVER_TREATED);
  EXPECT_EQ(impact.treated_agents(), 3);
  EXPECT_EQ(impact.never_treated_agents(), 2);
  EXPECT_TRUE(AllFinite(impact));

  std::map<std::pair<CivilDay, CivilDay>, const tnps::v1::GroupTimeEffect*> cells;
  for (const auto& e : impact.effects()) {
    cells[{CivilDay(e.group_start().year(), e.group_start().month(), e.group_start().day()),
           CivilDay(e.period_start().year(), e.period_start().month(), e.period_start().day())}] =
        &e;
  }
  // ATT(March, March), base February: the cohort's mean moves from 0 (t1
  // alone; t2 did not answer) to 100; the never-trained from 0 to 50.
  const auto* first = cells.at({CivilDay(2026, 3, 1), CivilDay(2026, 3, 1)});
  ASSERT_TRUE(first->defined());
  EXPECT_EQ(first->base_period_start().month(), 2);
  EXPECT_DOUBLE_EQ(first->att(), (100 - 0) - (50 - 0));
  EXPECT_EQ(first->treated_responses(), 3);
  EXPECT_EQ(first->control_responses(), 4);
  // n1 did not answer in April: May's cells with April in a mean are empty.
  for (const int month : {4, 5, 6}) {
    const auto* empty = cells.at({CivilDay(2026, 5, 1), CivilDay(2026, month, 1)});
    EXPECT_FALSE(empty->defined()) << month;
    EXPECT_EQ(empty->att(), 0) << month;
    EXPECT_EQ(empty->standard_error(), 0) << month;
  }
  EXPECT_TRUE(impact.simple().defined());
  EXPECT_EQ(impact.cost().training_hours(), 3 * 8);
  EXPECT_EQ(impact.cost().total_cost_micros(), 3 * 8 * int64_t{50'000'000});
  if (impact.simple().att() > 0) {
    EXPECT_EQ(impact.cost().cost_per_nps_point_micros(),
              std::llround(3 * 8 * 50'000'000.0 / impact.simple().att()));
  }
}

// The estimator on data generated through the real ingest API, with the
// quickstart's effect of +7 ramping in over four weeks, against the effect
// the data were generated with (the generator's true effect of every
// trained response, averaged as the simple aggregation averages ATT(g,t))
// and the same estimator run in process on the generator's own responses.
TEST_F(TrainingE2eTest, DemoDataRecoverTheTrueEffect) {
  const std::vector<std::string> flags = {"--seed=1",
                                          "--agents=200",
                                          "--teams=10",
                                          "--days=365",
                                          "--responses-per-day=600",
                                          "--agents-per-wave=50",
                                          "--ramp-days=28",
                                          "--effect=7",
                                          "--end-date=2026-10-31"};
  std::vector<std::string> argv = {TNPSCTL_BIN, "demo", "--server=" + server_->address(),
                                   "--api-key=" + admin_key_a_};
  argv.insert(argv.end(), flags.begin(), flags.end());
  CommandResult demo = RunCommand(argv);
  ASSERT_EQ(demo.exit_code, 0) << demo.stderr_text << demo.stdout_text;
  EXPECT_THAT(demo.stdout_text, HasSubstr("estimated uplift (staggered DiD)"));

  tnps::v1::ListProgramsResponse programs;
  ASSERT_TRUE(training_->ListPrograms(Context(read_key_a_).get(), {}, &programs).ok());
  ASSERT_EQ(programs.programs_size(), 1);
  tnps::v1::GetProgramImpactRequest request;
  request.set_program_id(programs.programs(0).program_id());
  *request.mutable_start_date() = ProtoDate(CivilDay(2026, 10, 31) - 364);
  *request.mutable_end_date() = ProtoDate(CivilDay(2026, 10, 31));
  tnps::v1::GetProgramImpactResponse impact;
  grpc::Status status = training_->GetProgramImpact(Context(read_key_a_).get(), request, &impact);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(impact.treated_agents(), 150);
  EXPECT_EQ(impact.never_treated_agents(), 50);
  ASSERT_TRUE(impact.simple().defined());
  EXPECT_GT(impact.pretrend_leads().p_value(), 0.05);
  EXPECT_TRUE(impact.cost().cost_per_nps_point_defined());
  EXPECT_EQ(impact.cost().training_hours(), 150 * 8);
  EXPECT_TRUE(AllFinite(impact));

  // The same generator in process, aggregated per agent and week by hand.
  tools::DemoConfig config = tools::DefaultDemoConfig(CivilDay(2026, 10, 31));
  config.seed = 1;
  config.agents = 200;
  config.teams = 10;
  config.first_day = CivilDay(2026, 10, 31) - 364;
  config.first_wave_start = config.first_day + 365 / 3;
  config.wave_spacing_days = 365 / 6;
  config.responses_per_day = 600;
  config.agents_per_wave = 50;
  config.ramp_days = 28;
  tools::DemoGenerator generator(config);
  std::map<std::string, int> unit;
  std::vector<int64_t> group;
  for (const tools::DemoAgent& a : generator.agents()) {
    unit[a.agent_id] = static_cast<int>(group.size());
    group.push_back(a.wave < 0 ? 0 : core::BucketNumber(a.completion_day, core::BucketSize::kWeek));
  }
  std::vector<core::PanelCell> cells;
  // Beside each cell: its response's agent and external id.
  std::vector<std::pair<std::string, std::string>> cell_response;
  int64_t responses = 0;
  // The true effect summed per (group, week) over the group's responses.
  std::map<std::pair<int64_t, int64_t>, std::pair<double, int64_t>> true_effect;
  generator.ForEachDay([&](CivilDay day, std::vector<tnps::v1::SurveyResponse>& rs) {
    for (const auto& r : rs) {
      const int u = unit[r.agent_id()];
      const double y = r.score() >= 9 ? 100 : r.score() >= 7 ? 0 : -100;
      const int64_t week = core::BucketNumber(day, core::BucketSize::kWeek);
      cells.push_back({u, week, group[u], y, 1});
      cell_response.emplace_back(r.agent_id(), r.external_id());
      ++responses;
      if (group[u] != 0 && week >= group[u]) {
        auto& [sum, n] = true_effect[{group[u], week}];
        sum += generator.TrueEffect(generator.agents()[static_cast<size_t>(u)], day);
        ++n;
      }
    }
  });
  // Weighted by group size, as the simple aggregation weights ATT(g,t).
  std::map<int64_t, int> group_size;
  for (const int64_t g : group) {
    if (g != 0) ++group_size[g];
  }
  double truth = 0, weight = 0;
  for (const auto& [cell, sum_n] : true_effect) {
    truth += group_size[cell.first] * sum_n.first / static_cast<double>(sum_n.second);
    weight += group_size[cell.first];
  }
  truth /= weight;
  // The ramp and completion weeks keep the average below the full +7.
  EXPECT_GT(truth, 5);
  EXPECT_LT(truth, 7);
  EXPECT_LT(impact.simple().ci_low(), truth);
  EXPECT_GT(impact.simple().ci_high(), truth);
  EXPECT_EQ(impact.responses(), responses);
  absl::StatusOr<core::DidEstimates> expected = core::EstimateGroupTimeAtt(cells, {});
  ASSERT_TRUE(expected.ok());
  EXPECT_NEAR(impact.simple().att(), expected->simple.att, 1e-9);
  EXPECT_NEAR(impact.simple().standard_error(), expected->simple.standard_error, 1e-9);
  EXPECT_EQ(impact.group_weights(), tnps::v1::GROUP_WEIGHTS_AGENTS);

  // Waves weighted by their responses, as did weights a repeated
  // cross-section: the same estimator with row shares.
  {
    tnps::v1::GetProgramImpactRequest by_responses = request;
    by_responses.set_group_weights(tnps::v1::GROUP_WEIGHTS_RESPONSES);
    tnps::v1::GetProgramImpactResponse weighted;
    status = training_->GetProgramImpact(Context(read_key_a_).get(), by_responses, &weighted);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(weighted.group_weights(), tnps::v1::GROUP_WEIGHTS_RESPONSES);
    core::DidOptions row_options;
    row_options.group_weights = core::GroupWeights::kObservations;
    absl::StatusOr<core::DidEstimates> rows = core::EstimateGroupTimeAtt(cells, row_options);
    ASSERT_TRUE(rows.ok());
    EXPECT_NEAR(weighted.simple().att(), rows->simple.att, 1e-9);
    EXPECT_NEAR(weighted.simple().standard_error(), rows->simple.standard_error, 1e-9);
    EXPECT_NEAR(weighted.group_overall().att(), rows->group_overall.att, 1e-9);
    EXPECT_NE(weighted.simple().att(), impact.simple().att());
    // Each ATT(g,t) is the same whatever the weights.
    ASSERT_EQ(weighted.effects_size(), impact.effects_size());
    EXPECT_EQ(weighted.effects(3).att(), impact.effects(3).att());
    by_responses.set_group_weights(static_cast<tnps::v1::GroupWeights>(7));
    status = training_->GetProgramImpact(Context(read_key_a_).get(), by_responses, &weighted);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ViolatedFields(status), ElementsAre("group_weights"));
  }

  // The event study's uniform band: the same bootstrap in process gives the
  // same critical value; it covers the event times with at least 20
  // trained agents behind them, and is wider than the pointwise band there.
  const tnps::v1::EventStudyBand& band = impact.uniform_band();
  ASSERT_TRUE(band.defined());
  EXPECT_EQ(band.bootstrap_draws(), 1000);
  EXPECT_EQ(band.min_event_agents(), 20);
  EXPECT_THAT(band.method(), HasSubstr("multiplier-bootstrap"));
  core::DidOptions band_options;
  band_options.uniform_band_draws = 1000;
  band_options.uniform_band_min_units = 20;
  absl::StatusOr<core::DidEstimates> banded = core::EstimateGroupTimeAtt(cells, band_options);
  ASSERT_TRUE(banded.ok() && banded->uniform_band_defined);
  EXPECT_NEAR(band.critical_value(), banded->uniform_critical_value, 1e-9);
  EXPECT_GT(band.critical_value(), 1.96);
  ASSERT_EQ(impact.dynamic_size(), static_cast<int>(banded->dynamic.size()));
  int in_band = 0, left_out = 0;
  for (int i = 0; i < impact.dynamic_size(); ++i) {
    const tnps::v1::AggregateEffect& d = impact.dynamic(i);
    if (!d.defined()) continue;
    // Agents of the completion weeks observed e weeks after completing.
    EXPECT_EQ(d.trained_agents(), banded->dynamic[i].treated_units) << d.event_time();
    EXPECT_EQ(d.in_uniform_band(), banded->dynamic[i].in_uniform_band) << d.event_time();
    if (d.in_uniform_band()) {
      ++in_band;
      EXPECT_GE(d.trained_agents(), 20);
      EXPECT_LT(d.uniform_ci_low(), d.ci_low());
      EXPECT_GT(d.uniform_ci_high(), d.ci_high());
      EXPECT_NEAR(d.uniform_ci_high() - d.att(), band.critical_value() * d.standard_error(), 1e-9);
    } else {
      ++left_out;
      EXPECT_LT(d.trained_agents(), 20);
      EXPECT_EQ(d.uniform_ci_low(), 0);
    }
  }
  EXPECT_GT(in_band, 20);
  // The year's first and last weeks have few completion weeks behind them.
  EXPECT_GT(left_out, 0);
  // A threshold above every cohort's size leaves every event time out.
  request.set_min_event_agents(151);
  ASSERT_TRUE(training_->GetProgramImpact(Context(read_key_a_).get(), request, &impact).ok());
  EXPECT_FALSE(impact.uniform_band().defined());
  request.set_min_event_agents(-1);
  status = training_->GetProgramImpact(Context(read_key_a_).get(), request, &impact);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("min_event_agents"));

  // One team's own estimate: the same estimator on that team's agents alone.
  {
    const std::string team = generator.agents()[0].team_id;
    std::map<int, int> team_unit;  // old unit -> dense unit, in agent-id order
    for (const tools::DemoAgent& a : generator.agents()) {
      if (a.team_id == team) team_unit.emplace(unit[a.agent_id], 0);
    }
    int next = 0;
    for (auto& [old_unit, dense] : team_unit) dense = next++;
    std::vector<core::PanelCell> team_cells;
    for (const core::PanelCell& c : cells) {
      auto it = team_unit.find(c.unit);
      if (it == team_unit.end()) continue;
      team_cells.push_back(c);
      team_cells.back().unit = it->second;
    }
    absl::StatusOr<core::DidEstimates> team_expected = core::EstimateGroupTimeAtt(team_cells, {});
    ASSERT_TRUE(team_expected.ok());
    tnps::v1::GetProgramImpactRequest team_request = request;
    team_request.set_min_event_agents(0);
    team_request.set_team_id(team);
    tnps::v1::GetProgramImpactResponse team_impact;
    status = training_->GetProgramImpact(Context(read_key_a_).get(), team_request, &team_impact);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_EQ(team_impact.team_id(), team);
    EXPECT_EQ(team_impact.treated_agents() + team_impact.never_treated_agents(),
              static_cast<int>(team_unit.size()));
    EXPECT_NEAR(team_impact.simple().att(), team_expected->simple.att, 1e-9);
    EXPECT_NEAR(team_impact.simple().standard_error(), team_expected->simple.standard_error, 1e-9);
    team_request.set_team_id("bad\nteam");
    status = training_->GetProgramImpact(Context(read_key_a_).get(), team_request, &team_impact);
    EXPECT_THAT(ViolatedFields(status), ElementsAre("team_id"));
  }

  // What the uplift is worth at 500 EUR a year per NPS point: value, net
  // value and payback follow the ATT and its interval.
  request.set_min_event_agents(0);
  request.set_value_per_nps_point_micros(500'000'000);
  ASSERT_TRUE(training_->GetProgramImpact(Context(read_key_a_).get(), request, &impact).ok());
  {
    const tnps::v1::TrainingCost& c = impact.cost();
    const double att = impact.simple().att(), low = impact.simple().ci_low(),
                 high = impact.simple().ci_high();
    const double total = static_cast<double>(c.total_cost_micros());
    EXPECT_EQ(c.value_per_nps_point_micros(), 500'000'000);
    EXPECT_NEAR(c.annual_value_micros(), att * 5e8, 1);
    EXPECT_NEAR(c.annual_value_low_micros(), low * 5e8, 1);
    EXPECT_NEAR(c.annual_value_high_micros(), high * 5e8, 1);
    EXPECT_NEAR(c.net_first_year_value_micros(), att * 5e8 - total, 1);
    ASSERT_TRUE(c.payback_defined());
    EXPECT_NEAR(c.payback_months(), 12 * total / (att * 5e8), 1e-9);
    EXPECT_NEAR(c.payback_months_low(), 12 * total / (high * 5e8), 1e-9);
    EXPECT_EQ(c.payback_months_high_defined(), low > 0);
    EXPECT_NEAR(c.cost_per_nps_point_low_micros(), total / high, 1);
    EXPECT_EQ(c.cost_per_nps_point_high_defined(), low > 0);
    if (low > 0) EXPECT_NEAR(c.cost_per_nps_point_high_micros(), total / low, 1);
  }
  request.set_value_per_nps_point_micros(-5);
  status = training_->GetProgramImpact(Context(read_key_a_).get(), request, &impact);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("value_per_nps_point_micros"));
  request.clear_value_per_nps_point_micros();

  // Exclusions: a trained agent (its responses become QA traffic, say) and
  // five responses of an untrained one leave the estimate exactly as if
  // they had never been stored, and the response says how many.
  std::string trained_agent, untrained_agent;
  for (const tools::DemoAgent& a : generator.agents()) {
    if (a.wave >= 0 && trained_agent.empty()) trained_agent = a.agent_id;
    if (a.wave < 0 && untrained_agent.empty()) untrained_agent = a.agent_id;
  }
  std::vector<std::string> excluded_ids;
  int64_t trained_agent_responses = 0;
  std::vector<core::PanelCell> kept;
  for (size_t i = 0; i < cells.size(); ++i) {
    const auto& [agent, external_id] = cell_response[i];
    if (agent == trained_agent) {
      ++trained_agent_responses;
      continue;
    }
    if (agent == untrained_agent && excluded_ids.size() < 5) {
      excluded_ids.push_back(external_id);
      continue;
    }
    kept.push_back(cells[i]);
  }
  // The excluded agent is no unit at all: the others close up, in order.
  for (core::PanelCell& c : kept) {
    if (c.unit > unit[trained_agent]) --c.unit;
  }
  auto responses_stub = tnps::v1::ResponseService::NewStub(server_->NewChannel());
  tnps::v1::SetAgentExclusionRequest exclude_agent;
  exclude_agent.set_agent_id(trained_agent);
  exclude_agent.set_excluded(true);
  exclude_agent.set_reason("QA test traffic");
  tnps::v1::SetAgentExclusionResponse agent_excluded;
  ASSERT_TRUE(
      responses_stub->SetAgentExclusion(Context(admin_key_a_).get(), exclude_agent, &agent_excluded)
          .ok());
  tnps::v1::SetResponseExclusionRequest exclude_responses;
  for (const std::string& id : excluded_ids) exclude_responses.add_external_ids(id);
  exclude_responses.set_excluded(true);
  exclude_responses.set_reason("integration test");
  tnps::v1::SetResponseExclusionResponse responses_excluded;
  ASSERT_TRUE(responses_stub
                  ->SetResponseExclusion(Context(admin_key_a_).get(), exclude_responses,
                                         &responses_excluded)
                  .ok());
  ASSERT_EQ(responses_excluded.changed_count(), 5);
  request.set_min_event_agents(0);
  status = training_->GetProgramImpact(Context(read_key_a_).get(), request, &impact);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(impact.exclusions().agents(), 1);
  EXPECT_EQ(impact.exclusions().responses(), trained_agent_responses + 5);
  EXPECT_EQ(impact.responses(), responses - trained_agent_responses - 5);
  EXPECT_EQ(impact.treated_agents(), 149);
  absl::StatusOr<core::DidEstimates> without = core::EstimateGroupTimeAtt(kept, {});
  ASSERT_TRUE(without.ok());
  EXPECT_NEAR(impact.simple().att(), without->simple.att, 1e-9);
  EXPECT_NEAR(impact.simple().standard_error(), without->simple.standard_error, 1e-9);
  EXPECT_NE(impact.simple().att(), expected->simple.att);  // the exclusions mattered
  exclude_agent.set_excluded(false);
  ASSERT_TRUE(
      responses_stub->SetAgentExclusion(Context(admin_key_a_).get(), exclude_agent, &agent_excluded)
          .ok());
  exclude_responses.set_excluded(false);
  ASSERT_TRUE(responses_stub
                  ->SetResponseExclusion(Context(admin_key_a_).get(), exclude_responses,
                                         &responses_excluded)
                  .ok());

  // Running the demo again adds nothing.
  demo = RunCommand(argv);
  ASSERT_EQ(demo.exit_code, 0) << demo.stderr_text;
  EXPECT_THAT(demo.stdout_text, HasSubstr("exists already"));
  EXPECT_EQ(ResponseCount(), responses);
}

// `tnpsctl report` on demo data, rendered by headless Chromium: the page
// is self-contained and every chart is drawn in its colours.
TEST_F(TrainingE2eTest, ReportRendersInHeadlessChromium) {
  const char* kChromium = "/usr/bin/chromium";
  if (!std::filesystem::exists(kChromium)) {
    GTEST_SKIP() << "Debian's chromium is not installed (tests/run.sh installs it)";
  }
  CommandResult demo = RunCommand({TNPSCTL_BIN, "demo", "--server=" + server_->address(),
                                   "--api-key=" + admin_key_a_, "--seed=3", "--agents=120",
                                   "--teams=6", "--days=270", "--responses-per-day=300",
                                   "--agents-per-wave=30", "--end-date=2026-10-31"});
  ASSERT_EQ(demo.exit_code, 0) << demo.stderr_text;

  char dir_template[] = "/tmp/tnps-report-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string html_path = dir + "/report.html";
  CommandResult report =
      RunCommand({TNPSCTL_BIN, "report", "--server=" + server_->address(),
                  "--api-key=" + read_key_a_, "--program=Empathy training", "--out=" + html_path});
  ASSERT_EQ(report.exit_code, 0) << report.stderr_text;
  std::ifstream file(html_path);
  const std::string html((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_THAT(html, HasSubstr("<svg"));
  for (const char* external : {"src=", "href=", "url(", "@import", "<script"}) {
    EXPECT_THAT(html, ::testing::Not(HasSubstr(external))) << external;
  }

  const std::string png = dir + "/report.png";
  CommandResult shot =
      RunCommand({kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                  "--disable-background-networking", "--disable-dev-shm-usage", "--no-first-run",
                  "--user-data-dir=" + dir + "/profile", "--window-size=1000,2600",
                  "--screenshot=" + png, "file://" + html_path});
  ASSERT_EQ(shot.exit_code, 0) << shot.stderr_text;
  std::optional<PngImage> image = ReadPng(png);
  ASSERT_TRUE(image.has_value());
  EXPECT_EQ(image->width, 1000);
  // Three cohort charts with two lines each, the event study's band and line.
  EXPECT_GT(image->CountColor(tools::kCohortColor, 10), 1000);
  EXPECT_GT(image->CountColor(tools::kComparisonColor, 10), 1000);
  EXPECT_GT(image->CountColor(tools::kBandColor, 6), 5000);
  EXPECT_GT(image->CountColor(tools::kEstimateColor, 10), 300);
  // The summary speaks first, in words, with money in the programme's
  // currency and thousands separators.
  EXPECT_THAT(html, HasSubstr("<h2>Summary</h2>"));
  EXPECT_THAT(html, HasSubstr("<b>Recommendation.</b>"));
  EXPECT_THAT(html, HasSubstr("How to read this page"));
  EXPECT_THAT(html, HasSubstr("What this estimate cannot rule out"));
  EXPECT_LT(html.find("<h2>Summary</h2>"), html.find("<svg"));
  // The comparison's two kinds of agents, and a row per team (the demo's 6).
  EXPECT_THAT(html, ::testing::ContainsRegex("comparison: [0-9]+ agents trained later, [0-9]+ "
                                             "never trained"));
  EXPECT_THAT(html, HasSubstr("<h2>By team</h2>"));
  size_t team_rows = 0;
  for (size_t at = html.find("<h2>By team</h2>");
       (at = html.find("<tr><td>team-", at)) != std::string::npos; ++at) {
    ++team_rows;
  }
  EXPECT_EQ(team_rows, 6u);

  // Printed: with a value per point the summary gives value and payback,
  // and the first page holds the summary and the event study.
  const std::string pdf = dir + "/report.pdf";
  CommandResult printed =
      RunCommand({TNPSCTL_BIN, "report", "--server=" + server_->address(),
                  "--api-key=" + read_key_a_, "--program=Empathy training", "--out=" + pdf,
                  "--format=pdf", "--value-per-point=500", "--chromium=" + std::string(kChromium)});
  ASSERT_EQ(printed.exit_code, 0) << printed.stderr_text;
  ASSERT_TRUE(std::filesystem::exists(pdf));
  EXPECT_FALSE(std::filesystem::exists(pdf + ".html"));  // the intermediate page is gone
  CommandResult page = RunCommand(
      {"/usr/bin/pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", pdf, dir + "/page"});
  ASSERT_EQ(page.exit_code, 0) << page.stderr_text;
  std::optional<PngImage> first = ReadPng(dir + "/page-1.png");
  ASSERT_TRUE(first.has_value());
  EXPECT_GT(first->CountColor(tools::kSummaryColor, 2), 20000);     // the summary's box
  EXPECT_GT(first->CountColor(tools::kEstimateColor, 10), 100);     // the event study's line
  EXPECT_GT(first->CountColor(tools::kUniformBandColor, 2), 1000);  // and its uniform band
  CommandResult bad = RunCommand({TNPSCTL_BIN, "report", "--server=" + server_->address(),
                                  "--api-key=" + read_key_a_, "--program=Empathy training",
                                  "--out=" + pdf, "--value-per-point=-3"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.stderr_text, HasSubstr("--value-per-point"));
  std::filesystem::remove_all(dir);
}

TEST_F(TrainingE2eTest, PlanCohortUsesTheTenantsHistory) {
  // 26 weeks of history: 4 agents, 2 responses a week each, all promoters
  // for a and b, all detractors for c and d: between-agent variance only.
  const absl::Time now = absl::Now();
  for (int week = 1; week <= 20; ++week) {
    for (const char* agent : {"a", "b", "c", "d"}) {
      for (int k = 0; k < 2; ++k) {
        const bool high = agent[0] == 'a' || agent[0] == 'b';
        Respond(absl::StrCat(agent, week, "-", k), agent, now - absl::Hours(24 * 7 * week + k),
                high ? 10 : 0);
      }
    }
  }
  Flush();
  tnps::v1::PlanCohortRequest request;
  request.set_agents(50);
  request.set_weeks_after_training(8);
  tnps::v1::PlanCohortResponse plan;
  ASSERT_TRUE(training_->PlanCohort(Context(read_key_a_).get(), request, &plan).ok());
  ASSERT_TRUE(plan.defined());
  EXPECT_EQ(plan.history_responses(), 160);
  EXPECT_EQ(plan.history_agents(), 4);
  EXPECT_NEAR(plan.responses_per_agent_per_week(), 160.0 / (4 * 26), 1e-9);
  // ANOVA: no variance within agents; between agents MSB/n0 with
  // MSB = 4·40·100²/3 and n0 = (160 − 4·40²/160)/3 = 40, so σ² = 40000/3.
  const double variance = 40000.0 / 3;
  EXPECT_NEAR(plan.response_sd(), std::sqrt(variance), 1e-6);
  EXPECT_NEAR(plan.intra_agent_correlation(), 1, 1e-9);
  // m = 8·160/104 responses per window and DE = m, so each of the four
  // means has variance σ²/50 and the MDE is (1.95996 + 0.84162)·SE.
  const double se = std::sqrt(4 * variance / 50);
  EXPECT_NEAR(plan.design_effect(), 8 * 160.0 / 104, 1e-9);
  EXPECT_NEAR(plan.standard_error(), se, 1e-6);
  EXPECT_NEAR(plan.minimum_detectable_effect(), 2.801585 * se, 1e-3);

  request.set_agents(0);
  request.set_weeks_after_training(0);
  grpc::Status status = training_->PlanCohort(Context(read_key_a_).get(), request, &plan);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("agents", "weeks_after_training"));
}

}  // namespace
}  // namespace tnps::testing
