// IngestService end to end: the real tnps-server binary, a real PostgreSQL,
// real gRPC clients.
#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "storage/sha256.h"
#include "tests/e2e/ingest_fixture.h"

namespace tnps::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using tnps::v1::SurveyResponse;

class IngestE2eTest : public IngestFixture {};

TEST_F(IngestE2eTest, AcceptedResponseIsStoredAndARetryIsADuplicate) {
  tnps::v1::SubmitResponseResponse first, again;
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("crm-1", 0), &first).ok());
  EXPECT_FALSE(first.duplicate());
  grpc::Status status = Submit(ingest_key_a_, ValidResponse("crm-1", 0), &again);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.response_id(), first.response_id());
  EXPECT_EQ(ResponseCount(), 1);
  EXPECT_EQ(db_->QueryInt("SELECT score FROM responses"), 0);
  EXPECT_EQ(db_->QueryInt(absl::StrCat("SELECT sum(detractors) FROM ", kRollupCounts)), 1);
}

TEST_F(IngestE2eTest, SameKeyWithADifferentPayloadIsAlreadyExistsAndChangesNothing) {
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("crm-1", 9)).ok());
  grpc::Status status = Submit(ingest_key_a_, ValidResponse("crm-1", 2));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(status.error_message(), HasSubstr("crm-1"));
  EXPECT_EQ(db_->QueryInt("SELECT score FROM responses"), 9);
  EXPECT_EQ(db_->QueryInt(absl::StrCat("SELECT sum(detractors) FROM ", kRollupCounts)), 0);
}

