// The server's log is JSON lines (core/log_line.h). --access_log adds one
// per call (method, tenant, key id but never the secret, code, latency,
// rows) at --access_log_sample_rate; an internal error is logged with a
// correlation id that its caller gets too.
#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "tests/e2e/ingest_fixture.h"
#include "tests/e2e/json_fields.h"

namespace tnps::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Every line of `log`, parsed; a line that is not a JSON object fails the
// test.
std::vector<google::protobuf::Struct> JsonLines(const std::string& log) {
  std::vector<google::protobuf::Struct> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    google::protobuf::Struct parsed;
    const auto status = google::protobuf::util::JsonStringToMessage(std::string(line), &parsed);
    EXPECT_TRUE(status.ok()) << "not a JSON line: " << line;
    if (status.ok()) lines.push_back(std::move(parsed));
  }
  return lines;
}

class AccessLogE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--access_log", "--refusal_delay=0s"};
  }

  // The call lines of the server's log.
  std::vector<google::protobuf::Struct> CallLines() {
    absl::SleepFor(absl::Milliseconds(200));  // the log pipe is read by another thread
    std::vector<google::protobuf::Struct> calls;
    for (google::protobuf::Struct& line : JsonLines(server_->Log())) {
      if (JsonText(line, "msg") == "call") calls.push_back(std::move(line));
    }
    return calls;
  }
};

TEST_F(AccessLogE2eTest, OneJsonLinePerCallWithTenantKeyCodeAndRows) {
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("one")).ok());
  tnps::v1::SubmitResponsesResponse batch;
  ASSERT_TRUE(SubmitBatch(ingest_key_a_,
                          {ValidResponse("two"), ValidResponse("three"), ValidResponse("one")},
                          &batch)
                  .ok());
  EXPECT_EQ(Submit("", ValidResponse("anonymous")).error_code(), grpc::StatusCode::UNAUTHENTICATED);

  const std::vector<google::protobuf::Struct> lines = CallLines();
  ASSERT_EQ(lines.size(), 3u) << server_->Log();
  const std::string key_id = ingest_key_a_.substr(5, 16);
  EXPECT_EQ(JsonText(lines[0], "level"), "info");
  EXPECT_EQ(JsonText(lines[0], "method"), "/tnps.v1.IngestService/SubmitResponse");
  EXPECT_THAT(JsonText(lines[0], "peer"), StartsWith("ipv"));
  EXPECT_EQ(JsonNumber(lines[0], "tenant"), tenant_a_);
  EXPECT_EQ(JsonText(lines[0], "key_id"), key_id);
  EXPECT_EQ(JsonText(lines[0], "code"), "OK");
  EXPECT_GT(JsonNumber(lines[0], "ms"), 0);
  EXPECT_EQ(JsonNumber(lines[0], "rows"), 1);
  EXPECT_EQ(JsonText(lines[1], "method"), "/tnps.v1.IngestService/SubmitResponses");
  EXPECT_EQ(JsonNumber(lines[1], "rows"), 3);  // two new, one already stored
  EXPECT_EQ(JsonText(lines[2], "code"), "UNAUTHENTICATED");
  EXPECT_FALSE(JsonHas(lines[2], "tenant"));
  EXPECT_FALSE(JsonHas(lines[2], "key_id"));
  // The time is UTC with microseconds.
  EXPECT_THAT(JsonText(lines[0], "time"),
              ::testing::MatchesRegex("20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:"
                                      "[0-6][0-9]\\.[0-9]{6}Z"));
  // The secret part of the key is never written.
  EXPECT_EQ(server_->Log().find(ingest_key_a_.substr(22)), std::string::npos);
}

TEST_F(AccessLogE2eTest, InternalErrorGivesTheCallerTheIdOfItsLogLine) {
  // A real database failure, whose message holds a line break and quotes
  // that would forge a log line if written raw.
  db_->Exec(R"sql(
    CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'injected failure %', E'\n{"msg":"forged","level":"info"}';
    END $$;
    CREATE TRIGGER fail_insert BEFORE INSERT ON responses
      FOR EACH ROW EXECUTE FUNCTION fail_insert();)sql");
  const grpc::Status status = Submit(ingest_key_a_, ValidResponse("fails"));
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  // The caller gets the id, in the message and as a RequestInfo, and not
  // the database's text.
  EXPECT_THAT(status.error_message(), StartsWith("internal error (correlation id "));
  EXPECT_THAT(status.error_message(), Not(HasSubstr("injected")));
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(status.error_details()));
  ASSERT_EQ(rich.details_size(), 1);
  google::rpc::RequestInfo info;
  ASSERT_TRUE(rich.details(0).UnpackTo(&info));
  ASSERT_EQ(info.request_id().size(), 16u);
  EXPECT_THAT(status.error_message(), HasSubstr(info.request_id()));

  absl::SleepFor(absl::Milliseconds(200));
  int errors = 0;
  int calls = 0;
  for (const google::protobuf::Struct& line : JsonLines(server_->Log())) {
    EXPECT_NE(JsonText(line, "msg"), "forged");
    if (JsonText(line, "msg") == "internal error") {
      ++errors;
      EXPECT_EQ(JsonText(line, "level"), "error");
      EXPECT_EQ(JsonText(line, "correlation_id"), info.request_id());
      EXPECT_THAT(JsonText(line, "error"), HasSubstr("injected failure \n{\"msg\":\"forged\""));
    }
    if (JsonText(line, "msg") == "call" && JsonText(line, "code") == "INTERNAL") {
      ++calls;
      EXPECT_EQ(JsonText(line, "correlation_id"), info.request_id());
    }
  }
  EXPECT_EQ(errors, 1) << server_->Log();
  EXPECT_EQ(calls, 1) << server_->Log();
  EXPECT_EQ(ResponseCount(), 0);
}

class SampledAccessLogE2eTest : public AccessLogE2eTest {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--access_log", "--access_log_sample_rate=0.25", "--refusal_delay=0s"};
  }
};

TEST_F(SampledAccessLogE2eTest, LogsAboutTheSampledShareOfCalls) {
  constexpr int kCalls = 400;
  for (int i = 0; i < kCalls; ++i) {
    ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse(absl::StrCat("s-", i))).ok());
  }
  // 100 expected; the binomial's standard deviation is 8.7, so 50 to 150
  // fails about once in 10^8 runs.
  const size_t logged = CallLines().size();
  EXPECT_GE(logged, 50u);
  EXPECT_LE(logged, 150u);
}

}  // namespace
}  // namespace tnps::testing
