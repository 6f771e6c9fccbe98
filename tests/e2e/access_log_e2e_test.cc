// --access_log: one line per call with method, tenant, key id (never the
// secret), code, latency and rows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/e2e/ingest_fixture.h"

namespace tnps::testing {
namespace {

using ::testing::HasSubstr;

class AccessLogE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--access_log", "--refusal_delay=0s"};
  }

  // The access lines of the server's log.
  std::vector<std::string> AccessLines() {
    std::vector<std::string> lines;
    for (absl::string_view line : absl::StrSplit(server_->Log(), '\n')) {
      if (absl::StartsWith(line, "access ")) lines.emplace_back(line);
    }
    return lines;
  }
};

TEST_F(AccessLogE2eTest, OneLinePerCallWithTenantKeyCodeAndRows) {
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("one")).ok());
  tnps::v1::SubmitResponsesResponse batch;
  ASSERT_TRUE(SubmitBatch(ingest_key_a_,
                          {ValidResponse("two"), ValidResponse("three"), ValidResponse("one")},
                          &batch)
                  .ok());
  EXPECT_EQ(Submit("", ValidResponse("anonymous")).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  absl::SleepFor(absl::Milliseconds(200));  // the log pipe is read by another thread

  const std::vector<std::string> lines = AccessLines();
  ASSERT_EQ(lines.size(), 3u) << server_->Log();
  const std::string key_id = ingest_key_a_.substr(5, 16);
  EXPECT_THAT(lines[0], HasSubstr("method=/tnps.v1.IngestService/SubmitResponse peer=ipv"));
  EXPECT_THAT(lines[0],
              HasSubstr(absl::StrCat(" tenant=", tenant_a_, " key=", key_id, " code=OK ms=")));
  EXPECT_THAT(lines[0], HasSubstr(" rows=1"));
  EXPECT_THAT(lines[1], HasSubstr("method=/tnps.v1.IngestService/SubmitResponses"));
  EXPECT_THAT(lines[1], HasSubstr(" rows=3"));  // two new, one already stored
  EXPECT_THAT(lines[2], HasSubstr(" tenant=- key=- code=UNAUTHENTICATED ms="));
  // The secret part of the key is never written.
  EXPECT_EQ(server_->Log().find(ingest_key_a_.substr(22)), std::string::npos);
}

}  // namespace
}  // namespace tnps::testing
