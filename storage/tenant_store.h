// Tenants: the organisations whose responses tnps keeps apart.
#ifndef TNPS_STORAGE_TENANT_STORE_H_
#define TNPS_STORAGE_TENANT_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

struct Tenant {
  int64_t tenant_id = 0;
  std::string name;
  std::string time_zone;
};

class TenantStore {
 public:
  explicit TenantStore(ConnectionPool& pool);

  // ALREADY_EXISTS if the name is taken; INVALID_ARGUMENT for a bad name or
  // a time zone that either absl or PostgreSQL does not know.
  absl::StatusOr<Tenant> Create(absl::string_view name, absl::string_view time_zone);
  // NOT_FOUND if there is no such tenant.
  absl::StatusOr<Tenant> FindByName(absl::string_view name);
  absl::StatusOr<std::vector<Tenant>> List();

  // Rows of each table that belong to the tenant, by table name: what
  // Delete would remove. NOT_FOUND if there is no such tenant.
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Contents(absl::string_view name);

  // Removes the tenant and everything of it (responses, rollups, agents,
  // training records, keys, rate limits, BI logins) in one transaction,
  // and records the deletion, with the counts, in the audit trail (which
  // keeps the tenant's earlier events). Waits for writes of the tenant in
  // flight; writes that arrive meanwhile fail. Returns what Contents
  // returned. NOT_FOUND if there is no such tenant.
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Delete(absl::string_view name);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_TENANT_STORE_H_
