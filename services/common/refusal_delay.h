// Sends refusals (a bad or missing key, a call over its rate, a full queue)
// after a short delay instead of at once. A client that ignores refusals and
// retries at once can then make only as many calls per second as it has
// streams open divided by the delay, so floods of guessed keys, of calls
// over their rate, or of large messages without a key cost the server a
// bounded amount (the per-connection stream cap bounds the calls held). At
// most `max_pending` refusals wait; beyond, they go out at once.
#ifndef TNPS_SERVICES_COMMON_REFUSAL_DELAY_H_
#define TNPS_SERVICES_COMMON_REFUSAL_DELAY_H_

#include <grpcpp/support/server_callback.h>
#include <grpcpp/support/status.h>

#include <deque>
#include <functional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tnps::services {

class RefusalDelay {
 public:
  RefusalDelay(absl::Duration delay, size_t max_pending);
  // Sends every waiting refusal, then stops. Destroy it after the server.
  ~RefusalDelay();
  RefusalDelay(const RefusalDelay&) = delete;
  RefusalDelay& operator=(const RefusalDelay&) = delete;

  // Whether a call finished with `status` is a refusal worth delaying.
  static bool IsRefusal(const grpc::Status& status);

  // Runs `finish` (which finishes the call) after the delay if `status` is
  // a refusal, else at once.
  void Finish(const grpc::Status& status, std::function<void()> finish);

  // The same for a unary call.
  void Finish(grpc::ServerUnaryReactor* reactor, grpc::Status status) {
    Finish(status, [reactor, status] { reactor->Finish(status); });
  }

 private:
  void Loop();

  const absl::Duration delay_;
  const size_t max_pending_;
  absl::Mutex mu_;
  // In the order they are due: the delay is the same for all.
  std::deque<std::pair<absl::Time, std::function<void()>>> pending_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_REFUSAL_DELAY_H_
