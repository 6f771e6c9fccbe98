#include "services/responses/response_service.h"

#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "core/role.h"
#include "services/common/grpc_status.h"
#include "services/common/paged_stream.h"
#include "services/common/proto_time.h"
#include "services/common/tenant_tokens.h"
#include "services/common/wire_parse.h"
#include "services/responses/response_requests.h"
#include "storage/call_limits.h"
#include "storage/retention.h"

namespace tnps::services {
namespace {

// How often stalled exports are looked for.
constexpr absl::Duration kStallSweepPeriod = absl::Seconds(1);

grpc::Status TooOld() {
  return grpc::Status(
      grpc::StatusCode::FAILED_PRECONDITION,
      absl::StrCat("erasures are kept for ", storage::kRemovalRecordDays,
                   " days and this export starts before that; run a full export (no "
                   "sync_token, no changed_since) and use its sync_token from then on"));
}

}  // namespace

// Streams an export a page at a time: a page is read on the read executor
// only once the client has taken every message of the previous one, so an
// export holds one page in memory whatever its size, and a slow client
// slows its own export only. The reactor lives until gRPC is done with it,
// no page is being read for it, and the sweeper is not looking at it
// (reference count).
class ResponseService::ExportReactor final : public PagedStream {
 public:
  ExportReactor(ResponseService& service, grpc::CallbackServerContext* context,
                const grpc::ByteBuffer* request)
      : PagedStream(context, service.stalls_, service.reads_, service.options_.export_stall_timeout,
                    "resume the export with the last cursor received"),
        service_(service),
        request_bytes_(ByteBufferToString(*request)) {
    service_.authenticator_.Authenticate(
        *context, core::Role::kRead,
        [this](absl::StatusOr<storage::Principal> principal) { OnAuthenticated(principal); });
  }

 private:
  void Done() override {
    if (holds_slot_) service_.open_exports_.fetch_sub(1);
  }

  void OnAuthenticated(const absl::StatusOr<storage::Principal>& principal) {
    if (!principal.ok()) {
      const grpc::Status refused = ToGrpcStatus(principal.status());
      service_.refusals_.Finish(refused, [this, refused] { FinishOnce(refused); });
      return;
    }
    principal_ = *principal;
    if (std::optional<core::FieldViolation> v = ParseMessage(request_bytes_, request_)) {
      return FinishOnce(InvalidArgument("", {*v}));
    }
    std::vector<core::FieldViolation> violations;
    ExportStart start = MapExportRequest(principal_, request_, absl::Now(), violations);
    if (!violations.empty()) return FinishOnce(InvalidArgument("", violations));
    if (start.too_old) return FinishOnce(TooOld());
    if (service_.open_exports_.fetch_add(1) >= service_.options_.max_exports) {
      service_.open_exports_.fetch_sub(1);
      const grpc::Status busy(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              absl::StrCat("this server runs ", service_.options_.max_exports,
                                           " exports at once; retry later"));
      service_.refusals_.Finish(busy, [this, busy] { FinishOnce(busy); });
      return;
    }
    holds_slot_ = true;
    state_ = *std::move(start.state);
    Fetch(principal_.tenant_id);
  }

  void ReadPage() override {
    storage::ScopedCallLimits limits(
        {.deadline = absl::FromChrono(context()->deadline()), .cancellation = &cancellation()});
    if (state_.until_snapshot.empty()) {
      absl::StatusOr<std::string> snapshot = service_.records_.CurrentSnapshot();
      if (!snapshot.ok()) return FinishOnce(ToGrpcStatus(snapshot.status()));
      state_.until_snapshot = *snapshot;
      state_.began = absl::Now();
    }
    absl::StatusOr<storage::ExportPage> page =
        service_.records_.Export(principal_.tenant_id, state_.since, state_.until_snapshot,
                                 state_.position, service_.options_.export_page_rows);
    if (!page.ok()) return FinishOnce(ToGrpcStatus(page.status()));
    const bool done = page->next.phase == storage::ExportPhase::kDone;
    Deliver(Package(*page), done ? Then::kFinish : Then::kFetch);
  }

