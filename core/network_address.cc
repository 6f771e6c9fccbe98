#include "core/network_address.h"

#include <algorithm>
#include <array>

namespace tnps::core {
namespace {

struct Block {
  std::array<uint8_t, 16> prefix;
  int bits;
  const char* kind;
};

bool InBlock(absl::Span<const uint8_t> address, const Block& block) {
  for (int bit = 0; bit < block.bits; ++bit) {
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((address[bit / 8] & mask) != (block.prefix[bit / 8] & mask)) return false;
  }
  return true;
}

// IANA's special-purpose registries (RFC 6890 and successors), reduced to
// what a webhook must not reach.
constexpr Block kIpv4Blocks[] = {
    {{0}, 8, "unspecified"},
    {{10}, 8, "private"},
    {{100, 64}, 10, "shared (carrier-grade NAT)"},
    {{127}, 8, "loopback"},
    {{169, 254}, 16, "link-local"},
    {{172, 16}, 12, "private"},
    {{192, 0, 0}, 24, "reserved"},
    {{192, 0, 2}, 24, "documentation"},
    {{192, 88, 99}, 24, "reserved"},
    {{192, 168}, 16, "private"},
    {{198, 18}, 15, "benchmarking"},
    {{198, 51, 100}, 24, "documentation"},
    {{203, 0, 113}, 24, "documentation"},
    {{224}, 4, "multicast"},
    {{240}, 4, "reserved"},
};

constexpr Block kIpv6Blocks[] = {
    {{0xfe, 0x80}, 10, "link-local"},
    {{0xfc}, 7, "unique local"},
    {{0xff}, 8, "multicast"},
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation"},
    {{0x20, 0x01, 0x00, 0x02, 0x00, 0x00}, 48, "benchmarking"},
    // Teredo and ORCHIDs, among others: no webhook lives there.
    {{0x20, 0x01}, 23, "reserved"},
    {{0x01, 0x00}, 64, "reserved"},
    {{0xfe, 0xc0}, 10, "reserved"},
};

std::optional<std::string> Ipv4Kind(absl::Span<const uint8_t> address) {
  for (const Block& block : kIpv4Blocks) {
    if (InBlock(address, block)) return block.kind;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> NonPublicAddressKind(absl::Span<const uint8_t> address) {
  if (address.size() == 4) return Ipv4Kind(address);
  if (address.size() != 16) return "malformed";
  const auto zero = [&](size_t from, size_t to) {
    return std::all_of(address.begin() + from, address.begin() + to,
                       [](uint8_t b) { return b == 0; });
  };
  if (zero(0, 15))
    return address[15] == 1 ? "loopback" : address[15] == 0 ? "unspecified" : "reserved";
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (the deprecated compatible form).
  if (zero(0, 10) &&
      ((address[10] == 0xff && address[11] == 0xff) || (address[10] == 0 && address[11] == 0))) {
    return Ipv4Kind(address.subspan(12, 4));
  }
  // 64:ff9b::a.b.c.d (NAT64) carries the IPv4 address it reaches.
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b};
  if (std::equal(address.begin(), address.begin() + 12, kNat64)) {
    return Ipv4Kind(address.subspan(12, 4));
  }
  // 2002:a.b.c.d::/48 (6to4) too.
  if (address[0] == 0x20 && address[1] == 0x02) return Ipv4Kind(address.subspan(2, 4));
  for (const Block& block : kIpv6Blocks) {
    if (InBlock(address, block)) return block.kind;
  }
  return std::nullopt;
}

}  // namespace tnps::core
