#include "storage/database_setup.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/pg_error.h"
#include "storage/sha256.h"

namespace tnps::storage {
namespace {

// Serializes setups on one cluster (concurrent test binaries create the
// same roles). "tnpsroles" in ASCII, truncated.
constexpr int64_t kSetupLock = 0x746e7073726f6c;

struct RoleSpec {
  const char* name;
  const char* attributes;
};

// Every attribute is spelled out, so that re-running the setup resets any
// that were changed by hand.
constexpr RoleSpec kRoles[] = {
    {kOwnerRole, "LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"},
    {kAppRole, "LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"},
    {kReportingGroup,
     "NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"},
    {kRoleAdmin, "NOLOGIN NOINHERIT NOSUPERUSER NOCREATEDB CREATEROLE NOREPLICATION NOBYPASSRLS"},
};

// The only code that runs with CREATEROLE. A BI login: a name in its own
// namespace, a SCRAM verifier (never a password), read-only sessions with a
// statement timeout and a connection limit, and membership of
// tnps_reporting, which is all it can read.
constexpr char kCreateReportingRoleSql[] = R"sql(
CREATE OR REPLACE FUNCTION tnps_admin.create_reporting_role(
    role_name text, password_verifier text, connection_limit integer,
    statement_timeout_ms integer)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF role_name IS NULL OR role_name !~ '^tnps_bi_[a-z0-9_]{1,40}$' THEN
    RAISE EXCEPTION 'a reporting role name is tnps_bi_ and 1 to 40 of a-z, 0-9 and _'
      USING ERRCODE = '22023';
  END IF;
  IF password_verifier IS NULL OR password_verifier !~ '^SCRAM-SHA-256\$[0-9]+:' THEN
    RAISE EXCEPTION 'a reporting role needs a SCRAM-SHA-256 verifier' USING ERRCODE = '22023';
  END IF;
  IF connection_limit IS NULL OR connection_limit NOT BETWEEN 1 AND 100 THEN
    RAISE EXCEPTION 'connection limit outside 1 to 100' USING ERRCODE = '22023';
  END IF;
  IF statement_timeout_ms IS NULL OR statement_timeout_ms NOT BETWEEN 100 AND 3600000 THEN
    RAISE EXCEPTION 'statement timeout outside 100 ms to 1 h' USING ERRCODE = '22023';
  END IF;
  EXECUTE format('CREATE ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE '
                 'NOREPLICATION NOBYPASSRLS CONNECTION LIMIT %s PASSWORD %L IN ROLE tnps_reporting',
                 role_name, connection_limit, password_verifier);
  EXECUTE format('ALTER ROLE %I SET statement_timeout = %L', role_name,
                 statement_timeout_ms || 'ms');
  EXECUTE format('ALTER ROLE %I SET idle_in_transaction_session_timeout = %L', role_name, '60s');
  EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', role_name);
END
$fn$)sql";

// Drops only members of tnps_reporting in the BI namespace.
constexpr char kDropReportingRoleSql[] = R"sql(
CREATE OR REPLACE FUNCTION tnps_admin.drop_reporting_role(role_name text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF role_name IS NULL OR role_name !~ '^tnps_bi_[a-z0-9_]{1,40}$' OR NOT EXISTS (
      SELECT 1 FROM pg_auth_members m
      JOIN pg_roles member ON member.oid = m.member
      JOIN pg_roles grp ON grp.oid = m.roleid
      WHERE member.rolname = role_name AND grp.rolname = 'tnps_reporting') THEN
    RAISE EXCEPTION 'no reporting role %', role_name USING ERRCODE = '42704';
  END IF;
  EXECUTE format('DROP ROLE %I', role_name);
END
$fn$)sql";

bool RoleExists(pqxx::transaction_base& txn, const char* name) {
  return txn.exec_params1("SELECT count(*) FROM pg_roles WHERE rolname = $1", name)[0].as<int>() >
         0;
}

void SetUpRoles(pqxx::connection& conn, const DatabaseSetupOptions& options) {
  pqxx::work txn(conn);
  txn.exec_params("SELECT pg_advisory_xact_lock($1)", kSetupLock);
  for (const RoleSpec& role : kRoles) {
    const std::string name = txn.quote_name(role.name);
    if (!RoleExists(txn, role.name)) txn.exec0(absl::StrCat("CREATE ROLE ", name));
    txn.exec0(absl::StrCat("ALTER ROLE ", name, " ", role.attributes));
  }
  // Nobody may act as the role administrator, and the two logins hold no
  // role but their own (no pg_execute_server_program, no pg_read_server_files).
  for (const char* role : {kRoleAdmin, kOwnerRole, kAppRole}) {
    const pqxx::result grants = txn.exec_params(
        "SELECT grp.rolname, member.rolname FROM pg_auth_members m "
        "JOIN pg_roles grp ON grp.oid = m.roleid JOIN pg_roles member ON member.oid = m.member "
        "WHERE grp.rolname = $1 OR (member.rolname = $1 AND $1 <> $2)",
        role, kRoleAdmin);
    for (const auto& row : grants) {
      txn.exec0(absl::StrCat("REVOKE ", txn.quote_name(row[0].c_str()), " FROM ",
                             txn.quote_name(row[1].c_str())));
    }
  }
  for (const auto& [role, password] :
       {std::pair{kOwnerRole, &options.owner_password}, {kAppRole, &options.app_password}}) {
    if (password->empty()) continue;
    txn.exec0(absl::StrCat("ALTER ROLE ", txn.quote_name(role), " PASSWORD ",
                           txn.quote(ScramSha256Verifier(*password, RandomBytes(16)))));
  }
  txn.commit();
}

absl::Status CreateDatabase(pqxx::connection& conn, const std::string& database) {
  pqxx::nontransaction txn(conn);
  const pqxx::result owner = txn.exec_params(
      "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", database);
  if (owner.empty()) {
    // CREATE DATABASE cannot run in a transaction block.
    txn.exec0(absl::StrCat("CREATE DATABASE ", txn.quote_name(database), " OWNER ", kOwnerRole));
    return absl::OkStatus();
  }
  if (owner[0][0].as<std::string>() != kOwnerRole) {
    return absl::FailedPreconditionError(
        absl::StrCat("database ", database, " is owned by ", owner[0][0].as<std::string>(),
                     ", not ", kOwnerRole, ": in it, run REASSIGN OWNED BY ",
                     owner[0][0].as<std::string>(), " TO ", kOwnerRole, " and ALTER DATABASE ",
                     database, " OWNER TO ", kOwnerRole, " as a superuser (docs/security.md)"));
  }
  return absl::OkStatus();
}

void SetUpInDatabase(pqxx::connection& conn, const std::string& database) {
  pqxx::work txn(conn);
  const std::string db = txn.quote_name(database);
  // Only the tnps roles connect; nobody else creates anything in public.
  txn.exec0(absl::StrCat("REVOKE ALL ON DATABASE ", db, " FROM PUBLIC"));
  txn.exec0(
      absl::StrCat("GRANT CONNECT ON DATABASE ", db, " TO ", kAppRole, ", ", kReportingGroup));
  txn.exec0("REVOKE ALL ON SCHEMA public FROM PUBLIC");
  txn.exec0(absl::StrCat("GRANT USAGE ON SCHEMA public TO ", kAppRole));
  txn.exec0(absl::StrCat("CREATE SCHEMA IF NOT EXISTS tnps_admin AUTHORIZATION ", kRoleAdmin));
  txn.exec0(absl::StrCat("ALTER SCHEMA tnps_admin OWNER TO ", kRoleAdmin));
  txn.exec0("REVOKE ALL ON SCHEMA tnps_admin FROM PUBLIC");
  txn.exec0(absl::StrCat("GRANT USAGE ON SCHEMA tnps_admin TO ", kOwnerRole));
  txn.exec0(kCreateReportingRoleSql);
  txn.exec0(kDropReportingRoleSql);
  for (const char* function : {"tnps_admin.create_reporting_role(text, text, integer, integer)",
                               "tnps_admin.drop_reporting_role(text)"}) {
    txn.exec0(absl::StrCat("ALTER FUNCTION ", function, " OWNER TO ", kRoleAdmin));
    txn.exec0(absl::StrCat("REVOKE ALL ON FUNCTION ", function, " FROM PUBLIC"));
    txn.exec0(absl::StrCat("GRANT EXECUTE ON FUNCTION ", function, " TO ", kOwnerRole));
  }
  txn.commit();
}

}  // namespace

