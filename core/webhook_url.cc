#include "core/webhook_url.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tnps::core {
namespace {

bool HostNameChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '.'; }

std::optional<WebhookUrl> Refuse(std::string* problem, std::string why) {
  *problem = std::move(why);
  return std::nullopt;
}

}  // namespace

std::optional<WebhookUrl> ParseWebhookUrl(absl::string_view url, bool allow_http,
                                          std::string* problem) {
  if (url.empty()) return Refuse(problem, "is required");
  if (url.size() > kMaxWebhookUrlBytes) {
    return Refuse(problem, absl::StrCat("is longer than ", kMaxWebhookUrlBytes, " bytes"));
  }
  if (!std::all_of(url.begin(), url.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
    return Refuse(problem, "must be printable ASCII without spaces (percent-encode the rest)");
  }
  WebhookUrl out;
  absl::string_view rest = url;
  if (absl::StartsWithIgnoreCase(rest, "https://")) {
    rest.remove_prefix(8);
  } else if (absl::StartsWithIgnoreCase(rest, "http://")) {
    if (!allow_http) return Refuse(problem, "must be an https:// URL");
    out.https = false;
    out.port = 80;
    rest.remove_prefix(7);
  } else {
    return Refuse(problem,
                  allow_http ? "must be an https:// or http:// URL" : "must be an https:// URL");
  }
  if (absl::StrContains(rest, '#')) return Refuse(problem, "must not have a fragment (#...)");
  const size_t slash = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, slash);
  out.path = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (out.path[0] == '?') out.path = "/" + out.path;
  if (absl::StrContains(authority, '@')) {
    return Refuse(problem, "must not carry credentials (user@host); the signature authenticates");
  }
  absl::string_view host = authority, port;
  bool has_port = false;
  if (absl::StartsWith(authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return Refuse(problem, "has an unclosed [IPv6 address]");
    host = authority.substr(1, close - 1);
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Refuse(problem, "has something after its [IPv6 address]");
      port = after.substr(1);
      has_port = true;
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return absl::ascii_isxdigit(c) || c == ':' || c == '.';
        })) {
      return Refuse(problem, "has an invalid IPv6 address");
    }
  } else {
    const size_t colon = authority.find(':');
    if (colon != absl::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty() || host.size() > 253 || !std::all_of(host.begin(), host.end(), HostNameChar) ||
        host.front() == '.' || host.front() == '-') {
      return Refuse(problem, "has an invalid host name");
    }
  }
  if (has_port) {
    int number = 0;
    if (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535) {
      return Refuse(problem, "has an invalid port (1..65535)");
    }
    out.port = number;
  }
  out.host = absl::AsciiStrToLower(host);
  return out;
}

}  // namespace tnps::core
