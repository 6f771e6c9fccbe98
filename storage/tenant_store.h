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

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_TENANT_STORE_H_