absl::Status SetUpDatabase(const std::string& superuser_url, const DatabaseSetupOptions& options) {
  for (const std::string* password : {&options.owner_password, &options.app_password}) {
    if (password->empty()) continue;
    if (absl::Status ok = CheckPassword(*password); !ok.ok()) return ok;
  }
  try {
    {
      pqxx::connection conn(absl::StrCat(superuser_url, " dbname=postgres"));
      if (!pqxx::nontransaction(conn)
               .exec1("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0]
               .as<bool>()) {
        return absl::PermissionDeniedError(
            "db-setup needs a PostgreSQL superuser's connection (--database_url)");
      }
      SetUpRoles(conn, options);
      if (absl::Status created = CreateDatabase(conn, options.database); !created.ok()) {
        return created;
      }
    }
    pqxx::connection conn(absl::StrCat(superuser_url, " dbname=", options.database));
    SetUpInDatabase(conn, options.database);
    return absl::OkStatus();
  } catch (const std::exception&) {
    return ClassifyCurrentException().status;
  }
}

std::string ScramSha256Verifier(absl::string_view password, absl::string_view salt,
                                int iterations) {
  unsigned char salted[SHA256_DIGEST_LENGTH];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, EVP_sha256(), sizeof(salted),
                    salted);
  const auto hmac = [&](absl::string_view text) {
    std::string out(SHA256_DIGEST_LENGTH, '\0');
    unsigned int length = 0;
    HMAC(EVP_sha256(), salted, sizeof(salted), reinterpret_cast<const unsigned char*>(text.data()),
         text.size(), reinterpret_cast<unsigned char*>(out.data()), &length);
    return out;
  };
  const std::string client_key = hmac("Client Key");
  const std::string server_key = hmac("Server Key");
  return absl::StrCat("SCRAM-SHA-256$", iterations, ":", absl::Base64Escape(salt), "$",
                      absl::Base64Escape(Sha256(client_key)), ":", absl::Base64Escape(server_key));
}

absl::Status CheckPassword(absl::string_view password) {
  if (password.size() < 16 || password.size() > 200) {
    return absl::InvalidArgumentError("a password has 16 to 200 characters");
  }
  for (char c : password) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError("a password is printable ASCII without spaces");
    }
  }
  return absl::OkStatus();
}

}  // namespace tnps::storage
