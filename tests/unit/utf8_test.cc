#include "core/utf8.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(Utf8CodePoints("abc"), 3u);
  EXPECT_EQ(Utf8CodePoints("Zürich"), 6u);
  EXPECT_EQ(Utf8CodePoints("\xF0\x9F\x98\x80"), 1u);  // U+1F600
  EXPECT_EQ(Utf8CodePoints(""), 0u);
}

TEST(Utf8, RejectsMalformedSequences) {
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ok\x80"));            // stray continuation byte
}

}  // namespace
}  // namespace tnps::core
