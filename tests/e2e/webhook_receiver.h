// The webhook receiver of the alert tests: tests/e2e/webhook_receiver.py,
// a real HTTP server on loopback, run as a child process, and what it
// recorded.
#ifndef TNPS_TESTS_E2E_WEBHOOK_RECEIVER_H_
#define TNPS_TESTS_E2E_WEBHOOK_RECEIVER_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/e2e/server_process.h"  // FreeLoopbackPort
#include "tnps/v1/alert_service.pb.h"

namespace tnps::testing {

struct ReceivedRequest {
  std::string path;
  // The Tnps-Event-Id, Tnps-Event-Type and Tnps-Delivery-Attempt headers.
  std::string event_id;
  std::string event_type;
  std::string attempt;
  std::string signature;
  int signatures = 0;
  // Which of the receiver's secrets a signature matched (by index).
  std::vector<int> valid_secrets;
  // Seconds between the signature's timestamp and the receipt.
  double timestamp_age = -1;
  absl::Time received_at;
  std::string body;
  // The body parsed as the documented AlertEvent; `parsed` is false if it
  // is not one.
  tnps::v1::AlertEvent event;
  bool parsed = false;
};

class WebhookReceiver {
 public:
  // Listens on 127.0.0.1:`port` (0: any) and verifies signatures with
  // `secrets`.
  explicit WebhookReceiver(int port = 0, const std::vector<std::string>& secrets = {});
  // Stops the receiver (its record stays readable until destruction).
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string Url(const std::string& path) const;

  std::vector<ReceivedRequest> Requests() const;
  int Connections() const;
  // Waits until at least `count` requests came, up to `timeout`; the
  // requests then.
  std::vector<ReceivedRequest> WaitForRequests(size_t count, absl::Duration timeout) const;

 private:
  std::string dir_;
  std::string record_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace tnps::testing

#endif  // TNPS_TESTS_E2E_WEBHOOK_RECEIVER_H_
