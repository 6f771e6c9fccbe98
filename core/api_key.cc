#include "core/api_key.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tnps::core {
namespace {

constexpr absl::string_view kPrefix = "tnps_";

bool IsLowerHex(absl::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

absl::StatusOr<ApiKeyParts> ParseApiKey(absl::string_view key) {
  const size_t expected = kPrefix.size() + kApiKeyIdHexDigits + 1 + kApiKeySecretHexDigits;
  if (key.size() != expected || !absl::StartsWith(key, kPrefix) ||
      key[kPrefix.size() + kApiKeyIdHexDigits] != '_') {
    return absl::UnauthenticatedError("malformed API key");
  }
  absl::string_view id = key.substr(kPrefix.size(), kApiKeyIdHexDigits);
  absl::string_view secret = key.substr(kPrefix.size() + kApiKeyIdHexDigits + 1);
  if (!IsLowerHex(id) || !IsLowerHex(secret)) {
    return absl::UnauthenticatedError("malformed API key");
  }
  return ApiKeyParts{std::string(id), std::string(secret)};
}

std::string FormatApiKey(absl::string_view key_id, absl::string_view secret) {
  return absl::StrCat(kPrefix, key_id, "_", secret);
}

}  // namespace tnps::core
