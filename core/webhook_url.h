// What a webhook target URL may be: https (http only where an operator
// allows it, for receivers on loopback in tests), a host, an optional
// port and path; no credentials, no fragment, nothing but printable ASCII.
// Whether the host's addresses may be reached is decided when delivering,
// after name resolution.
#ifndef TNPS_CORE_WEBHOOK_URL_H_
#define TNPS_CORE_WEBHOOK_URL_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace tnps::core {

inline constexpr size_t kMaxWebhookUrlBytes = 2048;

struct WebhookUrl {
  bool https = true;
  // A name, an IPv4 address, or an IPv6 address without its brackets.
  std::string host;
  int port = 443;
  // From the first '/' on (with the query); "/" when the URL has none.
  std::string path;
};

// The URL's parts, or why it cannot be a webhook target (in `problem`).
std::optional<WebhookUrl> ParseWebhookUrl(absl::string_view url, bool allow_http,
                                          std::string* problem);

}  // namespace tnps::core

#endif  // TNPS_CORE_WEBHOOK_URL_H_
