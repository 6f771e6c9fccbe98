// Survey responses, their agents on first sight and their change rows (the
// rollups' input, storage/rollup_compactor.h): written together, in one
// transaction, idempotently by (tenant, external_id), under the tenants'
// counting locks (storage/response_counting.h).
#ifndef TNPS_STORAGE_RESPONSE_STORE_H_
#define TNPS_STORAGE_RESPONSE_STORE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "core/consistency_token.h"
#include "core/survey_response.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

// A validated, normalized response and the tenant it belongs to. The store
// does not own `response`; it must outlive the Write call.
struct TenantResponse {
  int64_t tenant_id;
  const core::SurveyResponse* response;
};

enum class WriteOutcome {
  // Stored by this write.
  kAccepted,
  // Already stored with the same payload; nothing changed.
  kDuplicate,
  // The external_id is stored with a different payload; nothing changed.
  kConflict,
  // The external_id was erased with suppression; nothing stored.
  kSuppressed,
};

struct WriteResult {
  WriteOutcome outcome;
  // The stored response's id (for a conflict, the one already stored); 0
  // when suppressed.
  int64_t response_id;
  // For a conflict, the payload fields (as named in tnps.v1.SurveyResponse)
  // whose stored value differs.
  std::vector<std::string> differing_fields;
  // The primary's WAL position once the write's transaction committed: a
  // standby that has replayed it shows the result (core/consistency_token.h).
  core::WalPosition visible_from = 0;
};

class ResponseStore {
 public:
  explicit ResponseStore(ConnectionPool& pool);

  // Stores `items` (of any tenants) in one transaction with their agents and
  // change rows; one result per item, in order. Items repeating an external_id
  // within the call are judged against the first. Returns only after the
  // transaction committed.
  absl::StatusOr<std::vector<WriteResult>> Write(absl::Span<const TenantResponse> items);

 private:
  ConnectionPool& pool_;
  // Agents known to exist (agents are never deleted but with their tenant,
  // whose id is never reused), so that a write asks PostgreSQL to create
  // only the others. Bounded: emptied when full.
  absl::Mutex agents_mu_;
  absl::flat_hash_set<std::pair<int64_t, std::string>> known_agents_ ABSL_GUARDED_BY(agents_mu_);
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_RESPONSE_STORE_H_
