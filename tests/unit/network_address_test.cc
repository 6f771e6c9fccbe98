#include "core/network_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tnps::core {
namespace {

// The kind of the address written as text; "public" for none.
std::string KindOf(const std::string& text) {
  std::vector<uint8_t> bytes(16);
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
    bytes.resize(4);
  } else if (inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) {
    return "unparsed";
  }
  return NonPublicAddressKind(bytes).value_or("public");
}

TEST(NetworkAddress, Ipv4SpecialBlocksAreNamed) {
  EXPECT_EQ(KindOf("127.0.0.1"), "loopback");
  EXPECT_EQ(KindOf("127.255.0.9"), "loopback");
  EXPECT_EQ(KindOf("10.1.2.3"), "private");
  EXPECT_EQ(KindOf("172.16.0.1"), "private");
  EXPECT_EQ(KindOf("172.31.255.255"), "private");
  EXPECT_EQ(KindOf("192.168.1.1"), "private");
  EXPECT_EQ(KindOf("169.254.169.254"), "link-local");
  EXPECT_EQ(KindOf("100.64.0.1"), "shared (carrier-grade NAT)");
  EXPECT_EQ(KindOf("0.0.0.0"), "unspecified");
  EXPECT_EQ(KindOf("224.0.0.1"), "multicast");
  EXPECT_EQ(KindOf("255.255.255.255"), "reserved");
  EXPECT_EQ(KindOf("198.19.0.1"), "benchmarking");
  EXPECT_EQ(KindOf("203.0.113.7"), "documentation");
}

TEST(NetworkAddress, Ipv4BlockEdgesArePublic) {
  EXPECT_EQ(KindOf("172.15.255.255"), "public");
  EXPECT_EQ(KindOf("172.32.0.0"), "public");
  EXPECT_EQ(KindOf("100.128.0.0"), "public");
  EXPECT_EQ(KindOf("93.184.216.34"), "public");
  EXPECT_EQ(KindOf("8.8.8.8"), "public");
}

TEST(NetworkAddress, Ipv6SpecialBlocksAreNamed) {
  EXPECT_EQ(KindOf("::1"), "loopback");
  EXPECT_EQ(KindOf("::"), "unspecified");
  EXPECT_EQ(KindOf("fe80::1"), "link-local");
  EXPECT_EQ(KindOf("fd00::1"), "unique local");
  EXPECT_EQ(KindOf("ff02::1"), "multicast");
  EXPECT_EQ(KindOf("2001:db8::1"), "documentation");
  EXPECT_EQ(KindOf("2606:4700::1111"), "public");
}

TEST(NetworkAddress, Ipv6FormsCarryingIpv4AreJudgedByIt) {
  EXPECT_EQ(KindOf("::ffff:127.0.0.1"), "loopback");
  EXPECT_EQ(KindOf("::ffff:10.0.0.1"), "private");
  EXPECT_EQ(KindOf("::ffff:8.8.8.8"), "public");
  EXPECT_EQ(KindOf("64:ff9b::a9fe:a9fe"), "link-local");
  EXPECT_EQ(KindOf("2002:c0a8:0101::1"), "private");
}

TEST(NetworkAddress, OtherLengthsAreMalformed) {
  const std::vector<uint8_t> five(5);
  EXPECT_EQ(NonPublicAddressKind(five), "malformed");
}

}  // namespace
}  // namespace tnps::core
