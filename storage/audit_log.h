// The audit trail (migrations/0011_audit_trail.up.sql): who did which
// administrative action to which tenant, appended in the action's own
// transaction and chained by hash.
//
// The actor is the caller of the thread's current work: a handler installs
// "key:<key id>" with ScopedAuditActor (services/common/call_executor.h
// does it for every call), tnpsctl "tnpsctl:<OS user>" for its process.
#ifndef TNPS_STORAGE_AUDIT_LOG_H_
#define TNPS_STORAGE_AUDIT_LOG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace pqxx {
class transaction_base;
}

namespace tnps::storage {

// Sets the actor of this thread's audit events until it goes out of scope.
class ScopedAuditActor {
 public:
  explicit ScopedAuditActor(std::string actor);
  ~ScopedAuditActor();
  ScopedAuditActor(const ScopedAuditActor&) = delete;
  ScopedAuditActor& operator=(const ScopedAuditActor&) = delete;

 private:
  std::string previous_;
};

// The actor of this thread's work; "unknown" outside a ScopedAuditActor.
const std::string& CurrentAuditActor();

struct AuditEntry {
  // The tenant concerned; nullopt for actions on the whole system.
  std::optional<int64_t> tenant_id;
  // What was done, as noun.verb: "key.create", "cohort.enroll", ...
  std::string action;
  // What it was done to: a key id, a tenant or role name, a cohort id.
  std::string target;
  // A JSON object summarising the change (never a secret).
  std::string summary_json = "{}";
};

// Appends `entry` as the current actor, in `txn`: the event commits or rolls
// back with the action.
void AppendAudit(pqxx::transaction_base& txn, const AuditEntry& entry);

struct AuditEvent {
  int64_t seq = 0;
  absl::Time occurred_at;
  std::optional<int64_t> tenant_id;
  std::string tenant_name;  // empty if the tenant is gone or there is none
  std::string actor, action, target, summary_json;
};

struct AuditVerification {
  int64_t events = 0;
  // The last event's number and hash (hex): record them elsewhere to detect
  // a rewrite of the whole chain from some event on.
  int64_t head_seq = 0;
  std::string head_hash;
  // The first event whose hash or link does not match, if any, and why.
  std::optional<int64_t> first_broken;
  std::string problem;
};

class AuditStore {
 public:
  explicit AuditStore(ConnectionPool& pool);

  // Events of `tenant_name` (every tenant's and the system's when empty)
  // since `since`, oldest first, at most `limit`. NOT_FOUND for an unknown
  // tenant.
  absl::StatusOr<std::vector<AuditEvent>> List(absl::string_view tenant_name, absl::Time since,
                                               int64_t limit);

  // Recomputes the chain here (not in the database) from the first event.
  absl::StatusOr<AuditVerification> Verify();

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_AUDIT_LOG_H_
