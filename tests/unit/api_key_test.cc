#include "core/api_key.h"

#include <gtest/gtest.h>

#include <string>

namespace tnps::core {
namespace {

const std::string kId = "0123456789abcdef";
const std::string kSecret(64, 'a');

TEST(ApiKey, FormatThenParseRoundTrips) {
  const std::string key = FormatApiKey(kId, kSecret);
  EXPECT_EQ(key, "tnps_0123456789abcdef_" + kSecret);
  absl::StatusOr<ApiKeyParts> parts = ParseApiKey(key);
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(parts->key_id, kId);
  EXPECT_EQ(parts->secret, kSecret);
}

TEST(ApiKey, MalformedKeysAreUnauthenticated) {
  for (const std::string& bad :
       {std::string(""), std::string("Bearer x"), "tnps_" + kId + "-" + kSecret,
        "tnpx_" + kId + "_" + kSecret, "tnps_" + kId + "_" + kSecret + "0",
        "tnps_0123456789ABCDEF_" + kSecret}) {
    absl::StatusOr<ApiKeyParts> parts = ParseApiKey(bad);
    EXPECT_TRUE(absl::IsUnauthenticated(parts.status())) << bad;
  }
}

}  // namespace
}  // namespace tnps::core
