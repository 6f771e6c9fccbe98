// Database logins for BI tools: each reads the `reporting` views of one
// tenant and nothing else (migrations/0002_reporting.up.sql and 0009).
// Logins are created and dropped by the SECURITY DEFINER functions that
// `tnpsctl db-setup` installs (storage/database_setup.h), so the store runs
// as tnps_owner, which has no CREATEROLE.
#ifndef TNPS_STORAGE_REPORTING_ROLE_STORE_H_
#define TNPS_STORAGE_REPORTING_ROLE_STORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

struct ReportingRole {
  std::string role_name;
  // Shown once; PostgreSQL keeps only its SCRAM verifier.
  std::string password;
};

struct ReportingRoleLimits {
  // Sessions the login may hold at once.
  int connection_limit = 5;
  // Longest statement of its sessions.
  absl::Duration statement_timeout = absl::Seconds(30);
};

struct ReportingRoleInfo {
  std::string role_name;
  std::string tenant;
  absl::Time created_at;
};

class ReportingRoleStore {
 public:
  explicit ReportingRoleStore(ConnectionPool& pool);

  // Creates login `role_name` (tnps_bi_ and random hex when empty: names
  // are visible to every login of the cluster, so they should not name the
  // tenant) that may read the reporting views of `tenant_name`, in
  // read-only sessions within `limits`. INVALID_ARGUMENT for a name outside
  // tnps_bi_[a-z0-9_]{1,40} or limits outside 1–100 connections and
  // 100 ms–1 h, NOT_FOUND for an unknown tenant, ALREADY_EXISTS if the role
  // exists.
  absl::StatusOr<ReportingRole> Create(absl::string_view tenant_name, std::string role_name,
                                       const ReportingRoleLimits& limits = {});

  // Drops a login made by Create. NOT_FOUND for any other name.
  absl::Status Drop(const std::string& role_name);

  // The logins of `tenant_name` (every tenant's when empty), by name.
  absl::StatusOr<std::vector<ReportingRoleInfo>> List(absl::string_view tenant_name);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_REPORTING_ROLE_STORE_H_
