#include "services/common/tenant_tokens.h"

#include <gtest/gtest.h>

#include <cctype>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"

namespace tnps::services {
namespace {

storage::Principal Tenant(char key_byte) {
  storage::Principal p;
  p.tenant_id = 7;
  p.response_id_key = std::string(32, key_byte);
  return p;
}

TEST(TenantTokens, SealedTokenCarriesTheBodyWithoutShowingIt) {
  const std::string body = "w1|3616:3616:|3620:3620:|3616|823507";
  const std::string token = SealToken(Tenant('a'), "watch", "query", body);
  EXPECT_TRUE(absl::StartsWith(token, "t2."));
  std::string decoded;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token.substr(3), &decoded));
  EXPECT_FALSE(absl::StrContains(decoded, "823507"));
  EXPECT_FALSE(absl::StrContains(token, absl::WebSafeBase64Escape(body).substr(0, 12)));
  EXPECT_EQ(OpenToken(Tenant('a'), "watch", "query", token), body);
  // A fresh nonce each time: the same body never gives the same token.
  EXPECT_NE(SealToken(Tenant('a'), "watch", "query", body), token);
}

TEST(TenantTokens, TokenOpensOnlyForItsTenantKindAndQuery) {
  const std::string token = SealToken(Tenant('a'), "watch", "query", "body");
  EXPECT_EQ(OpenToken(Tenant('b'), "watch", "query", token), std::nullopt);
  EXPECT_EQ(OpenToken(Tenant('a'), "export", "query", token), std::nullopt);
  EXPECT_EQ(OpenToken(Tenant('a'), "watch", "other query", token), std::nullopt);
  EXPECT_EQ(OpenToken(Tenant('a'), "watch", "query", token, token.size() - 1), std::nullopt);
  std::string altered = token;
  altered[altered.size() / 2] = altered[altered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_EQ(OpenToken(Tenant('a'), "watch", "query", altered), std::nullopt);
  EXPECT_EQ(OpenToken(Tenant('a'), "watch", "query", "t2."), std::nullopt);
  EXPECT_EQ(OpenToken(Tenant('a'), "watch", "query", "t2.!!"), std::nullopt);
}

TEST(TenantTokens, TokensOfTheFirstVersionStillOpen) {
  // What SealToken issued before tokens were encrypted: the body in clear,
  // a dot, and 128 bits of HMAC-SHA256 under the tenant's key.
  // (The MAC computed independently, with Python's hmac module.) A sync
  // token a client kept across the upgrade works once more.
  const std::string v1 = absl::WebSafeBase64Escape(
      "s1|3616:3616:|1796000000.2d1e75e6cba83410813365a1ca8976d3");
  EXPECT_EQ(OpenToken(Tenant('a'), "export-sync", "", v1), "s1|3616:3616:|1796000000");
  EXPECT_EQ(OpenToken(Tenant('b'), "export-sync", "", v1), std::nullopt);
}

TEST(TenantTokens, EventIdsRoundTripOnlyForTheirTenant) {
  const std::string id = PublicEventId(Tenant('a'), 42);
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[8], '-');
  EXPECT_EQ(id[23], '-');
  EXPECT_EQ(PublicEventId(Tenant('a'), 42), id);
  EXPECT_NE(PublicEventId(Tenant('a'), 43), id);
  EXPECT_EQ(EventSeqOf(Tenant('a'), id), 42);
  // Upper case is the same id.
  std::string upper = id;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(EventSeqOf(Tenant('a'), upper), 42);
  // Another tenant's key (or number) opens nothing.
  EXPECT_EQ(EventSeqOf(Tenant('b'), id), std::nullopt);
  storage::Principal same_key_other_tenant = Tenant('a');
  same_key_other_tenant.tenant_id = 8;
  EXPECT_EQ(EventSeqOf(same_key_other_tenant, id), std::nullopt);
  EXPECT_EQ(EventSeqOf(Tenant('a'), "00000000-0000-4000-8000-000000000000"), std::nullopt);
  EXPECT_EQ(EventSeqOf(Tenant('a'), "not-a-uuid"), std::nullopt);
  EXPECT_EQ(EventSeqOf(Tenant('a'), id.substr(1)), std::nullopt);
}

}  // namespace
}  // namespace tnps::services