TEST_F(IngestE2eTest, EightConcurrentClientsRetryingOneKeyStoreOneRow) {
  std::vector<std::thread> clients;
  std::vector<std::string> ids(8);
  std::atomic<int> failures{0};
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      auto stub = tnps::v1::IngestService::NewStub(server_->NewChannel());
      for (int attempt = 0; attempt < 5; ++attempt) {
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + ingest_key_a_);
        tnps::v1::SubmitResponseRequest request;
        *request.mutable_response() = ValidResponse("same-key", 10);
        tnps::v1::SubmitResponseResponse reply;
        if (!stub->SubmitResponse(&context, request, &reply).ok()) ++failures;
        ids[c] = reply.response_id();
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (const std::string& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(ResponseCount(), 1);
  EXPECT_EQ(db_->QueryInt(absl::StrCat("SELECT sum(promoters) FROM ", kRollupCounts)), 1);
}

TEST_F(IngestE2eTest, AckedResponsesSurviveKillDashNine) {
  // Eight clients submit as fast as they can; the server is killed under
  // load. Every response that was acknowledged must be in the database.
  std::mutex mu;
  std::vector<std::string> acked;
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int c = 0; c < 8; ++c) {
    clients.emplace_back([&, c] {
      auto stub = tnps::v1::IngestService::NewStub(server_->NewChannel());
      for (int i = 0; !stop && i < 100000; ++i) {
        const std::string id = absl::StrCat("kill-", c, "-", i);
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + ingest_key_a_);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        tnps::v1::SubmitResponseRequest request;
        *request.mutable_response() = ValidResponse(id, i % 11);
        tnps::v1::SubmitResponseResponse reply;
        if (stub->SubmitResponse(&context, request, &reply).ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acked.push_back(id);
        } else {
          return;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  server_->Kill9();
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_GT(acked.size(), 50u) << "too few acks before the kill to prove anything";
  const int64_t found = db_->QueryInt(absl::StrCat(
      "SELECT count(*) FROM responses WHERE external_id IN ('", absl::StrJoin(acked, "','"), "')"));
  EXPECT_EQ(found, static_cast<int64_t>(acked.size()));
  EXPECT_EQ(db_->QueryInt(kRollupMismatchSql), 0);
}

struct BadInputCase {
  std::string name;
  std::function<void(SurveyResponse&)> spoil;
  std::string field;
};

TEST_F(IngestE2eTest, BadInputIsInvalidArgumentNamingTheFieldAndStoresNothing) {
  const std::vector<BadInputCase> cases = {
      {"missing score", [](SurveyResponse& r) { r.clear_score(); }, "response.score"},
      {"score below 0", [](SurveyResponse& r) { r.set_score(-1); }, "response.score"},
      {"score above 10", [](SurveyResponse& r) { r.set_score(11); }, "response.score"},
      {"empty external_id", [](SurveyResponse& r) { r.clear_external_id(); },
       "response.external_id"},
      {"empty agent_id", [](SurveyResponse& r) { r.clear_agent_id(); }, "response.agent_id"},
      {"long interaction_id",
       [](SurveyResponse& r) { r.set_interaction_id(std::string(129, 'x')); },
       "response.interaction_id"},
      {"long comment", [](SurveyResponse& r) { r.set_comment(std::string(4001, 'x')); },
       "response.comment"},
      {"response before interaction",
       [](SurveyResponse& r) {
         r.mutable_response_time()->set_seconds(r.interaction_time().seconds() - 1);
       },
       "response.response_time"},
      {"response in the future",
       [](SurveyResponse& r) {
         r.mutable_response_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 3600);
       },
       "response.response_time"},
      {"unknown channel",
       [](SurveyResponse& r) { r.set_channel(static_cast<tnps::v1::Channel>(42)); },
       "response.channel"},
      {"unspecified channel",
       [](SurveyResponse& r) { r.set_channel(tnps::v1::CHANNEL_UNSPECIFIED); }, "response.channel"},
      {"too many attributes",
       [](SurveyResponse& r) {
         for (int i = 0; i < 40; ++i) (*r.mutable_attributes())[absl::StrCat("k", i)] = "v";
       },
       "response.attributes"},
      {"missing interaction_time", [](SurveyResponse& r) { r.clear_interaction_time(); },
       "response.interaction_time"},
      {"invalid timestamp nanos",
       [](SurveyResponse& r) { r.mutable_interaction_time()->set_nanos(-5); },
       "response.interaction_time"},
  };
  for (const BadInputCase& c : cases) {
    SurveyResponse r = ValidResponse("bad");
    c.spoil(r);
    grpc::Status status = Submit(ingest_key_a_, r);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.name;
    EXPECT_THAT(ViolatedFields(status), ElementsAre(c.field)) << c.name;
  }
  EXPECT_EQ(ResponseCount(), 0);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM agents"), 0);
}

TEST_F(IngestE2eTest, MissingResponseMessageIsInvalidArgument) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + ingest_key_a_);
  tnps::v1::SubmitResponseRequest empty;
  tnps::v1::SubmitResponseResponse reply;
  grpc::Status status = stub_->SubmitResponse(&context, empty, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("response"));
}

TEST_F(IngestE2eTest, InvalidUtf8IsInvalidArgumentNamingTheField) {
  tnps::v1::SubmitResponseRequest request;
  *request.mutable_response() = ValidResponse("utf8");
  request.mutable_response()->set_comment("ZZ comment");
  auto channel = server_->NewChannel();
  grpc::ByteBuffer reply;
  grpc::Status status =
      CallRaw(channel.get(), ingest_key_a_, "/tnps.v1.IngestService/SubmitResponse",
              WithInvalidUtf8(request, "ZZ"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("response.comment"));
  EXPECT_EQ(ResponseCount(), 0);
}

TEST_F(IngestE2eTest, InvalidUtf8InOneBatchItemRejectsOnlyThatItem) {
  tnps::v1::SubmitResponsesRequest request;
  *request.add_responses() = ValidResponse("ok-1");
  *request.add_responses() = ValidResponse("utf8");
  request.mutable_responses(1)->set_agent_id("ZZ-agent");
  auto channel = server_->NewChannel();
  grpc::ByteBuffer reply_bytes;
  grpc::Status status =
      CallRaw(channel.get(), ingest_key_a_, "/tnps.v1.IngestService/SubmitResponses",
              WithInvalidUtf8(request, "ZZ"), &reply_bytes);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply_bytes.Dump(&slices).ok());
  std::string joined;
  for (const auto& s : slices) joined.append(reinterpret_cast<const char*>(s.begin()), s.size());
  tnps::v1::SubmitResponsesResponse reply;
  ASSERT_TRUE(reply.ParseFromString(joined));
  ASSERT_EQ(reply.results_size(), 2);
  EXPECT_EQ(reply.results(0).outcome(), tnps::v1::ITEM_OUTCOME_ACCEPTED);
  EXPECT_EQ(reply.results(1).outcome(), tnps::v1::ITEM_OUTCOME_REJECTED);
  ASSERT_EQ(reply.results(1).violations_size(), 1);
  EXPECT_EQ(reply.results(1).violations(0).field(), "agent_id");
  EXPECT_EQ(ResponseCount(), 1);
}

TEST_F(IngestE2eTest, BatchReportsEachItemAndStoresOnlyTheValidOnes) {
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("stored-before", 9)).ok());
  SurveyResponse invalid = ValidResponse("invalid");
  invalid.set_score(12);
  std::vector<SurveyResponse> batch = {
      ValidResponse("new-1", 10), invalid, ValidResponse("stored-before", 9),
      ValidResponse("stored-before", 1), ValidResponse("new-2", 7)};
  tnps::v1::SubmitResponsesResponse reply;
  grpc::Status status = SubmitBatch(ingest_key_a_, batch, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(reply.results_size(), 5);
  EXPECT_EQ(reply.results(0).outcome(), tnps::v1::ITEM_OUTCOME_ACCEPTED);
  EXPECT_EQ(reply.results(1).outcome(), tnps::v1::ITEM_OUTCOME_REJECTED);
  EXPECT_EQ(reply.results(1).violations(0).field(), "score");
  EXPECT_EQ(reply.results(2).outcome(), tnps::v1::ITEM_OUTCOME_DUPLICATE);
  EXPECT_EQ(reply.results(3).outcome(), tnps::v1::ITEM_OUTCOME_CONFLICT);
  EXPECT_EQ(reply.results(4).outcome(), tnps::v1::ITEM_OUTCOME_ACCEPTED);
  EXPECT_EQ(reply.accepted_count(), 2);
  EXPECT_EQ(reply.duplicate_count(), 1);
  EXPECT_EQ(reply.conflict_count(), 1);
  EXPECT_EQ(reply.rejected_count(), 1);
  EXPECT_EQ(ResponseCount(), 3);
}

