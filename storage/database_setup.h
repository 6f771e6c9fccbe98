// What a PostgreSQL superuser sets up once per cluster and database, before
// the first migration (`tnpsctl db-setup`; docs/security.md):
//
// - tnps_owner (login) owns the database and every table; migrations and
//   tnpsctl's administrative commands connect as it.
// - tnps_app (login) is what tnps-server connects as: the table privileges
//   the migrations grant it, nothing else. It cannot create roles or
//   schemas, own or alter tables, or run programs.
// - tnps_reporting (no login) holds SELECT on the reporting views; every BI
//   login is a member of it.
// - tnps_role_admin (no login, CREATEROLE) owns the two functions in schema
//   tnps_admin that create and drop BI logins, which only tnps_owner may
//   call. Nobody logs in as it or is a member of it: on PostgreSQL 15,
//   CREATEROLE is enough to grant oneself pg_execute_server_program.
//
// Every step is idempotent and re-asserts the roles' attributes, so running
// it again repairs drift.
#ifndef TNPS_STORAGE_DATABASE_SETUP_H_
#define TNPS_STORAGE_DATABASE_SETUP_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tnps::storage {

inline constexpr char kOwnerRole[] = "tnps_owner";
inline constexpr char kAppRole[] = "tnps_app";
inline constexpr char kReportingGroup[] = "tnps_reporting";
inline constexpr char kRoleAdmin[] = "tnps_role_admin";

struct DatabaseSetupOptions {
  std::string database = "tnps";
  // New passwords for the two login roles; empty leaves a password as it
  // is. Sent to PostgreSQL only as SCRAM-SHA-256 verifiers.
  std::string owner_password = {};
  std::string app_password = {};
};

// `superuser_url` connects as a superuser (its dbname is replaced). Creates
// or repairs the roles, creates the database owned by tnps_owner if it is
// missing, and sets the database's privileges and the tnps_admin functions.
// FAILED_PRECONDITION when the database exists with another owner.
absl::Status SetUpDatabase(const std::string& superuser_url, const DatabaseSetupOptions& options);

// The SCRAM-SHA-256 verifier of `password` as PostgreSQL stores it
// (RFC 5802 and 7677): "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>",
// each part base64. `password` must be printable ASCII (SASLprep leaves
// such a password unchanged).
std::string ScramSha256Verifier(absl::string_view password, absl::string_view salt,
                                int iterations = 4096);

// INVALID_ARGUMENT unless `password` is 16 to 200 printable ASCII
// characters.
absl::Status CheckPassword(absl::string_view password);

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_DATABASE_SETUP_H_
