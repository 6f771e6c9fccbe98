#include "core/text_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace tnps::core {
namespace {

TEST(IdentifierProblemTest, AcceptsPrintableTextInAnyScript) {
  for (const std::string ok : {"agent-007", "Zürich team", "東京", "مركز", "a b_c.d:e/f", "😀"}) {
    EXPECT_EQ(IdentifierProblem(ok, 128), std::nullopt) << ok;
  }
}

TEST(IdentifierProblemTest, RefusesWhatHidesOrReordersText) {
  const struct {
    std::string value;
    std::string problem;
  } cases[] = {
      {std::string("nul-x\0HIDDEN", 12), "contains the control character U+0000"},
      {"line\nbreak", "contains the control character U+000A"},
      {"tab\there", "contains the control character U+0009"},
      {"del\x7f", "contains the control character U+007F"},
      {"c1\xc2\x85", "contains the control character U+0085"},
      {"rlo\xe2\x80\xae", "contains the bidirectional control U+202E"},
      {"lri\xe2\x81\xa6", "contains the bidirectional control U+2066"},
      {"rlm\xe2\x80\x8f", "contains the bidirectional control U+200F"},
      {"alm\xd8\x9c", "contains the bidirectional control U+061C"},
      {"zw\xe2\x80\x8bsp", "contains the invisible character U+200B"},
      {"zwj\xe2\x80\x8d", "contains the invisible character U+200D"},
      {"bom\xef\xbb\xbf", "contains the invisible character U+FEFF"},
      {"shy\xc2\xad", "contains the invisible character U+00AD"},
      {"wj\xe2\x81\xa0", "contains the invisible character U+2060"},
      {"bad\xff", "is not valid UTF-8"},
      {"overlong\xc0\xaf", "is not valid UTF-8"},
      {"surrogate\xed\xa0\x80", "is not valid UTF-8"},
      {std::string(129, 'a'), "is 129 bytes; the limit is 128"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(IdentifierProblem(c.value, 128), c.problem) << c.value;
  }
}

TEST(FreeTextProblemTest, AllowsLineBreaksAndMarksButNotOverrides) {
  EXPECT_EQ(FreeTextProblem("two\nlines\tand\r\nmore", 100), std::nullopt);
  EXPECT_EQ(FreeTextProblem("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xe2\x80\x8f(RLM)", 100),
            std::nullopt);
  EXPECT_EQ(FreeTextProblem("family \xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", 100),
            std::nullopt);  // an emoji sequence joined by U+200D
  EXPECT_EQ(FreeTextProblem(std::string("a\0b", 3), 100), "contains the control character U+0000");
  EXPECT_EQ(FreeTextProblem("x\xe2\x80\xaey", 100), "contains the bidirectional override U+202E");
  EXPECT_EQ(FreeTextProblem("x\xe2\x81\xa9", 100), "contains the bidirectional override U+2069");
  EXPECT_EQ(FreeTextProblem("\xff", 100), "is not valid UTF-8");
  EXPECT_EQ(FreeTextProblem("abc", 2), "is 3 bytes; the limit is 2");
}

TEST(TimeProblemTest, OneRangeForEveryStoredInstant) {
  const absl::Time now = absl::FromUnixSeconds(1800000000);
  EXPECT_EQ(TimeProblem(EarliestTime(), now), std::nullopt);
  EXPECT_EQ(TimeProblem(EarliestTime() - absl::Seconds(1), now), "is before 2000-01-02T00:00:00Z");
  // 2000-01-01T01:00Z is 1999-12-31 in New York: a day no query can reach.
  EXPECT_EQ(TimeProblem(
                absl::FromCivil(absl::CivilSecond(2000, 1, 1, 1, 0, 0), absl::UTCTimeZone()), now),
            "is before 2000-01-02T00:00:00Z");
  EXPECT_EQ(
      TimeProblem(absl::FromCivil(absl::CivilSecond(1, 1, 1, 0, 0, 0), absl::UTCTimeZone()), now),
      "is before 2000-01-02T00:00:00Z");
  EXPECT_EQ(TimeProblem(now + absl::Minutes(5), now), std::nullopt);
  EXPECT_EQ(TimeProblem(now + absl::Minutes(5) + absl::Seconds(1), now),
            "is more than 5 minutes in the future");
  // Its local day is 2000-01-01 or later everywhere, from UTC−12 to UTC+14.
  for (const char* zone : {"Etc/GMT+12", "America/New_York", "UTC", "Pacific/Kiritimati"}) {
    absl::TimeZone tz;
    ASSERT_TRUE(absl::LoadTimeZone(zone, &tz));
    EXPECT_GE(absl::ToCivilDay(EarliestTime(), tz), absl::CivilDay(2000, 1, 1)) << zone;
  }
}

TEST(EscapeControlsTest, NoValueCanForgeALineOrMoveTheCursor) {
  EXPECT_EQ(EscapeControls("plain Zürich 東京"), "plain Zürich 東京");
  EXPECT_EQ(EscapeControls("a\nforged line"), "a\\x0aforged line");
  EXPECT_EQ(EscapeControls("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(EscapeControls("back\\slash"), "back\\\\slash");
  EXPECT_EQ(EscapeControls("c1\xc2\x9b"), "c1\\xc2\\x9b");
  EXPECT_EQ(EscapeControls("bad\xff"), "bad\\xff");
  EXPECT_EQ(EscapeControls(std::string("nul\0", 4)), "nul\\x00");
}

}  // namespace
}  // namespace tnps::core
