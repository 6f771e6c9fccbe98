#include "services/alerts/webhook_client.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "core/network_address.h"

namespace tnps::services {

struct WebhookClient::Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  uint64_t tag = 0;
  std::string body;
  size_t received = 0;
  size_t max_response_bytes = 0;
  bool allow_private = false;
  bool response_too_large = false;
  // Why a connection was refused, if one was.
  std::string refusal;
  char error[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    curl_slist_free_all(headers);
    curl_easy_cleanup(easy);
  }
};

namespace {

size_t CountResponse(char*, size_t size, size_t count, void* user) {
  auto& t = *static_cast<WebhookClient::Transfer*>(user);
  t.received += size * count;
  if (t.received > t.max_response_bytes) {
    t.response_too_large = true;
    return 0;
  }
  return size * count;
}

// Called for every connection libcurl opens, with the address it is about
// to connect to: the place to refuse non-public ones, after resolution,
// so that a name pointing at a private address is refused too.
curl_socket_t OpenSocket(void* user, curlsocktype, curl_sockaddr* address) {
  auto& t = *static_cast<WebhookClient::Transfer*>(user);
  if (!t.allow_private) {
    std::optional<std::string> kind = "non-IP";
    if (address->family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&address->addr);
      kind = core::NonPublicAddressKind(
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(&in->sin_addr), 4));
    } else if (address->family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
      kind = core::NonPublicAddressKind(
          absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(&in6->sin6_addr), 16));
    }
    if (kind) {
      // Not the address itself: the tenant who chose the URL would learn
      // what names inside the operator's network resolve to.
      t.refusal = absl::StrCat("refused: the host resolves to a ", *kind, " address");
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype, address->protocol);
}

void InitializeCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

WebhookClient::WebhookClient(WebhookClientOptions options) : options_(std::move(options)) {
  InitializeCurlOnce();
  multi_ = curl_multi_init();
}

WebhookClient::~WebhookClient() {
  for (auto& [easy, transfer] : transfers_) curl_multi_remove_handle(multi_, easy);
  transfers_.clear();
  curl_multi_cleanup(multi_);
}

void WebhookClient::Start(WebhookRequest request) {
  auto t = std::make_unique<Transfer>();
  t->easy = curl_easy_init();
  t->tag = request.tag;
  t->body = std::move(request.body);
  t->max_response_bytes = options_.max_response_bytes;
  t->allow_private = options_.allow_private_targets;
  t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
  // No "Expect: 100-continue" round trip before larger bodies.
  t->headers = curl_slist_append(t->headers, "Expect:");
  for (const std::string& h : request.headers)
    t->headers = curl_slist_append(t->headers, h.c_str());
  CURL* e = t->easy;
  curl_easy_setopt(e, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(e, CURLOPT_POST, 1L);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body.data());
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->body.size()));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "tnps-webhooks/1");
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(options_.total_timeout)));
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
                   options_.allow_private_targets ? "http,https" : "https");
  // Not even one named by the environment: a proxy would connect on our
  // behalf, past the address check.
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  if (!options_.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, CountResponse);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error);
  curl_multi_add_handle(multi_, e);
  transfers_.emplace(e, std::move(t));
}

std::vector<WebhookOutcome> WebhookClient::Poll(absl::Duration timeout) {
  int running = 0;
  curl_multi_perform(multi_, &running);
  curl_multi_poll(multi_, nullptr, 0, static_cast<int>(absl::ToInt64Milliseconds(timeout)),
                  nullptr);
  curl_multi_perform(multi_, &running);
  std::vector<WebhookOutcome> done;
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    auto found = transfers_.find(msg->easy_handle);
    if (found == transfers_.end()) continue;
    done.push_back(Finish(*found->second, msg->data.result));
    curl_multi_remove_handle(multi_, msg->easy_handle);
    transfers_.erase(found);
  }
  return done;
}

void WebhookClient::Wake() { curl_multi_wakeup(multi_); }

WebhookOutcome WebhookClient::Finish(Transfer& t, int curl_code) {
  const auto code = static_cast<CURLcode>(curl_code);
  long status = 0;
  curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
  WebhookOutcome out{.tag = t.tag};
  if (!t.refusal.empty() && status == 0) {
    out.result = t.refusal;
  } else if (code == CURLE_OK || (code == CURLE_WRITE_ERROR && t.response_too_large)) {
    out.delivered = status >= 200 && status < 300;
    out.result = absl::StrCat("HTTP ", status);
    if (status >= 300 && status < 400) absl::StrAppend(&out.result, ": redirects are not followed");
    if (t.response_too_large) {
      absl::StrAppend(&out.result, " (response over ", options_.max_response_bytes,
                      " bytes, not read)");
    }
  } else if (code == CURLE_OPERATION_TIMEDOUT) {
    out.result = absl::StrCat("timed out (connect ", absl::FormatDuration(options_.connect_timeout),
                              ", total ", absl::FormatDuration(options_.total_timeout), ")");
  } else if (code == CURLE_UNSUPPORTED_PROTOCOL) {
    out.result = "refused: only https:// targets are allowed";
  } else {
    out.result = t.error[0] != '\0' ? t.error : curl_easy_strerror(code);
  }
  return out;
}

}  // namespace tnps::services
