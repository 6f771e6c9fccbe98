// The outbound HTTP of alert webhooks, on libcurl's multi interface: many
// requests at once on the caller's one thread, so that a slow receiver
// holds one slot and nothing else. Every request has a connect and a total
// timeout, follows no redirect, uses no proxy, reads back at most a capped
// response, and connects only to public addresses (checked on the address
// a name resolved to, each time a connection opens) unless the operator
// allows private ones.
#ifndef TNPS_SERVICES_ALERTS_WEBHOOK_CLIENT_H_
#define TNPS_SERVICES_ALERTS_WEBHOOK_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace tnps::services {

struct WebhookClientOptions {
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration total_timeout = absl::Seconds(10);
  // Beyond this the response is not read (the status still counts).
  size_t max_response_bytes = 64 * 1024;
  // Loopback, private, link-local... addresses, and http:// (tests, and
  // receivers on the operator's own network).
  bool allow_private_targets = false;
  // PEM file of the CAs receivers' certificates must chain to; empty: the
  // system's.
  std::string ca_file;
};

struct WebhookRequest {
  // The caller's name for the request, returned with its outcome.
  uint64_t tag = 0;
  std::string url;
  std::string body;
  // "Name: value" lines; Content-Type is application/json.
  std::vector<std::string> headers;
};

struct WebhookOutcome {
  uint64_t tag = 0;
  // The receiver answered 2xx.
  bool delivered = false;
  // What happened, for ListDeliveries: "HTTP 200", "HTTP 302: redirects
  // are not followed", "timed out after 10s", "refused: the host resolves to a
  // private address", or libcurl's description of the failure.
  std::string result;
};

// Not thread-safe except for Wake: one thread starts requests and polls.
class WebhookClient {
 public:
  explicit WebhookClient(WebhookClientOptions options);
  ~WebhookClient();
  WebhookClient(const WebhookClient&) = delete;
  WebhookClient& operator=(const WebhookClient&) = delete;

  void Start(WebhookRequest request);
  size_t in_flight() const { return transfers_.size(); }

  // Moves the requests in flight along, waiting up to `timeout` (or until
  // Wake) for something to happen; returns those that finished.
  std::vector<WebhookOutcome> Poll(absl::Duration timeout);

  // Ends a Poll early, from any thread.
  void Wake();

  struct Transfer;

 private:
  WebhookOutcome Finish(Transfer& transfer, int curl_code);

  const WebhookClientOptions options_;
  void* multi_;
  absl::flat_hash_map<void*, std::unique_ptr<Transfer>> transfers_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ALERTS_WEBHOOK_CLIENT_H_
