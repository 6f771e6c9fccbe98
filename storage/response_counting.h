// Which responses the rollups count, and the statements that keep them
// right when that changes (migrations/0013_data_rights.up.sql).
//
// A response is counted in the rollups (through rollup_changes) when
// neither it nor its agent is excluded from analysis; in
// excluded_agent_counts when only its agent is; nowhere when it is
// excluded itself. Whatever stores, deletes, excludes or includes responses
// moves their counts in the same statement, under the tenant's counting
// lock: shared for writes that follow an agent's exclusion, exclusive for
// changing it.
#ifndef TNPS_STORAGE_RESPONSE_COUNTING_H_
#define TNPS_STORAGE_RESPONSE_COUNTING_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace pqxx {
class transaction_base;
}

namespace tnps::storage {

// Takes the counting lock of every tenant in `$1` (a bigint[] parameter),
// shared, in tenant order. A statement of its own: the statements after it
// see every exclusion committed before the lock was granted.
inline constexpr char kShareCountingLocksSql[] = R"sql(
SELECT pg_advisory_xact_lock_shared(1953394803, mod(t, 2147483647)::integer)
FROM (SELECT DISTINCT t FROM unnest($1::bigint[]) AS u(t) ORDER BY t) AS s)sql";

// Takes the counting lock of `tenant_id` shared or exclusive.
void LockCounting(pqxx::transaction_base& txn, int64_t tenant_id, bool exclusive);

// Takes the attribute lock of `tenant_id` ("tnpa" in ASCII): exclusive for
// a back-fill batch or a dimension's removal, shared for every statement
// other than ingest that moves counts (erasure, retention, exclusions,
// amendments, redaction), so that none of them decides whether a response is
// covered for a key while the back-fill covers it
// (migrations/0020_attribute_dimensions.up.sql). Ingest never takes it: its
// responses are covered from the start. Taken after the counting lock.
void LockAttributes(pqxx::transaction_base& txn, int64_t tenant_id, bool exclusive);

// CTEs (to follow others in a WITH list, each starting with ",") that add
// `sign` (+1 or -1) times the counts of the responses in CTE `source`
// (columns tenant_id, response_id, local_day, agent_id, team_id, channel,
// score, attributes) where they are counted: the rollups' change rows for
// agents not excluded, excluded_agent_counts for the others, and the
// attribute change rows of each declared key they have and are covered for.
// `source` must hold only responses that are not excluded themselves. The
// CTEs' names start with `source`.
std::string MoveCountsCtes(absl::string_view source, int sign);

// The attribute part alone: CTEs that add `sign` times the counts of the
// responses in CTE `source` (the columns above and `agent_excluded`) to
// the attribute change rows, for the declared keys they have and are
// covered for, where their agent is not excluded. For statements that
// change attributes but not whether a response counts (amendments,
// redaction).
std::string MoveAttributeCountsCtes(absl::string_view source, int sign);

// CTEs (each starting with ",") to follow a CTE `gone` of deleted responses
// (columns tenant_id, response_id, local_day, agent_id, team_id, channel,
// score, attributes, excluded): their counts taken away where they were counted, and a
// removal record with `reason` ("erasure" or "retention") for each, for
// incremental exports.
std::string RemovedResponsesCtes(absl::string_view reason);

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_RESPONSE_COUNTING_H_
