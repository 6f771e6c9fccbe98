// One table of hostile identifier and name values, sent to every RPC field
// that takes an identifier or a name, and hostile times to every time
// field: each is INVALID_ARGUMENT naming the field, and SQL shows that
// nothing was stored (core/text_rules.h; docs/api.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "tests/e2e/ingest_fixture.h"
#include "tnps/v1/alert_service.pb.h"
#include "tnps/v1/analytics_service.pb.h"
#include "tnps/v1/response_service.pb.h"
#include "tnps/v1/training_service.pb.h"

namespace tnps::testing {
namespace {

using ::testing::ElementsAre;

struct Hostile {
  const char* name;
  std::string value;
};

// Each carries HOSTILE, so that SQL can look for any trace of it.
const std::vector<Hostile>& HostileValues() {
  static const auto* values = new std::vector<Hostile>{
      {"NUL", std::string("nul-x\0HOSTILE", 13)},
      {"line feed", "HOSTILE\nforged log line"},
      {"carriage return", "HOSTILE\rx"},
      {"tab", "HOSTILE\tx"},
      {"escape", "HOSTILE\x1b[31m"},
      {"DEL", "HOSTILE\x7f"},
      {"C1 NEL", "HOSTILE\xc2\x85"},
      {"C1 CSI", "HOSTILE\xc2\x9b"},
      {"right-to-left override", "HOSTILE\xe2\x80\xaegpj.exe"},
      {"left-to-right isolate", "HOSTILE\xe2\x81\xa6x"},
      {"right-to-left mark", "HOSTILE\xe2\x80\x8f"},
      {"zero-width space", "HOST\xe2\x80\x8bILE"},
      {"zero-width joiner", "HOST\xe2\x80\x8dILE"},
      {"byte-order mark", "\xef\xbb\xbfHOSTILE"},
      {"soft hyphen", "HOST\xc2\xadILE"},
      {"too long", "HOSTILE" + std::string(300, 'x')},
  };
  return *values;
}

// A hostile value swapped in by WithInvalidUtf8: not UTF-8 at all.
constexpr char kInvalidUtf8Placeholder[] = "HOSTILE-not-utf8";

struct Target {
  const char* rpc;
  const char* method;
  // The request with `value` in the field under test.
  std::function<std::unique_ptr<google::protobuf::Message>(const std::string& value)> build;
  std::string field;
  // Which key may call it.
  enum { kIngest, kRead, kAdmin } key;
};

google::protobuf::Timestamp At(absl::Time t) {
  google::protobuf::Timestamp out;
  out.set_seconds(absl::ToUnixSeconds(t));
  return out;
}

std::vector<Target> Targets(const tnps::v1::SurveyResponse& base) {
  std::vector<Target> targets;
  const auto ingest = [&](const char* field,
                          std::function<void(tnps::v1::SurveyResponse&, const std::string&)> set) {
    targets.push_back({"SubmitResponse", "/tnps.v1.IngestService/SubmitResponse",
                       [set, base](const std::string& value) {
                         auto request = std::make_unique<tnps::v1::SubmitResponseRequest>();
                         *request->mutable_response() = base;
                         set(*request->mutable_response(), value);
                         return request;
                       },
                       absl::StrCat("response.", field), Target::kIngest});
  };
  ingest("external_id", [](auto& r, const auto& v) { r.set_external_id(v); });
  ingest("interaction_id", [](auto& r, const auto& v) { r.set_interaction_id(v); });
  ingest("agent_id", [](auto& r, const auto& v) { r.set_agent_id(v); });
  ingest("team_id", [](auto& r, const auto& v) { r.set_team_id(v); });
  ingest("customer_ref", [](auto& r, const auto& v) { r.set_customer_ref(v); });
  ingest("attributes", [](auto& r, const auto& v) { (*r.mutable_attributes())[v] = "x"; });

  const auto agent = [&](const char* field,
                         std::function<void(tnps::v1::Agent&, const std::string&)> set) {
    targets.push_back({"UpsertAgents", "/tnps.v1.TrainingService/UpsertAgents",
                       [set](const std::string& value) {
                         auto request = std::make_unique<tnps::v1::UpsertAgentsRequest>();
                         tnps::v1::Agent* a = request->add_agents();
                         a->set_agent_id("agent-ok");
                         a->set_team_id("team-ok");
                         set(*a, value);
                         return request;
                       },
                       absl::StrCat("agents[0].", field), Target::kAdmin});
  };
  agent("agent_id", [](auto& a, const auto& v) { a.set_agent_id(v); });
  agent("team_id", [](auto& a, const auto& v) { a.set_team_id(v); });
  agent("display_name", [](auto& a, const auto& v) { a.set_display_name(v); });
  agent("region", [](auto& a, const auto& v) { a.set_region(v); });

  targets.push_back({"CreateProgram", "/tnps.v1.TrainingService/CreateProgram",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::CreateProgramRequest>();
                       request->mutable_program()->set_name(value);
                       request->mutable_program()->set_currency_code("EUR");
                       return request;
                     },
                     "program.name", Target::kAdmin});
  targets.push_back({"CreateCohort", "/tnps.v1.TrainingService/CreateCohort",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::CreateCohortRequest>();
                       tnps::v1::Cohort* c = request->mutable_cohort();
                       c->set_program_id(1);
                       c->set_name(value);
                       *c->mutable_planned_start_date() = ProtoDate(absl::CivilDay(2026, 1, 5));
                       *c->mutable_planned_end_date() = ProtoDate(absl::CivilDay(2026, 1, 9));
                       return request;
                     },
                     "cohort.name", Target::kAdmin});
  targets.push_back({"EnrollAgents", "/tnps.v1.TrainingService/EnrollAgents",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::EnrollAgentsRequest>();
                       request->set_cohort_id(1);
                       request->add_agent_ids(value);
                       return request;
                     },
                     "agent_ids[0]", Target::kAdmin});
  targets.push_back({"RecordCompletions", "/tnps.v1.TrainingService/RecordCompletions",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::RecordCompletionsRequest>();
                       request->set_cohort_id(1);
                       tnps::v1::Completion* c = request->add_completions();
                       c->set_agent_id(value);
                       *c->mutable_completion_time() = At(absl::Now() - absl::Hours(1));
                       return request;
                     },
                     "completions[0].agent_id", Target::kAdmin});
  for (const char* field : {"agent_ids", "team_ids"}) {
    targets.push_back({"GetNps", "/tnps.v1.AnalyticsService/GetNps",
                       [field](const std::string& value) {
                         auto request = std::make_unique<tnps::v1::GetNpsRequest>();
                         tnps::v1::NpsFilter* f = request->mutable_filter();
                         *f->mutable_start_date() = ProtoDate(absl::CivilDay(2026, 1, 1));
                         *f->mutable_end_date() = ProtoDate(absl::CivilDay(2026, 1, 31));
                         (std::string(field) == "agent_ids" ? f->add_agent_ids()
                                                            : f->add_team_ids())
                             ->assign(value);
                         return request;
                       },
                       absl::StrCat("filter.", field, "[0]"), Target::kRead});
  }
  targets.push_back({"GetResponse", "/tnps.v1.ResponseService/GetResponse",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::GetResponseRequest>();
                       request->set_external_id(value);
                       return request;
                     },
                     "external_id", Target::kRead});
  targets.push_back({"ListResponses", "/tnps.v1.ResponseService/ListResponses",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::ListResponsesRequest>();
                       tnps::v1::NpsFilter* f = request->mutable_filter();
                       *f->mutable_start_date() = ProtoDate(absl::CivilDay(2026, 1, 1));
                       *f->mutable_end_date() = ProtoDate(absl::CivilDay(2026, 1, 31));
                       f->add_team_ids(value);
                       return request;
                     },
                     "filter.team_ids[0]", Target::kRead});
  targets.push_back({"AmendResponse", "/tnps.v1.ResponseService/AmendResponse",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::AmendResponseRequest>();
                       request->set_external_id(value);
                       request->mutable_response()->set_comment("fine");
                       request->mutable_update_mask()->add_paths("comment");
                       return request;
                     },
                     "external_id", Target::kIngest});
  targets.push_back({"EraseResponses", "/tnps.v1.ResponseService/EraseResponses",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::EraseResponsesRequest>();
                       request->set_customer_ref(value);
                       return request;
                     },
                     "customer_ref", Target::kAdmin});
  targets.push_back({"EraseResponses", "/tnps.v1.ResponseService/EraseResponses",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::EraseResponsesRequest>();
                       request->add_external_ids(value);
                       return request;
                     },
                     "external_ids[0]", Target::kAdmin});
  targets.push_back({"SetAgentExclusion", "/tnps.v1.ResponseService/SetAgentExclusion",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::SetAgentExclusionRequest>();
                       request->set_agent_id(value);
                       request->set_excluded(true);
                       request->set_reason("test traffic");
                       return request;
                     },
                     "agent_id", Target::kAdmin});
  targets.push_back({"SetResponseExclusion", "/tnps.v1.ResponseService/SetResponseExclusion",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::SetResponseExclusionRequest>();
                       request->add_external_ids(value);
                       request->set_excluded(true);
                       request->set_reason("test traffic");
                       return request;
                     },
                     "external_ids[0]", Target::kAdmin});
  targets.push_back({"CreateSubscription", "/tnps.v1.AlertService/CreateSubscription",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::CreateSubscriptionRequest>();
                       tnps::v1::Subscription* s = request->mutable_subscription();
                       s->set_name(value);
                       s->add_event_types(tnps::v1::ALERT_EVENT_TYPE_RESPONSE_CREATED);
                       s->set_url("https://crm.example.com/hook");
                       request->set_secret(std::string(40, 'k'));
                       return request;
                     },
                     "subscription.name", Target::kAdmin});
  targets.push_back({"CreateSubscription", "/tnps.v1.AlertService/CreateSubscription",
                     [](const std::string& value) {
                       auto request = std::make_unique<tnps::v1::CreateSubscriptionRequest>();
                       tnps::v1::Subscription* s = request->mutable_subscription();
                       s->set_name("detractors");
                       s->add_event_types(tnps::v1::ALERT_EVENT_TYPE_RESPONSE_CREATED);
                       s->mutable_filter()->add_agent_ids(value);
                       s->set_url("https://crm.example.com/hook");
                       request->set_secret(std::string(40, 'k'));
                       return request;
                     },
                     "subscription.filter.agent_ids[0]", Target::kAdmin});
  return targets;
}

