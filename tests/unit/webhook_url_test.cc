#include "core/webhook_url.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

std::string ProblemOf(absl::string_view url, bool allow_http = false) {
  std::string problem;
  EXPECT_FALSE(ParseWebhookUrl(url, allow_http, &problem).has_value()) << url;
  return problem;
}

TEST(WebhookUrl, TakesHttpsHostPortAndPath) {
  std::string problem;
  std::optional<WebhookUrl> u =
      ParseWebhookUrl("https://CRM.example.com:8443/hooks/tnps?team=blue", false, &problem);
  ASSERT_TRUE(u.has_value()) << problem;
  EXPECT_TRUE(u->https);
  EXPECT_EQ(u->host, "crm.example.com");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/hooks/tnps?team=blue");
  u = ParseWebhookUrl("https://hooks.example.com", false, &problem);
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/");
  u = ParseWebhookUrl("https://[2001:db8::1]/x", false, &problem);
  ASSERT_TRUE(u.has_value()) << problem;
  EXPECT_EQ(u->host, "2001:db8::1");
  u = ParseWebhookUrl("http://127.0.0.1:8080/hook", true, &problem);
  ASSERT_TRUE(u.has_value()) << problem;
  EXPECT_FALSE(u->https);
  EXPECT_EQ(u->port, 8080);
}

TEST(WebhookUrl, RefusesWhatIsNotASafeTarget) {
  EXPECT_EQ(ProblemOf(""), "is required");
  EXPECT_EQ(ProblemOf("http://crm.example.com/hook"), "must be an https:// URL");
  EXPECT_EQ(ProblemOf("ftp://crm.example.com/hook"), "must be an https:// URL");
  EXPECT_EQ(ProblemOf("file:///etc/passwd"), "must be an https:// URL");
  EXPECT_EQ(ProblemOf("https://user:pw@crm.example.com/"),
            "must not carry credentials (user@host); the signature authenticates");
  EXPECT_EQ(ProblemOf("https://crm.example.com/#frag"), "must not have a fragment (#...)");
  EXPECT_EQ(ProblemOf("https://crm.example.com:0/"), "has an invalid port (1..65535)");
  EXPECT_EQ(ProblemOf("https://crm.example.com:99999/"), "has an invalid port (1..65535)");
  EXPECT_EQ(ProblemOf("https://crm.example.com:/"), "has an invalid port (1..65535)");
  EXPECT_EQ(ProblemOf("https:///path"), "has an invalid host name");
  EXPECT_EQ(ProblemOf("https://crm_example.com/"), "has an invalid host name");
  EXPECT_EQ(ProblemOf("https://[::1/"), "has an unclosed [IPv6 address]");
  EXPECT_EQ(ProblemOf("https://crm.example.com/a b"),
            "must be printable ASCII without spaces (percent-encode the rest)");
  EXPECT_EQ(ProblemOf("https://crm.example.com/\xc3\xa9"),
            "must be printable ASCII without spaces (percent-encode the rest)");
  EXPECT_EQ(ProblemOf("https://x.example/" + std::string(2100, 'a')), "is longer than 2048 bytes");
}

}  // namespace
}  // namespace tnps::core
