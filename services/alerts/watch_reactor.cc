// AlertService::WatchResponses: the changes an incremental export would
// return, round after round, as they are acknowledged.
//
// A round reads the changes by transactions after snapshot `since` and
// visible in snapshot `until` (storage::ResponseRecords::Export), in (xid,
// id) order; the next round starts from the last round's `until`. Every
// transaction that commits falls in exactly one round, so a watch that
// resumes from the token of the last message it received misses nothing
// and repeats nothing. Between rounds the watch waits on a gRPC alarm, so
// an idle watch holds no thread.
#include <grpcpp/alarm.h>

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/alert_filter.h"
#include "services/alerts/alert_requests.h"
#include "services/alerts/alert_service.h"
#include "services/common/grpc_status.h"
#include "services/common/paged_stream.h"
#include "services/common/wire_parse.h"
#include "services/responses/response_requests.h"
#include "storage/call_limits.h"

namespace tnps::services {

class AlertService::WatchReactor final : public PagedStream {
 public:
  WatchReactor(AlertService& service, grpc::CallbackServerContext* context,
               const grpc::ByteBuffer* request)
      : PagedStream(context, service.stalls_, service.deps_.reads,
                    service.options_.watch_stall_timeout,
                    "resume the watch with the last token received"),
        service_(service),
        request_bytes_(ByteBufferToString(*request)) {
    service_.deps_.authenticator.Authenticate(
        *context, core::Role::kRead,
        [this](absl::StatusOr<storage::Principal> principal) { OnAuthenticated(principal); });
  }

 private:
  // A pending alarm then fires with ok false, which finishes.
  void Cancelled() override { alarm_.Cancel(); }

  void Done() override {
    if (holds_slot_) service_.ReleaseWatchSlot(principal_.tenant_id);
  }

  void OnAuthenticated(const absl::StatusOr<storage::Principal>& principal) {
    if (!principal.ok()) {
      const grpc::Status refused = ToGrpcStatus(principal.status());
      service_.deps_.refusals.Finish(refused, [this, refused] { FinishOnce(refused); });
      return;
    }
    principal_ = *principal;
    if (std::optional<core::FieldViolation> v = ParseMessage(request_bytes_, request_)) {
      return FinishOnce(InvalidArgument("", {*v}));
    }
    std::vector<core::FieldViolation> violations;
    std::optional<core::AlertFilter> filter =
        MapAlertFilter(request_.filter(), "filter", violations);
    if (!request_.resume_token().empty()) {
      std::optional<WatchState> resumed = OpenWatchToken(principal_, request_);
      if (!resumed) {
        violations.push_back(
            {"resume_token", "is not a resume token of a watch with this filter (or was altered)"});
      } else {
        state_ = *std::move(resumed);
      }
    }
    if (!violations.empty()) return FinishOnce(InvalidArgument("", violations));
    filter_ = *std::move(filter);
    if (!service_.TakeWatchSlot(principal_.tenant_id)) {
      const grpc::Status busy(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              absl::StrCat("this server holds ", service_.options_.max_watches,
                                           " watches, ", service_.options_.max_watches_per_tenant,
                                           " per tenant; retry later with the last resume token"));
      service_.deps_.refusals.Finish(busy, [this, busy] { FinishOnce(busy); });
      return;
    }
    holds_slot_ = true;
    Fetch(principal_.tenant_id);
  }

  void ReadPage() override {
    storage::ScopedCallLimits limits({.cancellation = &cancellation()});
    storage::ResponseRecords& records = service_.deps_.records;
    if (state_.since.empty() || state_.until.empty()) {
      absl::StatusOr<std::string> snapshot = records.CurrentSnapshot();
      if (!snapshot.ok()) return FinishOnce(ToGrpcStatus(snapshot.status()));
      if (state_.since.empty()) {
        // A new watch: changes from now on, looked for after a pause.
        state_.since = *snapshot;
        return Deliver({}, Then::kWait);
      }
      state_.until = *snapshot;
    }
    absl::StatusOr<storage::ExportPage> page =
        records.Export(principal_.tenant_id,
                       {.kind = storage::ExportSince::Kind::kSnapshot, .snapshot = state_.since},
                       state_.until, state_.position, service_.options_.watch_page_rows);
    if (!page.ok()) return FinishOnce(ToGrpcStatus(page.status()));
    std::deque<grpc::ByteBuffer> messages;
    for (const storage::StoredResponse& r : page->responses) {
      state_.position = {storage::ExportPhase::kChanged, r.change_xid, r.response_id};
      if (!core::Matches(filter_, r.response)) continue;
      tnps::v1::WatchResponsesResponse message;
      StoredResponseToProto(principal_, r, message.mutable_response());
      message.set_resume_token(WatchToken(principal_, request_, state_));
      messages.push_back(MessageToByteBuffer(message));
    }
    // The round ends with its changes (removals are not watched); the next
    // one starts where it ended, after a pause.
    if (page->next.phase != storage::ExportPhase::kChanged) {
      state_ = {.since = state_.until, .until = ""};
      return Deliver(std::move(messages), Then::kWait);
    }
    Deliver(std::move(messages), Then::kFetch);
  }

  // Looks for changes again after the poll interval.
  void Wait() override {
    Ref();
    alarm_.Set(std::chrono::system_clock::now() +
                   absl::ToChronoMilliseconds(service_.options_.watch_poll_interval),
               [this](bool ok) {
                 if (ok) {
                   Fetch(principal_.tenant_id);
                 } else {
                   FinishOnce(grpc::Status::CANCELLED);
                 }
                 Unref();
               });
  }

  AlertService& service_;
  const std::string request_bytes_;
  tnps::v1::WatchResponsesRequest request_;
  storage::Principal principal_;
  core::AlertFilter filter_;
  // Touched by one step at a time: each step starts the next.
  WatchState state_;
  bool holds_slot_ = false;
  grpc::Alarm alarm_;
};

grpc::ServerWriteReactor<grpc::ByteBuffer>* AlertService::StartWatch(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return new WatchReactor(*this, context, request);
}

}  // namespace tnps::services