TEST_F(IngestE2eTest, BatchOverOneThousandIsRejectedWhole) {
  std::vector<SurveyResponse> batch;
  for (int i = 0; i < 1001; ++i) batch.push_back(ValidResponse(absl::StrCat("b", i)));
  tnps::v1::SubmitResponsesResponse reply;
  grpc::Status status = SubmitBatch(ingest_key_a_, batch, &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(ViolatedFields(status), ElementsAre("responses"));
  EXPECT_EQ(ResponseCount(), 0);
  batch.pop_back();
  ASSERT_TRUE(SubmitBatch(ingest_key_a_, batch, &reply).ok());
  EXPECT_EQ(reply.accepted_count(), 1000);
}

TEST_F(IngestE2eTest, CallsWithoutAValidKeyAreUnauthenticated) {
  EXPECT_EQ(Submit("", ValidResponse("x")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      Submit("tnps_0000000000000000_" + std::string(64, '0'), ValidResponse("x")).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Submit("garbage", ValidResponse("x")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Submit(revoked_key_a_, ValidResponse("x")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  tnps::v1::StreamResponsesResponse summary;
  EXPECT_EQ(Stream("garbage", {{ValidResponse("x")}}, &summary).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(ResponseCount(), 0);
}

TEST_F(IngestE2eTest, ReadKeysMayNotIngestButAdminKeysMay) {
  EXPECT_EQ(Submit(read_key_a_, ValidResponse("x")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ResponseCount(), 0);
  EXPECT_TRUE(Submit(admin_key_a_, ValidResponse("x")).ok());
  EXPECT_EQ(ResponseCount(), 1);
}

TEST_F(IngestE2eTest, EachKeyWritesOnlyIntoItsOwnTenant) {
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("shared-id", 9)).ok());
  tnps::v1::SubmitResponseResponse reply;
  ASSERT_TRUE(Submit(ingest_key_b_, ValidResponse("shared-id", 3), &reply).ok());
  EXPECT_FALSE(reply.duplicate());
  EXPECT_EQ(
      db_->QueryInt(absl::StrCat("SELECT score FROM responses WHERE tenant_id = ", tenant_a_)), 9);
  EXPECT_EQ(
      db_->QueryInt(absl::StrCat("SELECT score FROM responses WHERE tenant_id = ", tenant_b_)), 3);
}

TEST_F(IngestE2eTest, StreamCommitsEveryValidRowAndSummarizes) {
  std::vector<std::vector<SurveyResponse>> messages;
  int sent = 0;
  for (int m = 0; m < 12; ++m) {
    std::vector<SurveyResponse> batch;
    for (int i = 0; i < 400; ++i, ++sent) {
      // Every 100th row repeats an earlier key; every 250th is invalid.
      SurveyResponse r = ValidResponse(absl::StrCat("s", sent % 100 == 99 ? sent - 1 : sent),
                                       (sent % 100 == 99 ? sent - 1 : sent) % 11);
      if (sent % 250 == 0) r.clear_score();
      batch.push_back(r);
    }
    messages.push_back(std::move(batch));
  }
  tnps::v1::StreamResponsesResponse summary;
  grpc::Status status = Stream(ingest_key_a_, messages, &summary);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.received_count(), 4800);
  EXPECT_EQ(summary.rejected_count(), 20);   // sent = 0, 250, ..., 4750
  EXPECT_EQ(summary.duplicate_count(), 48);  // sent = 99, 199, ..., 4799
  EXPECT_EQ(summary.accepted_count(), 4800 - 20 - 48);
  EXPECT_EQ(summary.first_rejections_size(), 20);
  EXPECT_EQ(summary.first_rejections(1).index(), 250);
  EXPECT_EQ(summary.first_rejections(1).violations(0).field(), "score");
  EXPECT_EQ(ResponseCount(), 4800 - 20 - 48);
  // Sending the whole stream again stores nothing new.
  ASSERT_TRUE(Stream(ingest_key_a_, messages, &summary).ok());
  EXPECT_EQ(summary.accepted_count(), 0);
  EXPECT_EQ(summary.duplicate_count(), 4800 - 20);
  EXPECT_EQ(ResponseCount(), 4800 - 20 - 48);
}

TEST_F(IngestE2eTest, RollupsEqualARecountAfterMixedUnaryBatchAndStreamLoad) {
  // Three kinds of clients at once, over overlapping keys, so that
  // duplicates race across unary, batch and stream paths.
  auto key_response = [](int id) {
    SurveyResponse r = ValidResponse(absl::StrCat("m", id), id % 11);
    r.set_agent_id(absl::StrCat("agent-", id % 13));
    r.set_team_id(absl::StrCat("team-", id % 3));
    r.set_channel(static_cast<tnps::v1::Channel>(1 + id % 6));
    r.mutable_interaction_time()->set_seconds(r.interaction_time().seconds() - (id % 20) * 86400);
    return r;
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 3; ++c) {
    clients.emplace_back([&, c] {
      for (int id = c; id < 600; id += 2) ASSERT_TRUE(Submit(ingest_key_a_, key_response(id)).ok());
    });
  }
  clients.emplace_back([&] {
    for (int start = 0; start < 2000; start += 250) {
      std::vector<SurveyResponse> batch;
      for (int id = start; id < start + 250; ++id) batch.push_back(key_response(id));
      tnps::v1::SubmitResponsesResponse reply;
      ASSERT_TRUE(SubmitBatch(ingest_key_a_, batch, &reply).ok());
    }
  });
  clients.emplace_back([&] {
    std::vector<std::vector<SurveyResponse>> messages(10);
    for (int id = 0; id < 3000; ++id) messages[id / 300].push_back(key_response(id));
    tnps::v1::StreamResponsesResponse summary;
    ASSERT_TRUE(Stream(ingest_key_a_, messages, &summary).ok());
  });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ResponseCount(), 3000);
  EXPECT_EQ(db_->QueryInt(
                absl::StrCat("SELECT sum(promoters + passives + detractors) FROM ", kRollupCounts)),
            3000);
  EXPECT_EQ(db_->QueryInt(kRollupMismatchSql), 0);
}

TEST_F(IngestE2eTest, ResponseIdsRevealNothingAboutOtherTenants) {
  // The database numbers responses across tenants; each tenant sees a keyed
  // digest of the number under a key of its own, stable under retries.
  tnps::v1::SubmitResponseResponse a1, b1, a2, retry;
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("a-1"), &a1).ok());
  ASSERT_TRUE(Submit(ingest_key_b_, ValidResponse("b-1"), &b1).ok());
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("a-2"), &a2).ok());
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("a-1"), &retry).ok());
  EXPECT_TRUE(retry.duplicate());
  EXPECT_EQ(retry.response_id(), a1.response_id());
  for (const auto* r : {&a1, &b1, &a2}) {
    EXPECT_EQ(r->response_id().size(), 20u) << r->response_id();
    EXPECT_EQ(r->response_id().find_first_not_of("0123456789abcdef"), std::string::npos);
  }
  const auto expected = [&](int64_t tenant, const std::string& external_id) {
    const std::string key = absl::HexStringToBytes(db_->QueryText(
        absl::StrCat("SELECT encode(id_key, 'hex') FROM tenants WHERE tenant_id = ", tenant)));
    const int64_t id = db_->QueryInt(
        absl::StrCat("SELECT response_id FROM responses WHERE external_id = '", external_id, "'"));
    return storage::HexEncode(storage::HmacSha256(key, absl::StrCat(id))).substr(0, 20);
  };
  EXPECT_EQ(a1.response_id(), expected(tenant_a_, "a-1"));
  EXPECT_EQ(b1.response_id(), expected(tenant_b_, "b-1"));
  EXPECT_EQ(a2.response_id(), expected(tenant_a_, "a-2"));
  // Different tenants' keys differ.
  EXPECT_EQ(db_->QueryInt("SELECT count(DISTINCT id_key) FROM tenants"), 2);
}

