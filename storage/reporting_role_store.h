// Database login roles for BI tools: each reads the `reporting` views of
// one tenant and nothing else (migrations/0002_reporting.up.sql).
#ifndef TNPS_STORAGE_REPORTING_ROLE_STORE_H_
#define TNPS_STORAGE_REPORTING_ROLE_STORE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

struct ReportingRole {
  std::string role_name;
  // Shown once; PostgreSQL keeps only its SCRAM verifier.
  std::string password;
};

class ReportingRoleStore {
 public:
  explicit ReportingRoleStore(ConnectionPool& pool);

  // Creates LOGIN role `role_name` (tnps_bi_<tenant> when empty) that may
  // read the reporting views of `tenant_name`, including views added by
  // later migrations. Needs a database user with CREATEROLE. NOT_FOUND for
  // an unknown tenant, ALREADY_EXISTS if the role exists.
  absl::StatusOr<ReportingRole> Create(absl::string_view tenant_name, std::string role_name);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_REPORTING_ROLE_STORE_H_
