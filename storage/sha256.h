// SHA-256 for API key secrets and migration checksums.
#ifndef TNPS_STORAGE_SHA256_H_
#define TNPS_STORAGE_SHA256_H_

#include <string>

#include "absl/strings/string_view.h"

namespace tnps::storage {

// The 32-byte digest of `data`.
std::string Sha256(absl::string_view data);

// HMAC-SHA256 of `data` under `key` (32 bytes).
std::string HmacSha256(absl::string_view key, absl::string_view data);

// `bytes` as lowercase hexadecimal.
std::string HexEncode(absl::string_view bytes);

// `count` bytes from the operating system's CSPRNG (OpenSSL RAND_bytes).
std::string RandomBytes(size_t count);

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_SHA256_H_