TEST_F(IngestE2eTest, HealthServiceReportsServing) {
  // grpc.health.v1.Health/Check with an empty request; the reply is
  // HealthCheckResponse{status: SERVING (1)}, encoded as 08 01.
  auto channel = server_->NewChannel();
  grpc::ByteBuffer reply;
  grpc::Status status =
      CallRaw(channel.get(), "", "/grpc.health.v1.Health/Check", std::string(), &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(reply.Dump(&slices).ok());
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(slices[0].begin()), slices[0].size()),
            std::string("\x08\x01", 2));
}

TEST_F(IngestE2eTest, BufCurlSubmitsThroughServerReflection) {
  // The call docs/api.md and the quickstart print: buf resolves the method
  // through server reflection, with no proto files at hand.
  if (access(TNPS_BUF_BIN, X_OK) != 0) GTEST_SKIP() << "buf is not installed (needs npm)";
  SurveyResponse r = ValidResponse("buf-curl-1", 0);
  CommandResult result = RunCommand(
      {TNPS_BUF_BIN, "curl", "--protocol", "grpc", "--http2-prior-knowledge", "-H",
       "authorization: Bearer " + ingest_key_a_, "-d",
       R"({"response": {"externalId": "buf-curl-1", "interactionId": "call-1", "agentId": "a1",
           "teamId": "t1", "channel": "CHANNEL_CHAT", "score": 0,
           "interactionTime": "2026-01-05T10:00:00Z", "responseTime": "2026-01-05T10:30:00Z"}})",
       "http://" + server_->address() + "/tnps.v1.IngestService/SubmitResponse"});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("\"responseId\""));
  EXPECT_EQ(db_->QueryInt("SELECT score FROM responses WHERE external_id = 'buf-curl-1'"), 0);
}

