#include "services/alerts/webhook_signature.h"

#include "absl/strings/str_cat.h"
#include "storage/sha256.h"

namespace tnps::services {

std::string WebhookSignature(absl::Time at, absl::string_view body,
                             const std::vector<std::string>& secrets) {
  const std::string timestamp = absl::StrCat(absl::ToUnixSeconds(at));
  const std::string signed_text = absl::StrCat(timestamp, ".", body);
  std::string out = absl::StrCat("t=", timestamp);
  for (const std::string& secret : secrets) {
    absl::StrAppend(&out, ",v1=", storage::HexEncode(storage::HmacSha256(secret, signed_text)));
  }
  return out;
}

}  // namespace tnps::services
