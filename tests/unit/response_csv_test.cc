#include "tools/response_csv.h"

#include <gtest/gtest.h>

namespace tnps::tools {
namespace {

const std::vector<std::string> kHeader = {
    "external_id",  "interaction_id", "agent_id",         "team_id",       "channel",
    "customer_ref", "score",          "interaction_time", "response_time", "attr.queue"};

TEST(ResponseCsv, ParsesARow) {
  absl::StatusOr<ResponseCsvFormat> format = ResponseCsvFormat::FromHeader(kHeader);
  ASSERT_TRUE(format.ok()) << format.status();
  absl::StatusOr<tnps::v1::SurveyResponse> r =
      format->Parse({"e1", "i1", "a1", "t1", "Chat", "c1", "0", "2026-03-01T09:30:00Z",
                     "2026-03-01T10:00:00.5+01:00", "billing"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->channel(), tnps::v1::CHANNEL_CHAT);
  ASSERT_TRUE(r->has_score());
  EXPECT_EQ(r->score(), 0);
  EXPECT_EQ(r->interaction_time().seconds(), 1772357400);
  EXPECT_EQ(r->response_time().seconds(), 1772355600);
  EXPECT_EQ(r->response_time().nanos(), 500000000);
  EXPECT_EQ(r->attributes().at("queue"), "billing");
}

// Found by fuzz/csv_import_fuzzer: nanoseconds since 1970 overflowed.
TEST(ResponseCsv, TimeAfter2262KeepsItsSecondsAndFraction) {
  absl::StatusOr<ResponseCsvFormat> format = ResponseCsvFormat::FromHeader(kHeader);
  ASSERT_TRUE(format.ok());
  absl::StatusOr<tnps::v1::SurveyResponse> r =
      format->Parse({"e1", "i1", "a1", "t1", "phone", "", "7", "4051-12-31T23:59:59.25Z",
                     "1969-12-31T23:59:59.75Z", ""});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->interaction_time().seconds(), 65701583999);
  EXPECT_EQ(r->interaction_time().nanos(), 250000000);
  // Before 1970: seconds round down, the fraction stays positive.
  EXPECT_EQ(r->response_time().seconds(), -1);
  EXPECT_EQ(r->response_time().nanos(), 750000000);
}

TEST(ResponseCsv, EmptyScoreStaysAbsentForTheServerToReject) {
  absl::StatusOr<ResponseCsvFormat> format = ResponseCsvFormat::FromHeader(kHeader);
  ASSERT_TRUE(format.ok());
  absl::StatusOr<tnps::v1::SurveyResponse> r =
      format->Parse({"e1", "i1", "a1", "t1", "phone", "", "", "2026-03-01T09:30:00Z",
                     "2026-03-01T09:31:00Z", ""});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_score());
  EXPECT_TRUE(r->attributes().empty());
}

TEST(ResponseCsv, BadValuesNameTheColumn) {
  absl::StatusOr<ResponseCsvFormat> format = ResponseCsvFormat::FromHeader(kHeader);
  ASSERT_TRUE(format.ok());
  EXPECT_EQ(format
                ->Parse({"e1", "i1", "a1", "t1", "fax", "", "9", "2026-03-01T09:30:00Z",
                         "2026-03-01T09:31:00Z", ""})
                .status()
                .message(),
            "channel \"fax\" is not one of phone, chat, email, branch, video, other");
  EXPECT_EQ(format
                ->Parse({"e1", "i1", "a1", "t1", "phone", "", "nine", "2026-03-01T09:30:00Z",
                         "2026-03-01T09:31:00Z", ""})
                .status()
                .message(),
            "score \"nine\" is not a number");
  EXPECT_EQ(format->Parse({"e1", "i1"}).status().message(), "has 2 fields; the header has 10");
}

TEST(ResponseCsv, HeaderMustNameEveryRequiredColumnOnce) {
  EXPECT_EQ(ResponseCsvFormat::FromHeader({"external_id"}).status().message(),
            "the header lacks the required column interaction_id");
  std::vector<std::string> doubled = kHeader;
  doubled.push_back("score");
  EXPECT_EQ(ResponseCsvFormat::FromHeader(doubled).status().message(),
            "column score appears twice");
  std::vector<std::string> typo = kHeader;
  typo.push_back("scroe");
  EXPECT_TRUE(absl::IsInvalidArgument(ResponseCsvFormat::FromHeader(typo).status()));
}

}  // namespace
}  // namespace tnps::tools