TEST_F(IngestE2eTest, TnpsctlImportReadsWhatExcelWrites) {
  // Excel in a German or Swiss locale: a byte-order mark, `;` between
  // fields, CRLF line ends, commas inside unquoted fields.
  const std::string path = ::testing::TempDir() + "/excel.csv";
  {
    std::ofstream csv(path, std::ios::binary);
    csv << "\xEF\xBB\xBF"
        << "external_id;interaction_id;agent_id;team_id;channel;customer_ref;score;comment;"
           "interaction_time;response_time\r\n"
        << "xl-1;call-1;agent-1;team-1;phone;c1;9;fine, thanks;2026-01-05T10:00:00Z;"
           "2026-01-05T10:20:00Z\r\n"
        << "xl-2;call-2;agent-1;team-1;chat;c2;3;\"slow; rude\";2026-01-05T11:00:00Z;"
           "2026-01-05T11:20:00Z\r\n";
  }
  const std::string ctl = TNPSCTL_BIN;
  CommandResult result = RunCommand({ctl, "import", path, "--server=" + server_->address()},
                                    {"TNPS_API_KEY=" + ingest_key_a_});
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("2 rows read, 2 accepted"));
  EXPECT_EQ(db_->QueryText("SELECT comment FROM responses WHERE external_id = 'xl-2'"),
            "slow; rude");
  // The separator can be given; a header tnps cannot use is a usage error.
  result = RunCommand({ctl, "import", path, "--delimiter=,", "--server=" + server_->address()},
                      {"TNPS_API_KEY=" + ingest_key_a_});
  EXPECT_EQ(result.exit_code, 2) << result.stdout_text;
  result = RunCommand({ctl, "import", path, "--delimiter=|", "--server=" + server_->address()},
                      {"TNPS_API_KEY=" + ingest_key_a_});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.stderr_text, HasSubstr("--delimiter"));
}

