// Stored responses as records a person has rights over: read back, amended,
// exported, erased and excluded from analysis (docs/data-rights.md). Every
// change that affects what the rollups count moves the counts in the same
// transaction (storage/response_counting.h), so analytics and training
// figures always equal a recount of what remains.
#ifndef TNPS_STORAGE_RESPONSE_RECORDS_H_
#define TNPS_STORAGE_RESPONSE_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/survey_response.h"
#include "storage/connection_pool.h"
#include "storage/rollup_reader.h"

namespace pqxx {
class transaction_base;
}

namespace tnps::storage {

struct StoredResponse {
  int64_t response_id = 0;
  core::SurveyResponse response;
  int64_t version = 0;
  absl::Time received_at;
  absl::Time changed_at;
  std::optional<absl::Time> redacted_at;
  // By its own exclusion or its agent's, and the reason given.
  bool excluded = false;
  std::string exclusion_reason;
  // The transaction that last changed it, as text; empty for responses
  // stored before changes were tracked. Export cursors carry it.
  std::string change_xid;
};

enum class ExclusionFilter { kAny, kIncluded, kExcludedItself };

// Where a listing continues: after this response in the listing's order.
struct ListPosition {
  absl::Time interaction_time;
  int64_t response_id = 0;
};

struct ResponseListQuery {
  // Tenant, local days (required), agents, teams, channels, cohorts.
  RollupFilter filter;
  int min_score = 0;
  int max_score = 10;
  // Only this customer's responses, when not empty.
  std::string customer_ref;
  // response_time in [response_from, response_before).
  std::optional<absl::Time> response_from;
  std::optional<absl::Time> response_before;
  bool newest_first = true;
  ExclusionFilter exclusion = ExclusionFilter::kAny;
  std::optional<ListPosition> after;
  int limit = 100;
};

// Which changes an export returns.
struct ExportSince {
  enum class Kind {
    // Every stored response; no removals.
    kEverything,
    // Changes by transactions not visible in `snapshot` (a previous
    // export's), and removals likewise.
    kSnapshot,
    // Responses whose change time is at or after `time`, and removals.
    kTime,
  };
  Kind kind = Kind::kEverything;
  // Default initializers, so that designated initializers may leave any out
  // (-Wmissing-field-initializers).
  std::string snapshot = {};
  absl::Time time = {};
};

// An export reads in phases, each in a fixed order: responses stored before
// changes were tracked (by id), then the others by (change xid, id), then
// removals by (xid, id).
enum class ExportPhase { kUntracked = 0, kChanged = 1, kRemovals = 2, kDone = 3 };

struct ExportPosition {
  ExportPhase phase = ExportPhase::kUntracked;
  // The last row returned in this phase; "0" and 0 before the first.
  std::string xid = "0";
  int64_t id = 0;
};

struct Removal {
  int64_t response_id = 0;
  absl::Time removed_at;
  std::string reason;
  std::string xid;
};

struct ExportPage {
  ExportPhase phase = ExportPhase::kUntracked;
  // Rows of this page's phase, in order (only one of the two is filled).
  std::vector<StoredResponse> responses;
  std::vector<Removal> removals;
  // Where the export goes on after the last row of this page.
  ExportPosition next;
};

struct AmendRequest {
  int64_t tenant_id = 0;
  std::string external_id = {};
  std::optional<std::string> comment = {};
  // Sorted by key, keys unique.
  std::optional<std::vector<std::pair<std::string, std::string>>> attributes = {};
  std::optional<int64_t> expected_version = {};
};

struct AmendResult {
  StoredResponse response;
  bool changed = false;
};

struct EraseRequest {
  int64_t tenant_id = 0;
  // Exactly one of the two.
  std::string customer_ref = {};
  std::vector<std::string> external_ids = {};
  bool suppress_resubmission = false;
  // For the audit trail.
  std::string request_reference = {};
};

struct EraseResult {
  int64_t erased = 0;
  int64_t not_found = 0;
};

struct AgentExclusion {
  std::string agent_id;
  std::string reason;
  absl::Time excluded_at;
  std::string excluded_by;
};

struct ResponseExclusionResult {
  int64_t changed = 0;
  int64_t not_found = 0;
};

// The responses among `ids` (tenant, response id) that are still stored,
// read in `txn`; for the alert outbox, which delivers them.
std::vector<StoredResponse> StoredResponsesById(
    pqxx::transaction_base& txn, const std::vector<std::pair<int64_t, int64_t>>& ids);

class ResponseRecords {
 public:
  explicit ResponseRecords(ConnectionPool& pool);

  // NotFound if the tenant has no response with this external_id.
  absl::StatusOr<StoredResponse> Get(int64_t tenant_id, const std::string& external_id);

  // NotFound if a cohort of the filter does not exist in its tenant.
  absl::StatusOr<std::vector<StoredResponse>> List(const ResponseListQuery& query);

  // The snapshot an export reads up to (pg_current_snapshot as text):
  // changes committed later are left to the next incremental export.
  absl::StatusOr<std::string> CurrentSnapshot();

  // Up to `limit` rows of the export of `tenant_id` from `from`: the
  // responses of the current phase changed by transactions visible in
  // `until_snapshot`. An empty page with next.phase kDone ends the export.
  absl::StatusOr<ExportPage> Export(int64_t tenant_id, const ExportSince& since,
                                    const std::string& until_snapshot, const ExportPosition& from,
                                    int limit);

  // NotFound if there is no such response; Aborted if expected_version is
  // set, differs, and the amendment is not already in place.
  absl::StatusOr<AmendResult> Amend(const AmendRequest& request);

  // Deletes the responses, records a tombstone for each and the erasure in
  // the audit trail (counts only), and corrects every rollup, in one
  // transaction. Idempotent.
  absl::StatusOr<EraseResult> Erase(const EraseRequest& request);

  // Excludes (with `reason`) or includes an agent; returns whether
  // anything changed. NotFound for an agent the tenant does not have.
  absl::StatusOr<bool> SetAgentExclusion(int64_t tenant_id, const std::string& agent_id,
                                         bool excluded, const std::string& reason);
  absl::StatusOr<ResponseExclusionResult> SetResponseExclusion(
      int64_t tenant_id, const std::vector<std::string>& external_ids, bool excluded,
      const std::string& reason);
  // Ordered by agent id, after `after`.
  absl::StatusOr<std::vector<AgentExclusion>> ListAgentExclusions(int64_t tenant_id,
                                                                  const std::string& after,
                                                                  int limit);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_RESPONSE_RECORDS_H_
