#include "core/consistency_token.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

TEST(ConsistencyToken, RoundTripsAPosition) {
  std::string problem;
  for (WalPosition position :
       {WalPosition{1}, WalPosition{0x16B374D848}, WalPosition{0xFFFFFFFFFFFFFFFF}}) {
    const std::string token = FormatConsistencyToken(position);
    EXPECT_EQ(ParseConsistencyToken(token, &problem), position) << token;
  }
  EXPECT_EQ(FormatConsistencyToken(0x16B374D848), "w1.00000016b374d848");
}

TEST(ConsistencyToken, EmptyMeansNoPosition) {
  std::string problem;
  EXPECT_EQ(ParseConsistencyToken("", &problem), WalPosition{0});
}

TEST(ConsistencyToken, RefusesWhatItCannotHaveWritten) {
  for (const char* token :
       {"w1.", "w1.00000016b374d84", "w1.00000016b374d8480", "w2.00000016b374d848",
        "w1.00000016B374D848", "16/B374D848", "w1.00000016b374d84g", "w1.-0000016b374d848"}) {
    std::string problem;
    EXPECT_EQ(ParseConsistencyToken(token, &problem), std::nullopt) << token;
    EXPECT_NE(problem.find("pass back consistency_token unchanged"), std::string::npos);
  }
}

TEST(ConsistencyToken, LaterPositionIsTheMaximum) {
  EXPECT_EQ(LaterPosition(5, 9), WalPosition{9});
  EXPECT_EQ(LaterPosition(9, 5), WalPosition{9});
  EXPECT_EQ(LaterPosition(0, 0), WalPosition{0});
}

}  // namespace
}  // namespace tnps::core