TEST_F(IngestE2eTest, TnpsctlImportStreamsACsvAndReportsBadLinesByNumber) {
  const std::string path = ::testing::TempDir() + "/import.csv";
  {
    std::ofstream csv(path);
    csv << "external_id,interaction_id,agent_id,team_id,channel,customer_ref,score,comment,"
           "interaction_time,response_time,attr.queue\n";
    for (int i = 0; i < 1200; ++i) {
      csv << "imp-" << i << ",call-" << i << ",agent-" << i % 9 << ",team-1,chat,c" << i << ","
          << i % 11 << ",\"fine, thanks\",2026-01-05T10:00:00Z,2026-01-05T10:20:00Z,billing\n";
    }
    csv << "bad-1,call,agent-1,team-1,fax,c,9,x,2026-01-05T10:00:00Z,2026-01-05T10:20:00Z,\n";
    csv << "bad-2,call,agent-1,team-1,chat,c,12,x,2026-01-05T10:00:00Z,2026-01-05T10:20:00Z,\n";
  }
  const std::string ctl = TNPSCTL_BIN;
  CommandResult result = RunCommand({ctl, "import", path, "--server=" + server_->address()},
                                    {"TNPS_API_KEY=" + ingest_key_a_});
  EXPECT_EQ(result.exit_code, 3) << result.stderr_text;  // some rows not stored
  EXPECT_THAT(result.stdout_text, HasSubstr("1202 rows read, 1200 accepted, 0 duplicate, 0 "
                                            "conflict, 1 rejected by the server, 1 malformed"));
  EXPECT_THAT(result.stderr_text, HasSubstr("line 1202: channel \"fax\""));
  EXPECT_THAT(result.stderr_text, HasSubstr("line 1203: ITEM_OUTCOME_REJECTED: score is 12"));
  EXPECT_EQ(ResponseCount(), 1200);
}

}  // namespace
}  // namespace tnps::testing
