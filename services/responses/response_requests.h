// The checks and mappings of ResponseService requests: stored responses to
// the wire, list filters, amendments, erasures, and the tokens (page
// tokens, export cursors, sync tokens) that only the tenant they were
// issued to can use, only for the query they were issued for.
#ifndef TNPS_SERVICES_RESPONSES_RESPONSE_REQUESTS_H_
#define TNPS_SERVICES_RESPONSES_RESPONSE_REQUESTS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/field_violation.h"
#include "storage/api_key_store.h"
#include "storage/response_records.h"
#include "tnps/v1/response_service.pb.h"

namespace tnps::services {

inline constexpr int kDefaultResponsePageSize = 100;
inline constexpr int kMaxResponsePageSize = 1000;
inline constexpr size_t kMaxExternalIdsPerCall = 1000;
inline constexpr size_t kMaxReasonCodePoints = 200;

// `stored` on the wire; customer_ref only for a caller with role admin.
void StoredResponseToProto(const storage::Principal& principal,
                           const storage::StoredResponse& stored, tnps::v1::StoredResponse* out);

// Appends a violation if `external_id` is missing or not an identifier.
void CheckExternalId(const std::string& external_id, const std::string& field,
                     std::vector<core::FieldViolation>& violations);

// A ListResponses request as a storage query (without its paging fields
// checked: see ListPageAfter).
std::optional<storage::ResponseListQuery> MapListRequest(
    const storage::Principal& principal, const tnps::v1::ListResponsesRequest& request,
    std::vector<core::FieldViolation>& violations);

std::string ListPageToken(const storage::Principal& principal,
                          const tnps::v1::ListResponsesRequest& request,
                          const storage::ListPosition& after);
// The position a page token continues after; nullopt if it is not a token
// issued to this tenant for this query.
std::optional<storage::ListPosition> ListPageAfter(const storage::Principal& principal,
                                                   const tnps::v1::ListResponsesRequest& request);

// An AmendResponse request, checked: only comment and attributes may be
// amended, only the fields the mask names may be set.
std::optional<storage::AmendRequest> MapAmendRequest(const storage::Principal& principal,
                                                     const tnps::v1::AmendResponseRequest& request,
                                                     std::vector<core::FieldViolation>& violations);

std::optional<storage::EraseRequest> MapEraseRequest(const storage::Principal& principal,
                                                     const tnps::v1::EraseResponsesRequest& request,
                                                     std::vector<core::FieldViolation>& violations);

// Appends a violation for a reason that is required (when excluding) and
// missing, or too long.
void CheckReason(const std::string& reason, bool required,
                 std::vector<core::FieldViolation>& violations);

// Where an export stands: what it returns and up to which snapshot, and
// the position after the last row sent.
struct ExportState {
  storage::ExportSince since;
  std::string until_snapshot;
  // When the export began (the sync token's time).
  absl::Time began;
  storage::ExportPosition position;
};

// An export request's window (sync_token or changed_since) and, when it
// resumes, its state from the cursor; `until_snapshot` and `began` are left
// empty for a new export. FAILED_PRECONDITION comes back as `too_old` when
// the token or time is older than the removal records kept.
struct ExportStart {
  std::optional<ExportState> state;
  bool resumed = false;
  bool too_old = false;
};
ExportStart MapExportRequest(const storage::Principal& principal,
                             const tnps::v1::ExportResponsesRequest& request, absl::Time now,
                             std::vector<core::FieldViolation>& violations);

std::string ExportCursor(const storage::Principal& principal,
                         const tnps::v1::ExportResponsesRequest& request, const ExportState& state);
std::string SyncToken(const storage::Principal& principal, const ExportState& state);

std::string AgentPageToken(const storage::Principal& principal, const std::string& last_agent);
std::optional<std::string> AgentPageAfter(const storage::Principal& principal,
                                          const std::string& token);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_RESPONSES_RESPONSE_REQUESTS_H_
