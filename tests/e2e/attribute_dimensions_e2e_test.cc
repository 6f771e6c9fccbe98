// Attribute dimensions (journey touchpoints) end to end: declaring a key
// back-fills the responses written before while ingest goes on, and from
// then on every filtered and broken-down figure equals a recount over the
// responses table, through erasure, exclusions, amendments and inclusion.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/e2e/ingest_fixture.h"
#include "tnps/v1/analytics_service.grpc.pb.h"
#include "tnps/v1/response_service.grpc.pb.h"

namespace tnps::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Promoters, passives and detractors.
using Counts = std::array<int64_t, 3>;

class AttributeDimensionsE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    // Small back-fill batches, so that declaring spans many of them while
    // ingest goes on.
    return {"--auth_cache_ttl=0s", "--compact_interval=50ms", "--attribute_backfill_batch=50"};
  }

  void SetUp() override {
    IngestFixture::SetUp();
    analytics_ = tnps::v1::AnalyticsService::NewStub(server_->NewChannel());
    records_ = tnps::v1::ResponseService::NewStub(server_->NewChannel());
    today_ = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  }

  void TearDown() override {
    analytics_.reset();
    records_.reset();
    IngestFixture::TearDown();
  }

  // Responses of 6 agents in 2 teams over the three queues (every fifth
  // without one), with an "ivr" attribute on every other.
  std::vector<tnps::v1::SurveyResponse> Responses(const std::string& prefix, int count) {
    static const char* kQueues[] = {"billing", "tech", "moving"};
    std::vector<tnps::v1::SurveyResponse> out;
    for (int i = 0; i < count; ++i) {
      tnps::v1::SurveyResponse r = ValidResponse(absl::StrCat(prefix, i), (i * 7) % 11);
      r.set_agent_id(absl::StrCat("agent-", i % 6));
      r.set_team_id(absl::StrCat("team-", i % 2));
      r.set_channel(static_cast<tnps::v1::Channel>(1 + i % 3));
      r.mutable_attributes()->clear();
      if (i % 5 != 0) (*r.mutable_attributes())["queue"] = kQueues[(i / 3) % 3];
      if (i % 2 == 0) (*r.mutable_attributes())["ivr"] = i % 4 == 0 ? "menu-1" : "menu-2";
      out.push_back(std::move(r));
    }
    return out;
  }

  void Load(const std::string& prefix, int count) {
    std::vector<tnps::v1::SurveyResponse> all = Responses(prefix, count);
    for (size_t from = 0; from < all.size(); from += 100) {
      std::vector<tnps::v1::SurveyResponse> batch(all.begin() + from,
                                                  all.begin() + std::min(all.size(), from + 100));
      tnps::v1::SubmitResponsesResponse reply;
      ASSERT_TRUE(SubmitBatch(ingest_key_a_, batch, &reply).ok());
    }
  }

  tnps::v1::NpsFilter Filter() const {
    tnps::v1::NpsFilter f;
    *f.mutable_start_date() = ProtoDate(today_ - 3);
    *f.mutable_end_date() = ProtoDate(today_ + 1);
    return f;
  }

  // The recount: counted responses (neither they nor their agent excluded)
  // of tenant A that have `key`, by its value, optionally in one team.
  std::map<std::string, Counts> Recount(const std::string& key, const std::string& team = "",
                                        const std::string& agent = "") {
    pqxx::connection conn(db_->superuser_url());
    pqxx::work txn(conn);
    std::map<std::string, Counts> out;
    for (const auto& row : txn.exec_params(
             "SELECT r.attributes ->> $2, count(*) FILTER (WHERE score >= 9), "
             "count(*) FILTER (WHERE score BETWEEN 7 AND 8), count(*) FILTER (WHERE score <= 6) "
             "FROM responses r WHERE r.tenant_id = $1 AND NOT r.excluded AND r.attributes ? $2 "
             "AND ($3 = '' OR r.team_id = $3) AND ($4 = '' OR r.agent_id = $4) AND NOT EXISTS "
             "(SELECT 1 FROM excluded_agents e WHERE e.tenant_id = r.tenant_id AND "
             "e.agent_id = r.agent_id) GROUP BY 1",
             tenant_a_, key, team, agent)) {
      out[row[0].as<std::string>()] = {row[1].as<int64_t>(), row[2].as<int64_t>(),
                                       row[3].as<int64_t>()};
    }
    return out;
  }

  grpc::Status Breakdown(const std::string& key, const std::string& team,
                         std::map<std::string, Counts>* out) {
    tnps::v1::GetNpsBreakdownRequest request;
    *request.mutable_filter() = Filter();
    if (!team.empty()) request.mutable_filter()->add_team_ids(team);
    request.set_dimension(tnps::v1::DIMENSION_ATTRIBUTE);
    request.set_attribute_key(key);
    tnps::v1::GetNpsBreakdownResponse response;
    grpc::Status status =
        analytics_->GetNpsBreakdown(Context(read_key_a_).get(), request, &response);
    out->clear();
    for (const auto& row : response.rows()) {
      (*out)[row.key()] = {row.summary().promoters(), row.summary().passives(),
                           row.summary().detractors()};
    }
    return status;
  }

  // GetNps with the condition key ∈ values, of one agent if given.
  grpc::Status Nps(const std::string& key, const std::vector<std::string>& values, Counts* out,
                   const std::string& agent = "") {
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter() = Filter();
    if (!agent.empty()) request.mutable_filter()->add_agent_ids(agent);
    tnps::v1::AttributeCondition* c = request.mutable_filter()->add_attributes();
    c->set_key(key);
    for (const std::string& v : values) c->add_values(v);
    tnps::v1::GetNpsResponse response;
    grpc::Status status = analytics_->GetNps(Context(read_key_a_).get(), request, &response);
    *out = {response.summary().promoters(), response.summary().passives(),
            response.summary().detractors()};
    return status;
  }

  // Every read of the key equals the recount.
  void ExpectExact(const std::string& key, const std::string& when) {
    SCOPED_TRACE(when);
    std::map<std::string, Counts> by_value;
    ASSERT_TRUE(Breakdown(key, "", &by_value).ok());
    const std::map<std::string, Counts> expected = Recount(key);
    EXPECT_EQ(by_value, expected);
    ASSERT_TRUE(Breakdown(key, "team-1", &by_value).ok());
    EXPECT_EQ(by_value, Recount(key, "team-1"));
    for (const auto& [value, counts] : expected) {
      Counts got;
      ASSERT_TRUE(Nps(key, {value}, &got).ok());
      EXPECT_EQ(got, counts) << value;
    }
    // One agent's, from the per-agent table.
    const std::map<std::string, Counts> agent_expected = Recount(key, "", "agent-2");
    for (const auto& [value, counts] : expected) {
      Counts got;
      ASSERT_TRUE(Nps(key, {value}, &got, "agent-2").ok());
      const auto it = agent_expected.find(value);
      EXPECT_EQ(got, it == agent_expected.end() ? Counts{} : it->second) << "agent-2 " << value;
    }
  }

  tnps::v1::AttributeDimension WaitUntilReady(const std::string& key) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    tnps::v1::ListAttributeDimensionsResponse list;
    while (absl::Now() < deadline) {
      list.Clear();
      EXPECT_TRUE(analytics_->ListAttributeDimensions(Context(read_key_a_).get(), {}, &list).ok());
      for (const auto& d : list.dimensions()) {
        if (d.key() == key && d.ready()) return d;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << key << " not ready within 60 s";
    return {};
  }

  grpc::Status Declare(const std::string& key, tnps::v1::DeclareAttributeDimensionResponse* out,
                       const std::string& api_key = "") {
    tnps::v1::DeclareAttributeDimensionRequest request;
    request.set_key(key);
    return analytics_->DeclareAttributeDimension(
        Context(api_key.empty() ? admin_key_a_ : api_key).get(), request, out);
  }

  std::unique_ptr<tnps::v1::AnalyticsService::Stub> analytics_;
  std::unique_ptr<tnps::v1::ResponseService::Stub> records_;
  absl::CivilDay today_;
};