  // Turns a page into messages of about export_message_bytes, each with the
  // cursor that resumes after it.
  std::deque<grpc::ByteBuffer> Package(const storage::ExportPage& page) {
    std::deque<grpc::ByteBuffer> messages;
    tnps::v1::ExportResponsesResponse message;
    size_t bytes = 0;
    const auto flush = [&](const storage::ExportPosition& after) {
      state_.position = after;
      message.set_cursor(ExportCursor(principal_, request_, state_));
      messages.push_back(MessageToByteBuffer(message));
      message.Clear();
      bytes = 0;
    };
    const size_t rows = page.responses.size() + page.removals.size();
    for (size_t i = 0; i < page.responses.size(); ++i) {
      const storage::StoredResponse& r = page.responses[i];
      tnps::v1::StoredResponse* out = message.add_responses();
      StoredResponseToProto(principal_, r, out);
      bytes += out->ByteSizeLong();
      if (bytes >= service_.options_.export_message_bytes && i + 1 < rows) {
        flush({page.phase, r.change_xid.empty() ? "0" : r.change_xid, r.response_id});
      }
    }
    for (size_t i = 0; i < page.removals.size(); ++i) {
      const storage::Removal& r = page.removals[i];
      tnps::v1::RemovedResponse* out = message.add_removals();
      out->set_response_id(PublicResponseId(principal_, r.response_id));
      TimeToProto(r.removed_at, out->mutable_remove_time());
      out->set_reason(r.reason);
      bytes += out->ByteSizeLong();
      if (bytes >= service_.options_.export_message_bytes && i + 1 < rows) {
        flush({page.phase, r.xid, r.response_id});
      }
    }
    if (rows > 0) flush(page.next);
    state_.position = page.next;
    if (page.next.phase == storage::ExportPhase::kDone) {
      message.set_cursor(ExportCursor(principal_, request_, state_));
      message.set_sync_token(SyncToken(principal_, state_));
      messages.push_back(MessageToByteBuffer(message));
    }
    return messages;
  }

