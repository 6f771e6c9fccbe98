// libFuzzer target: ResponseService request decoding and validation, and
// the tenant-bound tokens. The first byte picks the RPC; the rest is its
// request message as gRPC would decode it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz/request_bytes.h"
#include "services/responses/response_requests.h"
#include "tnps/v1/response_service.pb.h"

namespace {

using tnps::core::FieldViolation;
using tnps::fuzz::Parse;

const tnps::storage::Principal& Caller() {
  static const auto* principal = [] {
    auto* p = new tnps::storage::Principal;
    p->tenant_id = 7;
    p->time_zone = "Europe/Zurich";
    p->role = tnps::core::Role::kAdmin;
    p->response_id_key = std::string(16, '\x2a');
    return p;
  }();
  return *principal;
}

void CheckList(const tnps::v1::ListResponsesRequest& request) {
  std::vector<FieldViolation> violations;
  auto query = tnps::services::MapListRequest(Caller(), request, violations);
  if ((query != std::nullopt) != violations.empty()) std::abort();
  if (!query) return;
  // A token issued for an accepted query opens again to the same position.
  const tnps::storage::ListPosition at{absl::FromUnixSeconds(1'700'000'000), 42};
  tnps::v1::ListResponsesRequest next = request;
  next.set_page_token(tnps::services::ListPageToken(Caller(), request, at));
  std::optional<tnps::storage::ListPosition> opened =
      tnps::services::ListPageAfter(Caller(), next);
  if (!opened || opened->response_id != 42) std::abort();
}

void CheckExport(const tnps::v1::ExportResponsesRequest& request) {
  std::vector<FieldViolation> violations;
  tnps::services::ExportStart start = tnps::services::MapExportRequest(
      Caller(), request, absl::FromUnixSeconds(1'800'000'000), violations);
  if ((start.state != std::nullopt) != violations.empty()) std::abort();
  if (!start.state) return;
  // The cursor of an accepted export resumes it where it was.
  start.state->until_snapshot = "100:105:101,103";
  start.state->began = absl::FromUnixSeconds(1'799'999'000);
  start.state->position = {tnps::storage::ExportPhase::kChanged, "104", 9};
  tnps::v1::ExportResponsesRequest resume = request;
  resume.set_cursor(tnps::services::ExportCursor(Caller(), request, *start.state));
  std::vector<FieldViolation> again;
  tnps::services::ExportStart resumed = tnps::services::MapExportRequest(
      Caller(), resume, absl::FromUnixSeconds(1'800'000'000), again);
  if (!again.empty() || !resumed.resumed || resumed.state->position.id != 9) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t rpc = data[0] % 6;
  ++data;
  --size;
  std::vector<FieldViolation> violations;
  switch (rpc) {
    case 0: {
      tnps::v1::GetResponseRequest request;
      if (Parse(data, size, request)) {
        tnps::services::CheckExternalId(request.external_id(), "external_id", violations);
      }
      break;
    }
    case 1: {
      tnps::v1::ListResponsesRequest request;
      if (Parse(data, size, request)) CheckList(request);
      break;
    }
    case 2: {
      tnps::v1::AmendResponseRequest request;
      if (!Parse(data, size, request)) return 0;
      auto amend = tnps::services::MapAmendRequest(Caller(), request, violations);
      if ((amend != std::nullopt) != violations.empty()) std::abort();
      // An accepted amendment changes at least one of the two fields.
      if (amend && !amend->comment && !amend->attributes) std::abort();
      break;
    }
    case 3: {
      tnps::v1::EraseResponsesRequest request;
      if (!Parse(data, size, request)) return 0;
      auto erase = tnps::services::MapEraseRequest(Caller(), request, violations);
      if ((erase != std::nullopt) != violations.empty()) std::abort();
      // Never "erase everything".
      if (erase && erase->customer_ref.empty() == erase->external_ids.empty()) std::abort();
      break;
    }
    case 4: {
      tnps::v1::ExportResponsesRequest request;
      if (Parse(data, size, request)) CheckExport(request);
      break;
    }
    case 5: {
      tnps::v1::SetAgentExclusionRequest request;
      if (!Parse(data, size, request)) return 0;
      tnps::services::CheckExternalId(request.agent_id(), "agent_id", violations);
      tnps::services::CheckReason(request.reason(), request.excluded(), violations);
      break;
    }
  }
  return 0;
}
