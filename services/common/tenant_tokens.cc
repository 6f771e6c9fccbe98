#include "services/common/tenant_tokens.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "storage/sha256.h"

namespace tnps::services {
namespace {

// Tokens sealed since version 2 are encrypted, so that the positions they
// carry (the database's numbers for responses and events, snapshots) say
// nothing about how much any tenant stores: "t2." and URL-safe base64 of
// a random 96-bit nonce, the AES-256-GCM ciphertext of the body and its
// 128-bit tag, under a key derived from the tenant's, with the kind and
// the query as associated data.
constexpr absl::string_view kSealedPrefix = "t2.";
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

std::string TokenKey(const storage::Principal& principal) {
  return storage::HmacSha256(principal.response_id_key, "tnps token encryption v2");
}

std::string AssociatedData(absl::string_view kind, absl::string_view query) {
  return absl::StrCat(kind, "\n", query.size(), ":", query);
}

// Encrypts (`encrypt`) or decrypts `in` with `nonce`, appending to `out`;
// on encryption `tag` is filled, on decryption it is checked.
bool AesGcm(bool encrypt, const std::string& key, absl::string_view nonce,
            absl::string_view associated, absl::string_view in, std::string& tag,
            std::string& out) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return false;
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  const auto* iv = reinterpret_cast<const unsigned char*>(nonce.data());
  int n = 0;
  bool ok =
      EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), nullptr, k, iv, encrypt ? 1 : 0) == 1 &&
      EVP_CipherUpdate(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(associated.data()),
                       static_cast<int>(associated.size())) == 1;
  const size_t before = out.size();
  out.resize(before + in.size());
  auto* dest = reinterpret_cast<unsigned char*>(out.data() + before);
  ok = ok && EVP_CipherUpdate(ctx, dest, &n, reinterpret_cast<const unsigned char*>(in.data()),
                              static_cast<int>(in.size())) == 1;
  if (ok && !encrypt) {
    ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1;
  }
  ok = ok && EVP_CipherFinal_ex(ctx, dest + n, &n) == 1;
  if (ok && encrypt) {
    tag.resize(kTagBytes);
    ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes, tag.data()) == 1;
  }
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

// Tokens of version 1 (before encryption): the body in clear and 128 bits
// of HMAC-SHA256, as hex. Still opened, so that a sync token a client kept
// across the upgrade works once more; never issued.
std::string LegacyMac(const storage::Principal& principal, absl::string_view kind,
                      absl::string_view query, absl::string_view body) {
  return storage::HexEncode(
             storage::HmacSha256(principal.response_id_key,
                                 absl::StrCat(kind, "\n", query.size(), ":", query, "\n", body)))
      .substr(0, 32);
}

std::optional<std::string> OpenLegacyToken(const storage::Principal& principal,
                                           absl::string_view kind, absl::string_view query,
                                           absl::string_view token) {
  std::string text;
  if (!absl::WebSafeBase64Unescape(token, &text)) return std::nullopt;
  const size_t dot = text.rfind('.');
  if (dot == std::string::npos) return std::nullopt;
  std::string body = text.substr(0, dot);
  // Not a timing oracle worth guarding: a forged token learns nothing but
  // "refused", and the key never leaves the server.
  if (text.substr(dot + 1) != LegacyMac(principal, kind, query, body)) return std::nullopt;
  return body;
}

// One AES-256 block, encrypted or decrypted under `key`.
bool AesBlock(bool encrypt, const std::string& key, const unsigned char in[16],
              unsigned char out[16]) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return false;
  int n = 0;
  const bool ok = EVP_CipherInit_ex(ctx, EVP_aes_256_ecb(), nullptr,
                                    reinterpret_cast<const unsigned char*>(key.data()), nullptr,
                                    encrypt ? 1 : 0) == 1 &&
                  EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
                  EVP_CipherUpdate(ctx, out, &n, in, 16) == 1 && n == 16;
  EVP_CIPHER_CTX_free(ctx);
  return ok;
}

std::string EventIdKey(const storage::Principal& principal) {
  return storage::HmacSha256(principal.response_id_key, "tnps event id v1");
}

}  // namespace