  ResponseService& service_;
  const std::string request_bytes_;
  tnps::v1::ExportResponsesRequest request_;
  storage::Principal principal_;
  // Touched by one step at a time: each step starts the next.
  ExportState state_;
  bool holds_slot_ = false;
};

ResponseService::ResponseService(storage::ResponseRecords& records, CallExecutor& calls,
                                 Authenticator& authenticator, FairExecutor& reads,
                                 RefusalDelay& refusals, ResponseServiceOptions options)
    : records_(records),
      calls_(calls),
      authenticator_(authenticator),
      reads_(reads),
      refusals_(refusals),
      options_(options),
      stalls_(kStallSweepPeriod) {}

ResponseService::~ResponseService() = default;

grpc::Status ResponseService::HandleGetResponse(const storage::Principal& principal,
                                                const tnps::v1::GetResponseRequest* request,
                                                tnps::v1::GetResponseResponse* response) {
  std::vector<core::FieldViolation> violations;
  CheckExternalId(request->external_id(), "external_id", violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<storage::StoredResponse> stored =
      records_.Get(principal.tenant_id, request->external_id());
  if (!stored.ok()) return ToGrpcStatus(stored.status());
  StoredResponseToProto(principal, *stored, response->mutable_response());
  return grpc::Status::OK;
}

grpc::Status ResponseService::HandleListResponses(const storage::Principal& principal,
                                                  const tnps::v1::ListResponsesRequest* request,
                                                  tnps::v1::ListResponsesResponse* response) {
  if (!request->customer_ref().empty() && !core::RoleGrants(principal.role, core::Role::kAdmin)) {
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "listing by customer_ref needs an API key with role admin");
  }
  std::vector<core::FieldViolation> violations;
  std::optional<storage::ResponseListQuery> query = MapListRequest(principal, *request, violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<std::vector<storage::StoredResponse>> rows = records_.List(*query);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  for (const storage::StoredResponse& r : *rows) {
    StoredResponseToProto(principal, r, response->add_responses());
  }
  if (static_cast<int>(rows->size()) == query->limit) {
    const storage::StoredResponse& last = rows->back();
    response->set_next_page_token(
        ListPageToken(principal, *request, {*last.response.interaction_time, last.response_id}));
  }
  return grpc::Status::OK;
}

grpc::Status ResponseService::HandleAmendResponse(const storage::Principal& principal,
                                                  const tnps::v1::AmendResponseRequest* request,
                                                  tnps::v1::AmendResponseResponse* response) {
  std::vector<core::FieldViolation> violations;
  std::optional<storage::AmendRequest> amend = MapAmendRequest(principal, *request, violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<storage::AmendResult> result = records_.Amend(*amend);
  if (!result.ok()) return ToGrpcStatus(result.status());
  StoredResponseToProto(principal, result->response, response->mutable_response());
  response->set_changed(result->changed);
  return grpc::Status::OK;
}

grpc::Status ResponseService::HandleEraseResponses(const storage::Principal& principal,
                                                   const tnps::v1::EraseResponsesRequest* request,
                                                   tnps::v1::EraseResponsesResponse* response) {
  std::vector<core::FieldViolation> violations;
  std::optional<storage::EraseRequest> erase = MapEraseRequest(principal, *request, violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<storage::EraseResult> result = records_.Erase(*erase);
  if (!result.ok()) return ToGrpcStatus(result.status());
  response->set_erased_count(result->erased);
  response->set_not_found_count(result->not_found);
  return grpc::Status::OK;
}

grpc::Status ResponseService::HandleSetAgentExclusion(
    const storage::Principal& principal, const tnps::v1::SetAgentExclusionRequest* request,
    tnps::v1::SetAgentExclusionResponse* response) {
  std::vector<core::FieldViolation> violations;
  CheckExternalId(request->agent_id(), "agent_id", violations);
  CheckReason(request->reason(), request->excluded(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<bool> changed = records_.SetAgentExclusion(
      principal.tenant_id, request->agent_id(), request->excluded(), request->reason());
  if (!changed.ok()) return ToGrpcStatus(changed.status());
  response->set_changed(*changed);
  return grpc::Status::OK;
}

grpc::Status ResponseService::HandleSetResponseExclusion(
    const storage::Principal& principal, const tnps::v1::SetResponseExclusionRequest* request,
    tnps::v1::SetResponseExclusionResponse* response) {
  std::vector<core::FieldViolation> violations;
  if (request->external_ids_size() == 0) {
    violations.push_back({"external_ids", "is required"});
  } else if (static_cast<size_t>(request->external_ids_size()) > kMaxExternalIdsPerCall) {
    violations.push_back(
        {"external_ids", absl::StrCat("has ", request->external_ids_size(), " ids; the limit is ",
                                      kMaxExternalIdsPerCall)});
  } else {
    for (int i = 0; i < request->external_ids_size(); ++i) {
      CheckExternalId(request->external_ids(i), absl::StrCat("external_ids[", i, "]"), violations);
    }
  }
  CheckReason(request->reason(), request->excluded(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  const std::vector<std::string> ids(request->external_ids().begin(),
                                     request->external_ids().end());
  absl::StatusOr<storage::ResponseExclusionResult> result = records_.SetResponseExclusion(
      principal.tenant_id, ids, request->excluded(), request->reason());
  if (!result.ok()) return ToGrpcStatus(result.status());
  response->set_changed_count(result->changed);
  response->set_not_found_count(result->not_found);
  return grpc::Status::OK;
}

grpc::Status ResponseService::HandleListAgentExclusions(
    const storage::Principal& principal, const tnps::v1::ListAgentExclusionsRequest* request,
    tnps::v1::ListAgentExclusionsResponse* response) {
  std::vector<core::FieldViolation> violations;
  if (request->page_size() < 0 || request->page_size() > kMaxResponsePageSize) {
    violations.push_back({"page_size", absl::StrCat("must be 1..", kMaxResponsePageSize,
                                                    ", or 0 for ", kDefaultResponsePageSize)});
  }
  std::string after;
  if (!request->page_token().empty()) {
    std::optional<std::string> opened = AgentPageAfter(principal, request->page_token());
    if (!opened) {
      violations.push_back({"page_token", "is not a token this service issued to this tenant"});
    } else {
      after = *std::move(opened);
    }
  }
  if (!violations.empty()) return InvalidArgument("", violations);
  const int limit = request->page_size() == 0 ? kDefaultResponsePageSize : request->page_size();
  absl::StatusOr<std::vector<storage::AgentExclusion>> rows =
      records_.ListAgentExclusions(principal.tenant_id, after, limit);
  if (!rows.ok()) return ToGrpcStatus(rows.status());
  for (const storage::AgentExclusion& e : *rows) {
    tnps::v1::AgentExclusion* out = response->add_exclusions();
    out->set_agent_id(e.agent_id);
    out->set_reason(e.reason);
    TimeToProto(e.excluded_at, out->mutable_exclude_time());
    out->set_excluded_by(e.excluded_by);
  }
  if (static_cast<int>(rows->size()) == limit) {
    response->set_next_page_token(AgentPageToken(principal, rows->back().agent_id));
  }
  return grpc::Status::OK;
}

grpc::ServerUnaryReactor* ResponseService::GetResponse(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::GetResponseRequest, tnps::v1::GetResponseResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::GetResponseRequest* in,
             tnps::v1::GetResponseResponse* out) { return HandleGetResponse(principal, in, out); });
}

grpc::ServerUnaryReactor* ResponseService::ListResponses(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::ListResponsesRequest, tnps::v1::ListResponsesResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::ListResponsesRequest* in,
             tnps::v1::ListResponsesResponse* out) {
        return HandleListResponses(principal, in, out);
      });
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* ResponseService::ExportResponses(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) {
  return new ExportReactor(*this, context, request);
}

grpc::ServerUnaryReactor* ResponseService::AmendResponse(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::AmendResponseRequest, tnps::v1::AmendResponseResponse>(
      context, core::Role::kIngest, request, response,
      [this](const storage::Principal& principal, const tnps::v1::AmendResponseRequest* in,
             tnps::v1::AmendResponseResponse* out) {
        return HandleAmendResponse(principal, in, out);
      });
}

grpc::ServerUnaryReactor* ResponseService::EraseResponses(grpc::CallbackServerContext* context,
                                                          const grpc::ByteBuffer* request,
                                                          grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::EraseResponsesRequest, tnps::v1::EraseResponsesResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::EraseResponsesRequest* in,
             tnps::v1::EraseResponsesResponse* out) {
        return HandleEraseResponses(principal, in, out);
      });
}

grpc::ServerUnaryReactor* ResponseService::SetAgentExclusion(grpc::CallbackServerContext* context,
                                                             const grpc::ByteBuffer* request,
                                                             grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::SetAgentExclusionRequest, tnps::v1::SetAgentExclusionResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal, const tnps::v1::SetAgentExclusionRequest* in,
             tnps::v1::SetAgentExclusionResponse* out) {
        return HandleSetAgentExclusion(principal, in, out);
      });
}

grpc::ServerUnaryReactor* ResponseService::SetResponseExclusion(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return calls_
      .RunRaw<tnps::v1::SetResponseExclusionRequest, tnps::v1::SetResponseExclusionResponse>(
          context, core::Role::kAdmin, request, response,
          [this](const storage::Principal& principal,
                 const tnps::v1::SetResponseExclusionRequest* in,
                 tnps::v1::SetResponseExclusionResponse* out) {
            return HandleSetResponseExclusion(principal, in, out);
          });
}

grpc::ServerUnaryReactor* ResponseService::ListAgentExclusions(grpc::CallbackServerContext* context,
                                                               const grpc::ByteBuffer* request,
                                                               grpc::ByteBuffer* response) {
  return calls_.RunRaw<tnps::v1::ListAgentExclusionsRequest, tnps::v1::ListAgentExclusionsResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::ListAgentExclusionsRequest* in,
             tnps::v1::ListAgentExclusionsResponse* out) {
        return HandleListAgentExclusions(principal, in, out);
      });
}

}  // namespace tnps::services
