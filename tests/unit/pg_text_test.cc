#include "storage/pg_text.h"

#include <gtest/gtest.h>

namespace tnps::storage {
namespace {

TEST(PgArrayLiteral, QuotesEveryElementAndEscapesQuotesAndBackslashes) {
  PgArrayLiteral array;
  array.Add("plain");
  array.Add("with \"quote\" and \\ and ,{}");
  array.Add("");
  EXPECT_EQ(std::move(array).Finish(), R"({"plain","with \"quote\" and \\ and ,{}",""})");
}

TEST(PgArrayLiteral, NumbersAreBare) {
  PgArrayLiteral array;
  array.Add(1LL);
  array.Add(-20LL);
  EXPECT_EQ(std::move(array).Finish(), "{1,-20}");
}

TEST(PgArrayLiteral, EmptyArray) { EXPECT_EQ(PgArrayLiteral().Finish(), "{}"); }

TEST(JsonObjectText, EscapesJsonStrings) {
  EXPECT_EQ(JsonObjectText({{"a", "x\"y"}, {"b\\", "line\nnext\x01"}}),
            R"({"a":"x\"y","b\\":"line\nnext\u0001"})");
  EXPECT_EQ(JsonObjectText({}), "{}");
}

TEST(TimestampText, IsUtcWithMicroseconds) {
  EXPECT_EQ(TimestampText(absl::FromUnixMicros(1772357400123456)), "2026-03-01T09:30:00.123456Z");
}

}  // namespace
}  // namespace tnps::storage