class HostileValuesE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--auth_cache_ttl=10s", "--refusal_delay=0s"};
  }

  const std::string& KeyFor(const Target& t) const {
    return t.key == Target::kIngest ? ingest_key_a_
           : t.key == Target::kRead ? read_key_a_
                                    : admin_key_a_;
  }

  grpc::Status Call(const Target& t, const std::string& bytes) {
    grpc::ByteBuffer reply;
    return CallRaw(channel_.get(), KeyFor(t), t.method, bytes, &reply);
  }

  void SetUp() override {
    IngestFixture::SetUp();
    channel_ = server_->NewChannel();
  }
  void TearDown() override {
    channel_.reset();
    IngestFixture::TearDown();
  }

  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(HostileValuesE2eTest, EveryIdentifierAndNameFieldRefusesEveryHostileValue) {
  int cases = 0;
  for (const Target& target : Targets(ValidResponse("hostile-ok"))) {
    for (const Hostile& hostile : HostileValues()) {
      ++cases;
      const grpc::Status status = Call(target, target.build(hostile.value)->SerializeAsString());
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << target.rpc << " " << target.field << ": " << hostile.name << ": "
          << status.error_message();
      EXPECT_THAT(
          ViolatedFields(status),
          ElementsAre(target.field == "response.attributes" ? "response.attributes" : target.field))
          << target.rpc << " " << target.field << ": " << hostile.name;
    }
    // Not UTF-8: INVALID_ARGUMENT naming the field for a caller with a
    // key; without one, UNAUTHENTICATED, never INTERNAL: the key is checked
    // before the message is decoded, so an anonymous caller costs no parse
    // and learns nothing about the schema.
    ++cases;
    const std::unique_ptr<google::protobuf::Message> request =
        target.build(kInvalidUtf8Placeholder);
    const std::string bytes = WithInvalidUtf8(*request, kInvalidUtf8Placeholder);
    grpc::ByteBuffer reply;
    grpc::Status status = CallRaw(channel_.get(), KeyFor(target), target.method, bytes, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << target.rpc << " " << target.field << " (not UTF-8): " << status.error_message();
    EXPECT_THAT(ViolatedFields(status), ElementsAre(target.field))
        << target.rpc << " " << target.field << " (not UTF-8)";
    status = CallRaw(channel_.get(), "", target.method, bytes, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << target.rpc << " " << target.field << " (not UTF-8, no key)";
  }
  EXPECT_GE(cases, 60);
  std::printf("%d hostile cases\n", cases);

  // Nothing stored, anywhere, and no administrative action recorded.
  for (const char* table : {"responses", "agents", "training_programs", "training_cohorts",
                            "training_enrollments", "training_completion_log", "rollup_changes"}) {
    EXPECT_EQ(db_->QueryInt(absl::StrCat("SELECT count(*) FROM ", table)), 0) << table;
  }
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM audit_events WHERE actor LIKE 'key:%'"), 0);
}

TEST_F(HostileValuesE2eTest, TimesOutsideTheCountableRangeAreRefusedEverywhere) {
  const absl::Time year_one =
      absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  const absl::Time year_fifty =
      absl::FromCivil(absl::CivilSecond(50, 6, 1, 0, 0, 0), absl::UTCTimeZone());
  // 1999-12-31 in New York: a day no query can ask for.
  const absl::Time new_year_utc =
      absl::FromCivil(absl::CivilSecond(2000, 1, 1, 1, 0, 0), absl::UTCTimeZone());
  const absl::Time tomorrow = absl::Now() + absl::Hours(24);
  for (const absl::Time t : {year_one, year_fifty, new_year_utc, tomorrow}) {
    SCOPED_TRACE(absl::FormatTime(t));
    tnps::v1::SurveyResponse r = ValidResponse("hostile-time");
    *r.mutable_interaction_time() = At(t);
    *r.mutable_response_time() = At(t + absl::Minutes(1));
    grpc::Status status = Submit(ingest_key_a_, r);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ViolatedFields(status),
                ElementsAre("response.interaction_time", "response.response_time"));

    tnps::v1::EnrollAgentsRequest enroll;
    enroll.set_cohort_id(1);
    enroll.add_agent_ids("agent-1");
    *enroll.mutable_enroll_time() = At(t);
    status =
        Call({"EnrollAgents", "/tnps.v1.TrainingService/EnrollAgents", nullptr, "", Target::kAdmin},
             enroll.SerializeAsString());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ViolatedFields(status), ElementsAre("enroll_time"));

    tnps::v1::RecordCompletionsRequest complete;
    complete.set_cohort_id(1);
    tnps::v1::Completion* c = complete.add_completions();
    c->set_agent_id("agent-1");
    *c->mutable_completion_time() = At(t);
    status = Call({"RecordCompletions", "/tnps.v1.TrainingService/RecordCompletions", nullptr, "",
                   Target::kAdmin},
                  complete.SerializeAsString());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(ViolatedFields(status), ElementsAre("completions[0].completion_time"));
  }
  EXPECT_EQ(ResponseCount(), 0);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM training_enrollments"), 0);
}

}  // namespace
}  // namespace tnps::testing
