// Which tnps-server replicas are running against the database: each renews
// a row of server_replicas with an expiry, so that the replicas agree on
// how many of them share each API key's rate limits.
#ifndef TNPS_STORAGE_REPLICA_REGISTRY_H_
#define TNPS_STORAGE_REPLICA_REGISTRY_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

class ReplicaRegistry {
 public:
  explicit ReplicaRegistry(ConnectionPool& pool);

  // Marks `replica_id` alive until `ttl` from now (the database's clock),
  // deletes the rows that expired, and returns how many replicas are alive,
  // this one included.
  absl::StatusOr<int> Renew(const std::string& replica_id, absl::Duration ttl);
  // Removes `replica_id`, so that the others count one fewer at once.
  absl::Status Leave(const std::string& replica_id);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_REPLICA_REGISTRY_H_
