#include "services/alerts/alert_service.h"

#include "absl/strings/str_cat.h"
#include "services/alerts/alert_requests.h"
#include "services/common/grpc_status.h"

namespace tnps::services {
namespace {

grpc::Status CheckSubscriptionId(int64_t id) {
  if (id < 1) return InvalidArgument("", {{"subscription_id", "must be a subscription id"}});
  return grpc::Status::OK;
}

}  // namespace

AlertService::AlertService(storage::AlertStore& store, CallExecutor& calls,
                           AlertServiceOptions options)
    : store_(store), calls_(calls), options_(options) {}

grpc::ServerUnaryReactor* AlertService::CreateSubscription(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::CreateSubscriptionRequest, tnps::v1::CreateSubscriptionResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::CreateSubscriptionRequest* in,
             tnps::v1::CreateSubscriptionResponse* out) {
        std::vector<core::FieldViolation> violations;
        std::optional<storage::AlertSubscription> wanted =
            MapSubscription(in->subscription(), options_.allow_http_targets, violations);
        CheckAlertSecret(in->secret(), "secret", violations);
        if (!violations.empty()) return InvalidArgument("", violations);
        absl::StatusOr<storage::AlertSubscription> created =
            store_.Create(principal.tenant_id, *wanted, in->secret());
        if (!created.ok()) return ToGrpcStatus(created.status());
        SubscriptionToProto(*created, out->mutable_subscription());
        return grpc::Status::OK;
      });
}

grpc::ServerUnaryReactor* AlertService::ListSubscriptions(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::ListSubscriptionsRequest, tnps::v1::ListSubscriptionsResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::ListSubscriptionsRequest*,
             tnps::v1::ListSubscriptionsResponse* out) {
        absl::StatusOr<std::vector<storage::AlertSubscription>> listed =
            store_.List(principal.tenant_id);
        if (!listed.ok()) return ToGrpcStatus(listed.status());
        for (const auto& s : *listed) SubscriptionToProto(s, out->add_subscriptions());
        return grpc::Status::OK;
      });
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* AlertService::SetPaused(grpc::CallbackServerContext* context,
                                                  const grpc::ByteBuffer* request,
                                                  grpc::ByteBuffer* response, bool paused) {
  return calls_.RunRaw<Request, Response>(
      context, core::Role::kAdmin, request, response,
      [this, paused](const storage::Principal& principal, const Request* in, Response* out) {
        if (grpc::Status bad = CheckSubscriptionId(in->subscription_id()); !bad.ok()) return bad;
        absl::StatusOr<storage::AlertSubscription> s =
            store_.SetPaused(principal.tenant_id, in->subscription_id(), paused);
        if (!s.ok()) return ToGrpcStatus(s.status());
        SubscriptionToProto(*s, out->mutable_subscription());
        return grpc::Status::OK;
      });
}

grpc::ServerUnaryReactor* AlertService::PauseSubscription(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return SetPaused<tnps::v1::PauseSubscriptionRequest, tnps::v1::PauseSubscriptionResponse>(
      context, request, response, true);
}

grpc::ServerUnaryReactor* AlertService::ResumeSubscription(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return SetPaused<tnps::v1::ResumeSubscriptionRequest, tnps::v1::ResumeSubscriptionResponse>(
      context, request, response, false);
}

grpc::ServerUnaryReactor* AlertService::DeleteSubscription(grpc::CallbackServerContext* context,
                                                           const grpc::ByteBuffer* request,
                                                           grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::DeleteSubscriptionRequest, tnps::v1::DeleteSubscriptionResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::DeleteSubscriptionRequest* in,
             tnps::v1::DeleteSubscriptionResponse*) {
        if (grpc::Status bad = CheckSubscriptionId(in->subscription_id()); !bad.ok()) return bad;
        return ToGrpcStatus(store_.Delete(principal.tenant_id, in->subscription_id()));
      });
}

grpc::ServerUnaryReactor* AlertService::RotateSubscriptionSecret(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::RotateSubscriptionSecretRequest,
                       tnps::v1::RotateSubscriptionSecretResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal,
             const tnps::v1::RotateSubscriptionSecretRequest* in,
             tnps::v1::RotateSubscriptionSecretResponse* out) {
        std::vector<core::FieldViolation> violations;
        if (in->subscription_id() < 1) {
          violations.push_back({"subscription_id", "must be a subscription id"});
        }
        CheckAlertSecret(in->secret(), "secret", violations);
        const absl::Duration overlap = absl::Seconds(in->previous_secret_overlap().seconds()) +
                                       absl::Nanoseconds(in->previous_secret_overlap().nanos());
        if (overlap < absl::ZeroDuration() || overlap > kMaxSecretOverlap) {
          violations.push_back({"previous_secret_overlap", "must be 0 to 7 days"});
        }
        if (!violations.empty()) return InvalidArgument("", violations);
        absl::StatusOr<storage::AlertSubscription> s =
            store_.RotateSecret(principal.tenant_id, in->subscription_id(), in->secret(), overlap);
        if (!s.ok()) return ToGrpcStatus(s.status());
        SubscriptionToProto(*s, out->mutable_subscription());
        return grpc::Status::OK;
      });
}

}  // namespace tnps::services
