#include "core/response_validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tnps::core {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

const absl::Time kNow =
    absl::FromCivil(absl::CivilSecond(2026, 11, 22, 12, 0, 0), absl::UTCTimeZone());

SurveyResponse ValidResponse() {
  SurveyResponse r;
  r.external_id = "crm-1";
  r.interaction_id = "call-1";
  r.agent_id = "agent-1";
  r.team_id = "team-1";
  r.channel = static_cast<int>(Channel::kPhone);
  r.score = 9;
  r.comment = "Helpful and kind";
  r.interaction_time = kNow - absl::Hours(2);
  r.response_time = kNow - absl::Hours(1);
  r.attributes = {{"queue", "billing"}};
  return r;
}

// The fields named by the violations for `r`.
std::vector<std::string> ViolatedFields(const SurveyResponse& r) {
  std::vector<std::string> fields;
  for (const FieldViolation& v : ValidateSurveyResponse(r, kNow)) fields.push_back(v.field);
  return fields;
}

TEST(ResponseValidation, AcceptsAValidResponse) {
  EXPECT_THAT(ValidateSurveyResponse(ValidResponse(), kNow), IsEmpty());
}

TEST(ResponseValidation, ZeroIsAValidScore) {
  SurveyResponse r = ValidResponse();
  r.score = 0;
  EXPECT_THAT(ViolatedFields(r), IsEmpty());
}

TEST(ResponseValidation, MissingScoreIsRejected) {
  SurveyResponse r = ValidResponse();
  r.score.reset();
  EXPECT_THAT(ViolatedFields(r), ElementsAre("score"));
}

TEST(ResponseValidation, ScoreOutsideZeroToTenIsRejected) {
  SurveyResponse r = ValidResponse();
  r.score = -1;
  EXPECT_THAT(ViolatedFields(r), ElementsAre("score"));
  r.score = 11;
  EXPECT_THAT(ViolatedFields(r), ElementsAre("score"));
}

TEST(ResponseValidation, EmptyRequiredIdsAreRejectedEachByName) {
  SurveyResponse r = ValidResponse();
  r.external_id.clear();
  r.interaction_id.clear();
  r.agent_id.clear();
  r.team_id.clear();
  EXPECT_THAT(ViolatedFields(r),
              ElementsAre("external_id", "interaction_id", "agent_id", "team_id"));
}

TEST(ResponseValidation, IdsLongerThan128BytesAreRejected) {
  SurveyResponse r = ValidResponse();
  r.agent_id = std::string(128, 'a');
  EXPECT_THAT(ViolatedFields(r), IsEmpty());
  r.agent_id = std::string(129, 'a');
  EXPECT_THAT(ViolatedFields(r), ElementsAre("agent_id"));
}

TEST(ResponseValidation, CustomerRefIsOptionalButBounded) {
  SurveyResponse r = ValidResponse();
  r.customer_ref.clear();
  EXPECT_THAT(ViolatedFields(r), IsEmpty());
  r.customer_ref = std::string(200, 'c');
  EXPECT_THAT(ViolatedFields(r), ElementsAre("customer_ref"));
}

TEST(ResponseValidation, CommentLimitCountsCharactersNotBytes) {
  SurveyResponse r = ValidResponse();
  std::string comment;
  for (int i = 0; i < 4000; ++i) comment += "ü";  // 8,000 bytes, 4,000 characters
  r.comment = comment;
  EXPECT_THAT(ViolatedFields(r), IsEmpty());
  r.comment += "x";
  EXPECT_THAT(ViolatedFields(r), ElementsAre("comment"));
}

TEST(ResponseValidation, InvalidUtf8IsRejectedWhereverItIs) {
  SurveyResponse r = ValidResponse();
  r.comment = "bad \xFF byte";
  EXPECT_THAT(ViolatedFields(r), ElementsAre("comment"));
  r = ValidResponse();
  r.external_id = "id\xC3";
  EXPECT_THAT(ViolatedFields(r), ElementsAre("external_id"));
  r = ValidResponse();
  r.attributes = {{"queue", "\xFF"}};
  EXPECT_THAT(ViolatedFields(r), ElementsAre("attributes[queue]"));
}

TEST(ResponseValidation, NulCharactersAreRejected) {
  SurveyResponse r = ValidResponse();
  r.comment = std::string("a\0b", 3);
  EXPECT_THAT(ViolatedFields(r), ElementsAre("comment"));
}

TEST(ResponseValidation, UnspecifiedAndUnknownChannelsAreRejected) {
  SurveyResponse r = ValidResponse();
  r.channel = 0;
  EXPECT_THAT(ViolatedFields(r), ElementsAre("channel"));
  r.channel = 42;
  std::vector<FieldViolation> v = ValidateSurveyResponse(r, kNow);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].field, "channel");
  EXPECT_EQ(v[0].description, "has unknown value 42");
}

TEST(ResponseValidation, ResponseBeforeInteractionIsRejected) {
  SurveyResponse r = ValidResponse();
  r.response_time = *r.interaction_time - absl::Seconds(1);
  EXPECT_THAT(ViolatedFields(r), ElementsAre("response_time"));
}

TEST(ResponseValidation, FutureBeyondFiveMinutesOfSkewIsRejected) {
  SurveyResponse r = ValidResponse();
  r.response_time = kNow + absl::Minutes(5);
  EXPECT_THAT(ViolatedFields(r), IsEmpty());
  r.response_time = kNow + absl::Minutes(5) + absl::Seconds(1);
  EXPECT_THAT(ViolatedFields(r), ElementsAre("response_time"));
}

TEST(ResponseValidation, MissingTimesAreRejected) {
  SurveyResponse r = ValidResponse();
  r.interaction_time.reset();
  r.response_time.reset();
  EXPECT_THAT(ViolatedFields(r), ElementsAre("interaction_time", "response_time"));
}

TEST(ResponseValidation, InteractionsBefore2000AreRejected) {
  SurveyResponse r = ValidResponse();
  r.interaction_time = absl::UnixEpoch();
  EXPECT_THAT(ViolatedFields(r), ElementsAre("interaction_time"));
}

TEST(ResponseValidation, MoreThan32AttributesAreRejected) {
  SurveyResponse r = ValidResponse();
  r.attributes.clear();
  for (int i = 0; i < 32; ++i) r.attributes.emplace_back("k" + std::to_string(i), "v");
  EXPECT_THAT(ViolatedFields(r), IsEmpty());
  r.attributes.emplace_back("k32", "v");
  EXPECT_THAT(ViolatedFields(r), ElementsAre("attributes"));
}

TEST(ResponseValidation, AttributeKeyAndValueAreBounded) {
  SurveyResponse r = ValidResponse();
  r.attributes = {{std::string(65, 'k'), "v"}};
  EXPECT_THAT(ViolatedFields(r), ElementsAre("attributes"));
  r.attributes = {{"queue", std::string(257, 'v')}};
  EXPECT_THAT(ViolatedFields(r), ElementsAre("attributes[queue]"));
}

TEST(ResponseValidation, NormalizeTruncatesToMicrosecondsAndSortsAttributes) {
  SurveyResponse r = ValidResponse();
  r.interaction_time = absl::FromUnixNanos(1'700'000'000'123'456'789);
  r.attributes = {{"z", "1"}, {"a", "2"}};
  NormalizeSurveyResponse(r);
  EXPECT_EQ(absl::ToUnixNanos(*r.interaction_time), 1'700'000'000'123'456'000);
  EXPECT_EQ(r.attributes.front().first, "a");
}

}  // namespace
}  // namespace tnps::core
