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

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/role.h"
#include "services/common/authenticator.h"
#include "services/common/fair_executor.h"
#include "services/common/grpc_status.h"
#include "services/common/refusal_delay.h"
#include "services/common/wire_parse.h"
#include "storage/audit_log.h"
#include "storage/call_limits.h"

namespace tnps::services {

class CallExecutor {
 public:
  // Refusals (no valid key, over the rate, a full queue) go out through
  // `refusals`.
  CallExecutor(Authenticator& authenticator, FairExecutor& executor, RefusalDelay& refusals)
      : authenticator_(authenticator), executor_(executor), refusals_(refusals) {}

  // Runs a unary RPC registered raw (WithRawCallbackMethod_*): once the
  // caller's key is verified for `needed` and the call admitted, the
  // request is decoded on a pool thread (bytes that are not a `Request`, or
  // carry invalid UTF-8, are INVALID_ARGUMENT, where gRPC's own decoding
  // would answer with a code of its choosing) and
  // `handler(principal, const Request*, Response*)` runs; its response is
  // sent when it returns OK. Refusals (no valid key, over the rate, a full
  // queue) go out through the refusal delay; a caller gone by the time a
  // thread is free gets CANCELLED without the handler running.
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

  // Finishes the call of `context` with the status that
  // `handler(principal)` returns, once the caller's key is verified for
  // `needed`; with the authenticator's or the executor's refusal otherwise.
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
                RunHandler(*context, *reactor, handler, principal);
              });
          if (!queued.ok()) refusals_.Finish(reactor, ToGrpcStatus(queued));
        });
    return reactor;
  }

  // On a pool thread: CANCELLED without running `handler` if the caller has
  // gone, else its status, with the call's limits on its queries.
  template <typename Handler>
  static void RunHandler(const grpc::CallbackServerContext& context, CallReactor& reactor,
                         Handler& handler, const storage::Principal& principal) {
    if (context.IsCancelled()) return reactor.Finish(grpc::Status::CANCELLED);
    grpc::Status status;
    {
      storage::ScopedCallLimits limits({.deadline = absl::FromChrono(context.deadline()),
                                        .cancellation = &reactor.cancellation});
      // Administrative writes record the caller's key in the audit trail.
      storage::ScopedAuditActor actor(absl::StrCat("key:", principal.key_id));
      status = handler(principal);
    }
    reactor.Finish(std::move(status));
  }

  Authenticator& authenticator_;
  FairExecutor& executor_;
  RefusalDelay& refusals_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_CALL_EXECUTOR_H_
