// tnps.v1.AlertService: subscriptions to the responses someone should act
// on, delivered by signed webhook (docs/alerts.md).
#ifndef TNPS_SERVICES_ALERTS_ALERT_SERVICE_H_
#define TNPS_SERVICES_ALERTS_ALERT_SERVICE_H_

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/authenticator.h"
#include "services/common/call_executor.h"
#include "services/common/fair_executor.h"
#include "services/common/refusal_delay.h"
#include "services/common/stream_sweeper.h"
#include "storage/alert_outbox.h"
#include "storage/alert_store.h"
#include "storage/response_records.h"
#include "tnps/v1/alert_service.grpc.pb.h"

namespace tnps::services {

// Every RPC is registered raw, as in AnalyticsService.
using AlertServiceBase = tnps::v1::AlertService::WithRawCallbackMethod_CreateSubscription<
    tnps::v1::AlertService::WithRawCallbackMethod_ListSubscriptions<
        tnps::v1::AlertService::WithRawCallbackMethod_PauseSubscription<
            tnps::v1::AlertService::WithRawCallbackMethod_ResumeSubscription<
                tnps::v1::AlertService::WithRawCallbackMethod_DeleteSubscription<
                    tnps::v1::AlertService::WithRawCallbackMethod_RotateSubscriptionSecret<
                        tnps::v1::AlertService::WithRawCallbackMethod_ListDeliveries<
                            tnps::v1::AlertService::WithRawCallbackMethod_RedeliverEvent<
                                tnps::v1::AlertService::WithRawCallbackMethod_WatchResponses<
                                    tnps::v1::AlertService::Service>>>>>>>>>;

struct AlertServiceOptions {
  // Accept http:// targets (operators allow it for receivers on loopback).
  bool allow_http_targets = false;
  // WatchResponses calls open at once, on this server and per tenant;
  // beyond, a new one is refused with RESOURCE_EXHAUSTED.
  int max_watches = 64;
  int max_watches_per_tenant = 8;
  // How often an open watch looks for new changes.
  absl::Duration watch_poll_interval = absl::Milliseconds(250);
  // Responses read per query of a watch.
  int watch_page_rows = 500;
  // A watch whose client takes no message for this long is ended.
  absl::Duration watch_stall_timeout = absl::Minutes(1);
};

// What AlertService reads and writes, besides subscriptions.
struct AlertServiceDeps {
  storage::AlertStore& store;
  storage::AlertOutbox& outbox;
  storage::ResponseRecords& records;
  // Unary calls.
  CallExecutor& calls;
  // WatchResponses: its key, its pages (on the read executor, shared
  // fairly with other reads) and its refusals.
  Authenticator& authenticator;
  FairExecutor& reads;
  RefusalDelay& refusals;
};

class AlertService final : public AlertServiceBase {
 public:
  explicit AlertService(AlertServiceDeps deps, AlertServiceOptions options = {});
  ~AlertService() override;

  grpc::ServerUnaryReactor* CreateSubscription(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListSubscriptions(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* PauseSubscription(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ResumeSubscription(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeleteSubscription(grpc::CallbackServerContext* context,
                                               const grpc::ByteBuffer* request,
                                               grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RotateSubscriptionSecret(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListDeliveries(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RedeliverEvent(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchResponses(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;

 private:
  class WatchReactor;
  // Defined beside WatchReactor (services/alerts/watch_reactor.cc).
  grpc::ServerWriteReactor<grpc::ByteBuffer>* StartWatch(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request);
  // Takes a watch slot for the tenant; false if none is left.
  bool TakeWatchSlot(int64_t tenant_id);
  void ReleaseWatchSlot(int64_t tenant_id);

  // Pause and resume: the same but for the state.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* SetPaused(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                                      bool paused);

  const AlertServiceDeps deps_;
  storage::AlertStore& store_;
  CallExecutor& calls_;
  const AlertServiceOptions options_;
  absl::Mutex watches_mu_;
  int open_watches_ ABSL_GUARDED_BY(watches_mu_) = 0;
  absl::flat_hash_map<int64_t, int> open_watches_by_tenant_ ABSL_GUARDED_BY(watches_mu_);
  // Ends watches whose client stopped taking messages.
  StreamSweeper stalls_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ALERTS_ALERT_SERVICE_H_
