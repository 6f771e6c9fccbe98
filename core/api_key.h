// The textual form of API keys: "tnps_<key id>_<secret>". The key id is
// public (it names the key in listings and revocation); only a hash of the
// secret is stored.
#ifndef TNPS_CORE_API_KEY_H_
#define TNPS_CORE_API_KEY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tnps::core {

inline constexpr size_t kApiKeyIdHexDigits = 16;
inline constexpr size_t kApiKeySecretHexDigits = 64;

struct ApiKeyParts {
  std::string key_id;
  std::string secret;
};

// Splits a presented key; an error says only that the key is malformed, never
// which part, so that probing learns nothing.
absl::StatusOr<ApiKeyParts> ParseApiKey(absl::string_view key);

std::string FormatApiKey(absl::string_view key_id, absl::string_view secret);

}  // namespace tnps::core

#endif  // TNPS_CORE_API_KEY_H_