std::string PublicEventId(const storage::Principal& principal, int64_t event_seq) {
  unsigned char block[16];
  for (int i = 0; i < 8; ++i) {
    block[i] = static_cast<unsigned char>(static_cast<uint64_t>(event_seq) >> (56 - 8 * i));
    block[8 + i] =
        static_cast<unsigned char>(static_cast<uint64_t>(principal.tenant_id) >> (56 - 8 * i));
  }
  unsigned char sealed[16];
  if (!AesBlock(true, EventIdKey(principal), block, sealed)) return "";
  const std::string hex =
      storage::HexEncode(absl::string_view(reinterpret_cast<const char*>(sealed), 16));
  return absl::StrCat(hex.substr(0, 8), "-", hex.substr(8, 4), "-", hex.substr(12, 4), "-",
                      hex.substr(16, 4), "-", hex.substr(20));
}

std::optional<int64_t> EventSeqOf(const storage::Principal& principal, absl::string_view id) {
  std::string hex;
  for (size_t i = 0; i < id.size(); ++i) {
    if (id[i] == '-' && (i == 8 || i == 13 || i == 18 || i == 23)) continue;
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(id[i]))) return std::nullopt;
    hex.push_back(absl::ascii_tolower(static_cast<unsigned char>(id[i])));
  }
  if (id.size() != 36 || hex.size() != 32) return std::nullopt;
  const std::string bytes = absl::HexStringToBytes(hex);
  unsigned char block[16];
  if (!AesBlock(false, EventIdKey(principal), reinterpret_cast<const unsigned char*>(bytes.data()),
                block)) {
    return std::nullopt;
  }
  uint64_t seq = 0, tenant = 0;
  for (int i = 0; i < 8; ++i) {
    seq = (seq << 8) | block[i];
    tenant = (tenant << 8) | block[8 + i];
  }
  // Anything but this tenant's own id decrypts to another tenant (with
  // odds of 2^-64 for a guess).
  if (tenant != static_cast<uint64_t>(principal.tenant_id) || seq == 0 ||
      seq > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(seq);
}

std::string PublicResponseId(const storage::Principal& principal, int64_t id) {
  return storage::HexEncode(storage::HmacSha256(principal.response_id_key, absl::StrCat(id)))
      .substr(0, 20);
}

std::string SealToken(const storage::Principal& principal, absl::string_view kind,
                      absl::string_view query, absl::string_view body) {
  std::string sealed = storage::RandomBytes(kNonceBytes);
  std::string tag;
  if (!AesGcm(true, TokenKey(principal), sealed, AssociatedData(kind, query), body, tag, sealed)) {
    // OpenSSL cannot fail here short of memory exhaustion; an empty token
    // is refused when it comes back.
    return "";
  }
  return absl::StrCat(kSealedPrefix, absl::WebSafeBase64Escape(sealed + tag));
}

std::optional<std::string> OpenToken(const storage::Principal& principal, absl::string_view kind,
                                     absl::string_view query, absl::string_view token,
                                     size_t max_bytes) {
  if (token.size() > max_bytes) return std::nullopt;
  if (!absl::ConsumePrefix(&token, kSealedPrefix)) {
    return OpenLegacyToken(principal, kind, query, token);
  }
  std::string sealed;
  if (!absl::WebSafeBase64Unescape(token, &sealed) || sealed.size() < kNonceBytes + kTagBytes) {
    return std::nullopt;
  }
  const absl::string_view all(sealed);
  std::string tag(all.substr(all.size() - kTagBytes));
  std::string body;
  if (!AesGcm(false, TokenKey(principal), all.substr(0, kNonceBytes), AssociatedData(kind, query),
              all.substr(kNonceBytes, all.size() - kNonceBytes - kTagBytes), tag, body)) {
    return std::nullopt;
  }
  return body;
}

std::string CanonicalQuery(const google::protobuf::Message& query) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  query.SerializeToCodedStream(&out);
  out.Trim();
  return bytes;
}

}  // namespace tnps::services
