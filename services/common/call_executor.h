// Runs unary calls whose work blocks (database reads): the key is verified
// without blocking gRPC's thread (services/common/authenticator.h), then
// the handler runs on the fair executor under the caller's tenant, so a
// client that never reads its answers holds no thread (gRPC sends the
// answer after the handler has returned) and no tenant takes every thread.
//
// The handler runs within the call's limits (storage/call_limits.h): its
// queries end at the call's deadline, and are cancelled when the caller
// cancels or goes away.
#ifndef TNPS_SERVICES_COMMON_CALL_EXECUTOR_H_
#define TNPS_SERVICES_COMMON_CALL_EXECUTOR_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <utility>

#include "absl/time/clock.h"
#include "core/role.h"
#include "services/common/authenticator.h"
#include "services/common/fair_executor.h"
#include "services/common/grpc_status.h"
#include "services/common/refusal_delay.h"
#include "services/common/wire_parse.h"
#include "storage/call_limits.h"

namespace tnps::services {

class CallExecutor {
 public:
  // Refusals (no valid key, over the rate, a full queue) go out through
  // `refusals`.
  CallExecutor(Authenticator& authenticator, FairExecutor& executor, RefusalDelay& refusals)
      : authenticator_(authenticator), executor_(executor), refusals_(refusals) {}

  // Finishes the call of `context` with the status that
  // `handler(principal)` returns, once the caller's key is verified for
  // `needed`; with the authenticator's or the executor's refusal otherwise,
  // and CANCELLED without running the handler if the caller has gone by the
  // time a thread is free. `handler` may use the request and response of
  // the call until it returns.
  template <typename Handler>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, core::Role needed,
                                Handler handler) {
    auto* reactor = new CallReactor;
    authenticator_.Authenticate(
        *context, needed,
        [this, context, reactor,
         handler = std::move(handler)](absl::StatusOr<storage::Principal> principal) mutable {
          if (!principal.ok()) return refusals_.Finish(reactor, ToGrpcStatus(principal.status()));
          const int64_t tenant = principal->tenant_id;
          absl::Status queued =
              executor_.TrySubmit(tenant, [context, reactor, handler = std::move(handler),
                                           principal = *std::move(principal)]() mutable {
                if (context->IsCancelled()) return reactor->Finish(grpc::Status::CANCELLED);
                grpc::Status status;
                {
                  storage::ScopedCallLimits limits(
                      {.deadline = absl::FromChrono(context->deadline()),
                       .cancellation = &reactor->cancellation});
                  status = handler(principal);
                }
                reactor->Finish(std::move(status));
              });
          if (!queued.ok()) refusals_.Finish(reactor, ToGrpcStatus(queued));
        });
    return reactor;
  }

  // The same for a method registered raw (WithRawCallbackMethod_*): the
  // request is decoded once the key is verified, on the pool thread, and
  // bytes that are not a `Request` (or carry invalid UTF-8) are
  // INVALID_ARGUMENT, where gRPC's own decoding would answer with a code of
  // its choosing. `handler(principal, const Request*, Response*)`; its
  // response is sent when it returns OK.
  template <typename Request, typename Response, typename Handler>
  grpc::ServerUnaryReactor* RunRaw(grpc::CallbackServerContext* context, core::Role needed,
                                   const grpc::ByteBuffer* request, grpc::ByteBuffer* response,
                                   Handler handler) {
    return Run(context, needed,
               [request, response,
                handler = std::move(handler)](const storage::Principal& principal) mutable {
                 Request parsed;
                 if (std::optional<core::FieldViolation> v =
                         ParseMessage(ByteBufferToString(*request), parsed)) {
                   return InvalidArgument("", {*v});
                 }
                 Response out;
                 grpc::Status status = handler(principal, &parsed, &out);
                 if (status.ok()) *response = MessageToByteBuffer(out);
                 return status;
               });
  }

 private:
  // A unary call whose cancellation reaches the query running for it.
  class CallReactor final : public grpc::ServerUnaryReactor {
   public:
    void OnCancel() override { cancellation.Cancel(); }
    void OnDone() override { delete this; }
    storage::CallCancellation cancellation;
  };

  Authenticator& authenticator_;
  FairExecutor& executor_;
  RefusalDelay& refusals_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_CALL_EXECUTOR_H_