TEST_F(AttributeDimensionsE2eTest, DeclaringBackFillsWhileIngestGoesOnAndStaysExact) {
  Load("before-", 1200);
  Counts unused;
  grpc::Status status = Nps("queue", {"billing"}, &unused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("attribute key \"queue\" is not a declared"));

  // Declare while a writer keeps ingesting: its calls all succeed, and
  // what it writes is counted from the start.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0}, failed{0};
  std::thread writer([&] {
    for (int round = 0; !stop.load() && round < 400; ++round) {
      tnps::v1::SubmitResponsesResponse reply;
      if (SubmitBatch(ingest_key_a_, Responses(absl::StrCat("during-", round, "-"), 5), &reply)
              .ok()) {
        written += 5;
      } else {
        ++failed;
      }
    }
  });
  absl::SleepFor(absl::Milliseconds(100));
  tnps::v1::DeclareAttributeDimensionResponse declared;
  ASSERT_TRUE(Declare("queue", &declared).ok());
  EXPECT_TRUE(declared.created());
  EXPECT_EQ(declared.dimension().key(), "queue");
  // 1,200 earlier responses in batches of 50 take many compactor rounds.
  EXPECT_FALSE(declared.dimension().ready());
  status = Nps("queue", {"billing"}, &unused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("still being back-filled"));
  const tnps::v1::AttributeDimension ready = WaitUntilReady("queue");
  stop = true;
  writer.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(written.load(), 0);
  // Every earlier response with a queue, none excluded yet: 4 in 5.
  EXPECT_GE(ready.backfilled_responses(), 1200 * 4 / 5);
  EXPECT_TRUE(ready.has_ready_time());
  ExpectExact("queue", "after the back-fill");
  std::map<std::string, Counts> by_value;
  ASSERT_TRUE(Breakdown("queue", "", &by_value).ok());
  EXPECT_EQ(by_value.size(), 3u);

  // Declaring again changes nothing.
  ASSERT_TRUE(Declare("queue", &declared).ok());
  EXPECT_FALSE(declared.created());

  // Counts move with everything that moves responses.
  {
    tnps::v1::EraseResponsesRequest erase;
    for (int i = 1; i < 40; ++i) erase.add_external_ids(absl::StrCat("before-", i));
    tnps::v1::EraseResponsesResponse erased;
    ASSERT_TRUE(records_->EraseResponses(Context(admin_key_a_).get(), erase, &erased).ok());
    EXPECT_EQ(erased.erased_count(), 39);
    ExpectExact("queue", "after erasing 39");

    tnps::v1::SetResponseExclusionRequest exclude;
    for (int i = 100; i < 130; ++i) exclude.add_external_ids(absl::StrCat("before-", i));
    exclude.set_excluded(true);
    exclude.set_reason("QA traffic");
    tnps::v1::SetResponseExclusionResponse excluded;
    ASSERT_TRUE(
        records_->SetResponseExclusion(Context(admin_key_a_).get(), exclude, &excluded).ok());
    ExpectExact("queue", "after excluding 30 responses");

    tnps::v1::SetAgentExclusionRequest agent;
    agent.set_agent_id("agent-2");
    agent.set_excluded(true);
    agent.set_reason("test agent");
    tnps::v1::SetAgentExclusionResponse agent_reply;
    ASSERT_TRUE(records_->SetAgentExclusion(Context(admin_key_a_).get(), agent, &agent_reply).ok());
    ExpectExact("queue", "after excluding agent-2");

    tnps::v1::AmendResponseRequest amend;
    amend.set_external_id("before-301");
    (*amend.mutable_response()->mutable_attributes())["queue"] = "complaints";
    amend.mutable_update_mask()->add_paths("attributes");
    tnps::v1::AmendResponseResponse amended;
    status = records_->AmendResponse(Context(admin_key_a_).get(), amend, &amended);
    ASSERT_TRUE(status.ok()) << status.error_message();
    EXPECT_TRUE(amended.changed());
    ExpectExact("queue", "after amending a queue");
    ASSERT_TRUE(Breakdown("queue", "", &by_value).ok());
    EXPECT_EQ(by_value.count("complaints"), 1u);

    // Amending an excluded response moves nothing until it is included;
    // amending the key away takes its count out.
    amend.set_external_id("before-111");
    (*amend.mutable_response()->mutable_attributes())["queue"] = "complaints";
    ASSERT_TRUE(records_->AmendResponse(Context(admin_key_a_).get(), amend, &amended).ok());
    ExpectExact("queue", "after amending an excluded response");
    amend.set_external_id("before-303");
    amend.mutable_response()->mutable_attributes()->clear();
    (*amend.mutable_response()->mutable_attributes())["ivr"] = "menu-1";
    ASSERT_TRUE(records_->AmendResponse(Context(admin_key_a_).get(), amend, &amended).ok());
    ExpectExact("queue", "after amending the queue away");

    agent.set_excluded(false);
    ASSERT_TRUE(records_->SetAgentExclusion(Context(admin_key_a_).get(), agent, &agent_reply).ok());
    ExpectExact("queue", "after including agent-2 again");
    exclude.set_excluded(false);
    ASSERT_TRUE(
        records_->SetResponseExclusion(Context(admin_key_a_).get(), exclude, &excluded).ok());
    ExpectExact("queue", "after including the 30 responses");
  }
  // A second key is independent of the first.
  ASSERT_TRUE(Declare("ivr", &declared).ok());
  WaitUntilReady("ivr");
  ExpectExact("ivr", "a second key");
  ExpectExact("queue", "the first key beside it");
  // After the compactor has folded every change row in, still exact.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (db_->QueryInt("SELECT count(*) FROM attribute_changes") > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM attribute_changes"), 0);
  ExpectExact("queue", "compacted");
  ExpectExact("ivr", "compacted");
}

