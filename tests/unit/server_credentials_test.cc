// Which listening addresses count as loopback, and the TLS settings the
// server refuses before it opens a port.
#include "services/common/server_credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tnps::services {
namespace {

using ::testing::HasSubstr;

TEST(IsLoopbackAddress, AcceptsOnlyAddressesOtherMachinesCannotReach) {
  for (const char* local : {"127.0.0.1:50051", "127.8.9.10:1", "localhost:50051", "LOCALHOST:1",
                            "[::1]:50051", "ipv4:127.0.0.1:5", "unix:/run/tnps.sock"}) {
    EXPECT_TRUE(IsLoopbackAddress(local)) << local;
  }
  for (const char* open :
       {"0.0.0.0:50051", "[::]:50051", "10.0.0.5:50051", "tnps.example:443", "128.0.0.1:1",
        "127.0.0:1", "127.0.0.1.5:1", "1127.0.0.1:1", "[::ffff:127.0.0.1]:1", ":50051"}) {
    EXPECT_FALSE(IsLoopbackAddress(open)) << open;
  }
}

TEST(MakeServerSecurity, PlaintextOnLoopbackOnlyUnlessAllowed) {
  absl::StatusOr<ServerSecurity> local = MakeServerSecurity({}, "127.0.0.1:0", false);
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(local->description, "plaintext");
  absl::StatusOr<ServerSecurity> open = MakeServerSecurity({}, "0.0.0.0:50051", false);
  EXPECT_TRUE(absl::IsFailedPrecondition(open.status()));
  EXPECT_THAT(open.status().message(), HasSubstr("--allow_plaintext"));
  EXPECT_TRUE(MakeServerSecurity({}, "0.0.0.0:50051", true).ok());
}

TEST(MakeServerSecurity, RefusesIncompleteOrUnreadableTlsSettings) {
  EXPECT_TRUE(absl::IsInvalidArgument(
      MakeServerSecurity({.cert_file = "/x/server.pem"}, "127.0.0.1:0", false).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      MakeServerSecurity({.client_ca_file = "/x/ca.pem"}, "127.0.0.1:0", false).status()));
  absl::StatusOr<ServerSecurity> missing = MakeServerSecurity(
      {.cert_file = "/nonexistent/server.pem", .key_file = "/nonexistent/server.key"},
      "127.0.0.1:0", false);
  EXPECT_TRUE(absl::IsFailedPrecondition(missing.status()));
  EXPECT_EQ(missing.status().message(), "cannot read --tls_cert_file /nonexistent/server.pem");
}

}  // namespace
}  // namespace tnps::services
