#include "core/consistency_token.h"

#include "absl/strings/str_format.h"

namespace tnps::core {
namespace {

constexpr absl::string_view kPrefix = "w1.";
constexpr size_t kHexDigits = 16;

}  // namespace

std::string FormatConsistencyToken(WalPosition position) {
  return absl::StrFormat("%s%016x", kPrefix, position);
}

std::optional<WalPosition> ParseConsistencyToken(absl::string_view token, std::string* problem) {
  if (token.empty()) return 0;
  if (token.size() != kPrefix.size() + kHexDigits || token.substr(0, kPrefix.size()) != kPrefix) {
    *problem = "is not a token this server returned; pass back consistency_token unchanged";
    return std::nullopt;
  }
  WalPosition position = 0;
  for (char c : token.substr(kPrefix.size())) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      *problem = "is not a token this server returned; pass back consistency_token unchanged";
      return std::nullopt;
    }
    position = position << 4 | static_cast<WalPosition>(digit);
  }
  return position;
}

}  // namespace tnps::core
