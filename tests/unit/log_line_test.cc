#include "core/log_line.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace tnps::core {
namespace {

const absl::Time kTime = absl::FromUnixMicros(1796018418123456);

TEST(LogLine, TimeLevelMessageThenFieldsInOrder) {
  const LogField fields[] = {{"method", "/tnps.v1.IngestService/SubmitResponse"},
                             {"tenant", int64_t{3}},
                             {"ms", 4.25},
                             {"sampled", true}};
  EXPECT_EQ(FormatLogLine(kTime, LogLevel::kInfo, "call", fields),
            R"({"time":"2026-11-30T06:00:18.123456Z","level":"info","msg":"call",)"
            R"("method":"/tnps.v1.IngestService/SubmitResponse","tenant":3,"ms":4.25,)"
            R"("sampled":true})"
            "\n");
}

TEST(LogLine, LevelsAreNamed) {
  EXPECT_NE(FormatLogLine(kTime, LogLevel::kWarning, "m", {}).find(R"("level":"warning")"),
            std::string::npos);
  EXPECT_NE(FormatLogLine(kTime, LogLevel::kError, "m", {}).find(R"("level":"error")"),
            std::string::npos);
}

TEST(LogLine, NoValueCanEndTheLineOrForgeAField) {
  const LogField fields[] = {{"error", "boom\n{\"level\":\"info\"}\r\t\x01\x7f\\"}};
  const std::string line = FormatLogLine(kTime, LogLevel::kError, "quote \" here", fields);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find(R"("msg":"quote \" here")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("error":"boom\n{\"level\":\"info\"}\r\t\u0001\u007f\\")"),
            std::string::npos)
      << line;
}

TEST(LogLine, InvalidUtf8BecomesReplacementCharacters) {
  // A lone continuation byte, a truncated sequence, an overlong encoding, a
  // surrogate; then valid two-, three- and four-byte characters kept as is.
  EXPECT_EQ(JsonEscape("a\x80"
                       "b\xC3"),
            "a\\ufffdb\\ufffd");
  EXPECT_EQ(JsonEscape("\xC0\xAF"), "\\ufffd\\ufffd");
  EXPECT_EQ(JsonEscape("\xED\xA0\x80"), "\\ufffd\\ufffd\\ufffd");
  EXPECT_EQ(JsonEscape("Zürich – 日本 🙂"), "Zürich – 日本 🙂");
}

TEST(LogLine, NonFiniteRealsAreNull) {
  const LogField fields[] = {{"a", std::numeric_limits<double>::quiet_NaN()},
                             {"b", std::numeric_limits<double>::infinity()},
                             {"c", int64_t{-7}}};
  const std::string line = FormatLogLine(kTime, LogLevel::kInfo, "m", fields);
  EXPECT_NE(line.find(R"("a":null,"b":null,"c":-7})"), std::string::npos) << line;
}

TEST(LogLine, LongTextIsCutAtACharacterBoundaryWithItsLength) {
  // 2047 ASCII bytes, then a two-byte character straddling the limit.
  const std::string long_text =
      std::string(kMaxLogTextBytes - 1, 'a') + "é" + std::string(5000, 'b');
  const LogField fields[] = {{"error", long_text}};
  const std::string line = FormatLogLine(kTime, LogLevel::kError, "m", fields);
  const std::string expected_value =
      absl::StrCat(std::string(kMaxLogTextBytes - 1, 'a'), "...(", long_text.size(), " bytes)");
  EXPECT_NE(line.find(absl::StrCat("\"error\":\"", expected_value, "\"}")), std::string::npos);
  EXPECT_LT(line.size(), 4096u);
}

}  // namespace
}  // namespace tnps::core