TEST_F(AttributeDimensionsE2eTest, BadRequestsNameTheirFieldOrKey) {
  Load("r-", 20);
  tnps::v1::DeclareAttributeDimensionResponse declared;
  // Read keys cannot declare.
  EXPECT_EQ(Declare("queue", &declared, read_key_a_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status status = Declare("bad\nkey", &declared);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("key"));
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(Declare(absl::StrCat("k", i), &declared).ok());
  status = Declare("k8", &declared);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("cannot declare \"k8\""));
  EXPECT_THAT(status.error_message(), HasSubstr("8 attribute dimensions"));

  // Two conditions; a condition without values.
  tnps::v1::GetNpsRequest nps;
  *nps.mutable_filter() = Filter();
  nps.mutable_filter()->add_attributes()->set_key("k0");
  nps.mutable_filter()->mutable_attributes(0)->add_values("x");
  *nps.mutable_filter()->add_attributes() = nps.filter().attributes(0);
  tnps::v1::GetNpsResponse reply;
  status = analytics_->GetNps(Context(read_key_a_).get(), nps, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("filter.attributes"));
  nps.mutable_filter()->mutable_attributes()->RemoveLast();
  nps.mutable_filter()->mutable_attributes(0)->clear_values();
  status = analytics_->GetNps(Context(read_key_a_).get(), nps, &reply);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("filter.attributes[0].values"));

  // A breakdown by one key filtered on another; a breakdown without a key.
  tnps::v1::GetNpsBreakdownRequest breakdown;
  *breakdown.mutable_filter() = Filter();
  breakdown.set_dimension(tnps::v1::DIMENSION_ATTRIBUTE);
  tnps::v1::GetNpsBreakdownResponse rows;
  status = analytics_->GetNpsBreakdown(Context(read_key_a_).get(), breakdown, &rows);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("attribute_key"));
  breakdown.set_attribute_key("bad\tkey");
  status = analytics_->GetNpsBreakdown(Context(read_key_a_).get(), breakdown, &rows);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("attribute_key"));
  breakdown.set_attribute_key("k0");
  tnps::v1::AttributeCondition* other = breakdown.mutable_filter()->add_attributes();
  other->set_key("k1");
  other->add_values("x");
  status = analytics_->GetNpsBreakdown(Context(read_key_a_).get(), breakdown, &rows);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("filter.attributes[0].key"));

  // An undeclared key, then a removed one.
  Counts unused;
  status = Nps("queue", {"billing"}, &unused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("\"queue\""));
  tnps::v1::RemoveAttributeDimensionRequest remove;
  remove.set_key("k0");
  tnps::v1::RemoveAttributeDimensionResponse removed;
  ASSERT_TRUE(
      analytics_->RemoveAttributeDimension(Context(admin_key_a_).get(), remove, &removed).ok());
  EXPECT_EQ(analytics_->RemoveAttributeDimension(Context(admin_key_a_).get(), remove, &removed)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  status = Nps("k0", {"x"}, &unused);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Another tenant's keys are not this tenant's.
  tnps::v1::ListAttributeDimensionsResponse list;
  ASSERT_TRUE(analytics_->ListAttributeDimensions(Context(admin_key_b_).get(), {}, &list).ok());
  EXPECT_EQ(list.dimensions_size(), 0);
  EXPECT_EQ(list.max_dimensions(), 8);
}

}  // namespace
}  // namespace tnps::testing
