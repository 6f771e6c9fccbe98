#include "services/alerts/alert_service.h"

#include "absl/strings/str_cat.h"
#include "services/alerts/alert_payload.h"
#include "services/alerts/alert_requests.h"
#include "services/common/grpc_status.h"
#include "services/common/tenant_tokens.h"

namespace tnps::services {
namespace {

grpc::Status CheckSubscriptionId(int64_t id) {
  if (id < 1) return InvalidArgument("", {{"subscription_id", "must be a subscription id"}});
  return grpc::Status::OK;
}

}  // namespace

AlertService::AlertService(AlertServiceDeps deps, AlertServiceOptions options)
    : deps_(deps),
      store_(deps.store),
      calls_(deps.calls),
      options_(options),
      stalls_(std::max(absl::Seconds(1), options.watch_stall_timeout / 4)) {}

AlertService::~AlertService() = default;

bool AlertService::TakeWatchSlot(int64_t tenant_id) {
  absl::MutexLock lock(&watches_mu_);
  int& tenant_watches = open_watches_by_tenant_[tenant_id];
  if (open_watches_ >= options_.max_watches || tenant_watches >= options_.max_watches_per_tenant) {
    if (tenant_watches == 0) open_watches_by_tenant_.erase(tenant_id);
    return false;
  }
  ++open_watches_;
  ++tenant_watches;
  return true;
}

void AlertService::ReleaseWatchSlot(int64_t tenant_id) {
  absl::MutexLock lock(&watches_mu_);
  --open_watches_;
  if (--open_watches_by_tenant_[tenant_id] == 0) open_watches_by_tenant_.erase(tenant_id);
}

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

grpc::ServerUnaryReactor* AlertService::ListDeliveries(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::ListDeliveriesRequest, tnps::v1::ListDeliveriesResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::ListDeliveriesRequest* in,
             tnps::v1::ListDeliveriesResponse* out) {
        std::vector<core::FieldViolation> violations;
        if (in->subscription_id() < 0) {
          violations.push_back({"subscription_id", "must be a subscription id, or 0 for all"});
        }
        std::string state;
        switch (in->state()) {
          case tnps::v1::DELIVERY_STATE_UNSPECIFIED:
            break;
          case tnps::v1::DELIVERY_STATE_PENDING:
            state = storage::kDeliveryPending;
            break;
          case tnps::v1::DELIVERY_STATE_DELIVERED:
            state = storage::kDeliveryDelivered;
            break;
          case tnps::v1::DELIVERY_STATE_DEAD:
            state = storage::kDeliveryDead;
            break;
          case tnps::v1::DELIVERY_STATE_GONE:
            state = storage::kDeliveryGone;
            break;
          default:
            violations.push_back({"state", absl::StrCat("has unknown value ", in->state())});
        }
        if (in->page_size() < 0 || in->page_size() > kMaxDeliveriesPageSize) {
          violations.push_back({"page_size", absl::StrCat("must be 0..", kMaxDeliveriesPageSize)});
        }
        std::optional<int64_t> after;
        if (!in->page_token().empty()) {
          after = DeliveriesPageAfter(principal, *in);
          if (!after) {
            violations.push_back(
                {"page_token", "is not a page token of this query (or was altered)"});
          }
        }
        if (!violations.empty()) return InvalidArgument("", violations);
        const int limit = in->page_size() == 0 ? kDefaultDeliveriesPageSize : in->page_size();
        absl::StatusOr<std::vector<storage::DeliveryRecord>> listed =
            deps_.outbox.ListDeliveries({.tenant_id = principal.tenant_id,
                                         .subscription_id = in->subscription_id(),
                                         .state = state,
                                         .before_seq = after.value_or(0),
                                         .limit = limit + 1});
        if (!listed.ok()) return ToGrpcStatus(listed.status());
        const bool more = static_cast<int>(listed->size()) > limit;
        if (more) listed->pop_back();
        for (const auto& d : *listed) DeliveryToProto(principal, d, out->add_deliveries());
        if (more) {
          out->set_next_page_token(DeliveriesPageToken(principal, *in, listed->back().event_seq));
        }
        return grpc::Status::OK;
      });
}

grpc::ServerUnaryReactor* AlertService::RedeliverEvent(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::RedeliverEventRequest, tnps::v1::RedeliverEventResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::RedeliverEventRequest* in,
             tnps::v1::RedeliverEventResponse* out) {
        if (in->event_id().empty()) {
          return InvalidArgument("", {{"event_id", "is required"}});
        }
        // An id that is not one of the tenant's names no event.
        std::optional<int64_t> event_seq = EventSeqOf(principal, in->event_id());
        if (!event_seq) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such alert event");
        absl::StatusOr<storage::DeliveryRecord> record =
            deps_.outbox.Redeliver(principal.tenant_id, *event_seq);
        if (!record.ok()) return ToGrpcStatus(record.status());
        DeliveryToProto(principal, *record, out->mutable_delivery());
        return grpc::Status::OK;
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* AlertService::WatchResponses(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return StartWatch(context, request);
}

}  // namespace tnps::services
