// A fixed-size pool of PostgreSQL connections with prepared statements, and
// the boundary where libpqxx exceptions become absl::Status.
#ifndef TNPS_STORAGE_CONNECTION_POOL_H_
#define TNPS_STORAGE_CONNECTION_POOL_H_

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pqxx {
class connection_base;
}

namespace tnps::storage {

struct ConnectionPoolOptions {
  // libpq connection string or URI.
  std::string database_url;
  int size = 8;
  // How long a caller waits for a free connection before UNAVAILABLE.
  absl::Duration acquire_timeout = absl::Seconds(5);
  // Server-side limit on one statement; DEADLINE_EXCEEDED past it.
  absl::Duration statement_timeout = absl::Seconds(30);
};

class ConnectionPool {
 public:
  explicit ConnectionPool(ConnectionPoolOptions options);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Registers a statement that every connection prepares when it opens.
  // Stores call this from their constructors, before serving.
  void Prepare(std::string name, std::string sql);

  // Runs `work` on a pooled connection. `work` opens its own transaction; it
  // is run again (up to 5 times in all) after a deadlock or serialization
  // failure, so it must start from scratch each time. Exceptions become a
  // status: a lost or refused connection is UNAVAILABLE, a statement timeout
  // DEADLINE_EXCEEDED, anything else INTERNAL.
  absl::Status Run(const std::function<void(pqxx::connection_base&)>& work);

  // OK if the database answers a trivial query.
  absl::Status Ping();

 private:
  struct Slot;
  absl::StatusOr<std::unique_ptr<Slot>> Acquire();
  void Release(std::unique_ptr<Slot> slot, bool broken);
  absl::StatusOr<std::unique_ptr<Slot>> Open();

  const ConnectionPoolOptions options_;
  absl::Mutex mu_;
  std::vector<std::pair<std::string, std::string>> statements_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Slot>> idle_ ABSL_GUARDED_BY(mu_);
  int open_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_CONNECTION_POOL_H_
