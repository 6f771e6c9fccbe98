// tnps.v1.AlertService: subscriptions to the responses someone should act
// on, delivered by signed webhook (docs/alerts.md).
#ifndef TNPS_SERVICES_ALERTS_ALERT_SERVICE_H_
#define TNPS_SERVICES_ALERTS_ALERT_SERVICE_H_

#include "services/common/call_executor.h"
#include "storage/alert_store.h"
#include "tnps/v1/alert_service.grpc.pb.h"

namespace tnps::services {

// Every RPC is registered raw, as in AnalyticsService.
using AlertServiceBase = tnps::v1::AlertService::WithRawCallbackMethod_CreateSubscription<
    tnps::v1::AlertService::WithRawCallbackMethod_ListSubscriptions<
        tnps::v1::AlertService::WithRawCallbackMethod_PauseSubscription<
            tnps::v1::AlertService::WithRawCallbackMethod_ResumeSubscription<
                tnps::v1::AlertService::WithRawCallbackMethod_DeleteSubscription<
                    tnps::v1::AlertService::WithRawCallbackMethod_RotateSubscriptionSecret<
                        tnps::v1::AlertService::Service>>>>>>;

struct AlertServiceOptions {
  // Accept http:// targets (operators allow it for receivers on loopback).
  bool allow_http_targets = false;
};

class AlertService final : public AlertServiceBase {
 public:
  AlertService(storage::AlertStore& store, CallExecutor& calls, AlertServiceOptions options = {});

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

 private:
  // Pause and resume: the same but for the state.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* SetPaused(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                                      bool paused);

  storage::AlertStore& store_;
  CallExecutor& calls_;
  const AlertServiceOptions options_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ALERTS_ALERT_SERVICE_H_
