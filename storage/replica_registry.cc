#include "storage/replica_registry.h"

#include <pqxx/pqxx>

namespace tnps::storage {
namespace {

constexpr char kRenew[] = "replicas_renew";
// The CTEs see the table as it was, so the count leaves out the rows they
// delete or renew by its conditions, and adds this replica.
constexpr char kRenewSql[] = R"sql(
WITH expired AS (
  DELETE FROM server_replicas WHERE expires_at < now() AND replica_id <> $1
), renewed AS (
  INSERT INTO server_replicas (replica_id, expires_at)
  VALUES ($1, now() + $2 * interval '1 millisecond')
  ON CONFLICT (replica_id) DO UPDATE SET seen_at = now(), expires_at = EXCLUDED.expires_at
)
SELECT 1 + count(*) FROM server_replicas WHERE expires_at >= now() AND replica_id <> $1)sql";

constexpr char kLeave[] = "replicas_leave";
constexpr char kLeaveSql[] = "DELETE FROM server_replicas WHERE replica_id = $1";

}  // namespace

ReplicaRegistry::ReplicaRegistry(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kRenew, kRenewSql);
  pool_.Prepare(kLeave, kLeaveSql);
}

absl::StatusOr<int> ReplicaRegistry::Renew(const std::string& replica_id, absl::Duration ttl) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    const int alive =
        txn.exec_prepared1(kRenew, replica_id, absl::ToInt64Milliseconds(ttl))[0].as<int>();
    txn.commit();
    return alive;
  });
}

absl::Status ReplicaRegistry::Leave(const std::string& replica_id) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    txn.exec_prepared0(kLeave, replica_id);
    txn.commit();
    return absl::OkStatus();
  });
}

}  // namespace tnps::storage
