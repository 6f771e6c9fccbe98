// tnpsctl: the operator's command line for tnps.
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/time.h"
#include "services/common/env_default.h"
#include "services/common/flag_help.h"
#include "storage/audit_log.h"
#include "tools/commands.h"

using tnps::services::EnvDefault;

ABSL_FLAG(std::string, database_url, "",
          "libpq connection string of the tnps database, for migrate/tenant/key (env "
          "TNPS_DATABASE_URL)");
ABSL_FLAG(std::string, server, EnvDefault("TNPS_SERVER", "127.0.0.1:50051"),
          "tnps-server address, for import (env TNPS_SERVER)");
ABSL_FLAG(std::string, database_url_file, EnvDefault("TNPS_DATABASE_URL_FILE", ""),
          "file holding --database_url (env TNPS_DATABASE_URL_FILE)");
ABSL_FLAG(std::string, api_key, "", "API key for commands that call the server (env TNPS_API_KEY)");
ABSL_FLAG(std::string, api_key_file, EnvDefault("TNPS_API_KEY_FILE", ""),
          "file holding --api_key, so that the key is on no command line (env TNPS_API_KEY_FILE)");
ABSL_FLAG(std::string, tls_ca_file, EnvDefault("TNPS_TLS_CA_FILE", ""),
          "PEM CA certificate(s) to verify a TLS server with; unset: plaintext (env "
          "TNPS_TLS_CA_FILE)");
ABSL_FLAG(std::string, tls_client_cert_file, EnvDefault("TNPS_TLS_CLIENT_CERT_FILE", ""),
          "PEM client certificate for a server that requires mutual TLS (env "
          "TNPS_TLS_CLIENT_CERT_FILE)");
ABSL_FLAG(std::string, tls_client_key_file, EnvDefault("TNPS_TLS_CLIENT_KEY_FILE", ""),
          "PEM private key of --tls_client_cert_file (env TNPS_TLS_CLIENT_KEY_FILE)");
ABSL_FLAG(std::string, time_zone, "UTC", "IANA time zone of a new tenant");
ABSL_FLAG(std::string, tenant, "", "tenant name");
ABSL_FLAG(std::string, confirm, "",
          "tenant delete: the tenant's name again, to confirm deleting all of its data");
ABSL_FLAG(std::string, role, "", "role of a new key: ingest, read or admin");
ABSL_FLAG(std::string, expires_in, "",
          "key create / key rotate: the new key expires after this long (e.g. 90d, 720h); "
          "unset: never");
ABSL_FLAG(absl::Duration, grace, absl::Hours(24),
          "key rotate: how long the old key stays valid beside the new one");
ABSL_FLAG(std::string, input, "", "did: the CSV file");
ABSL_FLAG(std::string, unit, "", "did: the column naming the unit (e.g. agent)");
ABSL_FLAG(std::string, period, "", "did: the column with the period number");
ABSL_FLAG(std::string, group, "", "did: the column with the first treated period (0 = never)");
ABSL_FLAG(std::string, outcome, "", "did: the outcome column");
ABSL_FLAG(std::string, control, "not-yet-treated",
          "did: control group, not-yet-treated or never-treated");
ABSL_FLAG(std::string, design, "auto",
          "did: panel (one row per unit and period; groups weighted by units), "
          "repeated-cross-section (any rows, clustered by unit; groups weighted by rows), or "
          "auto (panel when no unit has two rows in a period)");
ABSL_FLAG(std::string, format, "",
          "did: output format, table (default) or json; report: html (default) or pdf (printed "
          "by headless Chromium, --chromium)");
ABSL_FLAG(double, calls_per_second, 0, "rate-limit set: calls per second per API key");
ABSL_FLAG(int64_t, call_burst, 0, "rate-limit set: calls a key may make at once");
ABSL_FLAG(double, rows_per_second, 0, "rate-limit set: responses per second per API key");
ABSL_FLAG(int64_t, row_burst, 0, "rate-limit set: responses a key may submit at once");
ABSL_FLAG(std::string, role_name, "",
          "reporting-role create: name of the new login (tnps_bi_...; default tnps_bi_ and random "
          "hex)");
ABSL_FLAG(int, connection_limit, 5, "reporting-role create: sessions the login may hold at once");
ABSL_FLAG(absl::Duration, statement_timeout, absl::Seconds(30),
          "reporting-role create: longest statement of the login's sessions");
ABSL_FLAG(std::string, database, "tnps", "db-setup: the database to create or set up");
ABSL_FLAG(absl::Duration, since, absl::InfiniteDuration(),
          "audit list: only events this recent (e.g. 24h); default: all");
ABSL_FLAG(int64_t, limit, 1000, "audit list: at most this many events");
ABSL_FLAG(std::string, owner_password_file, "",
          "db-setup: file holding a new password for tnps_owner (unset: leave it)");
ABSL_FLAG(std::string, app_password_file, "",
          "db-setup: file holding a new password for tnps_app (unset: leave it)");

namespace {

constexpr char kUsage[] = R"(tnpsctl COMMAND [ARGS] [FLAGS]

  db-setup [--database NAME] [--owner-password-file F] [--app-password-file F]
                                             as a PostgreSQL superuser: the roles
                                             tnps_owner, tnps_app, tnps_reporting and the
                                             database (docs/security.md)
  migrate [up | status | down VERSION]       apply or inspect schema migrations
  tenant create NAME [--time-zone ZONE]      create a tenant (default zone UTC)
  tenant list
  tenant delete NAME [--confirm NAME]        show what a tenant holds; with --confirm,
                                             delete all of it (keys, data, BI logins)
  key create --tenant NAME --role ROLE [--expires-in 90d]
                                             issue an API key (printed once)
  key rotate KEY_ID [--grace 24h] [--expires-in 90d]
                                             a new key of the same tenant and role
                                             (printed once); the old one expires
                                             after the grace period
  key revoke KEY_ID
  key list --tenant NAME                     created, last used, expiry, state
  import FILE.csv [--server HOST:PORT] [--delimiter ,|;|tab]
                                             stream a CRM export (docs/import.md)
  reporting-role create --tenant NAME [--role-name tnps_bi_X] [--connection-limit N]
      [--statement-timeout D]                a SQL login for BI tools (docs/reporting.md)
  reporting-role drop NAME | reporting-role list [--tenant NAME]
  audit list [--tenant NAME] [--since 24h] [--limit N]
                                             administrative actions, oldest first
  audit verify                               check the audit trail's hash chain
  rate-limit set --tenant NAME --calls-per-second X --call-burst N
      --rows-per-second X --row-burst N      limits per API key of the tenant
  rate-limit show --tenant NAME | rate-limit clear --tenant NAME
                                             (docs/operations.md)
  attributes declare KEY --tenant NAME | attributes list --tenant NAME |
  attributes remove KEY --tenant NAME        response attributes (journey touchpoints)
                                             as dimensions, at most 8 (docs/api.md)
  erase --tenant NAME (--customer-ref REF | EXTERNAL_ID...) [--suppress]
      [--reference TICKET]                   delete a customer's responses and correct
                                             every rollup (docs/data-rights.md)
  exclude agent AGENT_ID --tenant NAME --reason TEXT
  exclude responses EXTERNAL_ID... --tenant NAME --reason TEXT
  include agent AGENT_ID | include responses EXTERNAL_ID... --tenant NAME
  exclusions list --tenant NAME              leave test traffic or agents out of
                                             every figure, without deleting
  retention set --tenant NAME [--redact-after 180d [--redact-attributes]]
      [--delete-after 730d]                  redact or delete old responses
  retention show --tenant NAME | retention clear --tenant NAME
  did --input F.csv --unit C --period C --group C --outcome C [--control
      not-yet-treated|never-treated] [--design auto|panel|repeated-cross-section]
      [--format table|json]
                                             staggered DiD (docs/training-impact.md)
  demo [--seed N] [--agents N] [--days N] [--responses-per-day N] [--effect X]
       [--ramp-days N] [--agents-per-wave N] [--end-date YYYY-MM-DD]
                                             generate a tenant with a known training
                                             effect through the API (admin key)
  report --program NAME --out FILE.html [--format html|pdf] [--value-per-point X]
      [--min-event-agents N]                 the training-impact report for HR (read key)

import, demo and report call the server: over TLS with --tls-ca-file (and
--tls-client-cert-file, --tls-client-key-file for mutual TLS).

Flags may also be written with dashes (--time-zone) and set through
TNPS_DATABASE_URL, TNPS_SERVER, TNPS_API_KEY, TNPS_TLS_CA_FILE,
TNPS_TLS_CLIENT_CERT_FILE and TNPS_TLS_CLIENT_KEY_FILE. Secrets can come
from files instead: --database-url-file and --api-key-file
(TNPS_DATABASE_URL_FILE, TNPS_API_KEY_FILE).)";

// Abseil flag names cannot contain '-'; accept --time-zone for --time_zone.
std::vector<char*> DashesToUnderscores(int argc, char** argv, std::vector<std::string>& storage) {
  storage.assign(argv, argv + argc);
  for (std::string& arg : storage) {
    if (arg == "--") break;
    if (arg.rfind("--", 0) != 0) continue;
    const size_t end = arg.find('=');
    for (size_t i = 2; i < std::min(end, arg.size()); ++i) {
      if (arg[i] == '-') arg[i] = '_';
    }
  }
  std::vector<char*> out;
  for (std::string& arg : storage) out.push_back(arg.data());
  return out;
}

}  // namespace

namespace {

// Flags every command that calls the server or the database may take.
bool IsConnectionFlag(const absl::CommandLineFlag& flag) {
  for (absl::string_view name :
       {"database_url", "database_url_file", "server", "api_key", "api_key_file", "tls_ca_file",
        "tls_client_cert_file", "tls_client_key_file"}) {
    if (flag.Name() == name) return true;
  }
  return false;
}

// tnpsctl --help, or COMMAND --help: the command's usage lines, the flags
// they name or whose help names the command first, and the connection
// flags.
int PrintHelp(const std::vector<std::string>& args) {
  std::string command;
  for (const std::string& a : args) {
    if (!a.empty() && a[0] != '-' && a != "help") {
      command = a;
      break;
    }
  }
  const std::string usage = tnps::services::CommandUsage(kUsage, command);
  if (command.empty() || usage.empty()) {
    std::printf("%s\n\ntnpsctl COMMAND --help shows a command's flags.\n", kUsage);
    return command.empty() ? 0 : tnps::tools::kExitUsage;
  }
  std::printf("tnpsctl %s:\n\n%s\nFlags of %s:\n%s\nConnection:\n%s", command.c_str(),
              usage.c_str(), command.c_str(),
              tnps::services::FlagList(
                  {"/tools/"}, true,
                  [&](const absl::CommandLineFlag& flag) {
                    const std::string help = flag.Help();
                    const std::string dashed = absl::StrReplaceAll(flag.Name(), {{"_", "-"}});
                    return absl::StrContains(usage, "--" + dashed + " ") ||
                           absl::StartsWith(help, command + " ") ||
                           absl::StartsWith(help, command + ":") ||
                           absl::StartsWith(help, command + "/");
                  })
                  .c_str(),
              tnps::services::FlagList({"/tools/"}, true, IsConnectionFlag).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(kUsage);
  if (tnps::services::AsksForHelp(std::vector<std::string>(argv + 1, argv + argc))) {
    return PrintHelp(std::vector<std::string>(argv + 1, argv + argc));
  }
  std::vector<std::string> storage;
  std::vector<char*> args = DashesToUnderscores(argc, argv, storage);
  std::vector<char*> positional =
      absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  for (absl::Status loaded : {tnps::services::LoadSecret(FLAGS_database_url, "TNPS_DATABASE_URL",
                                                         absl::GetFlag(FLAGS_database_url_file)),
                              tnps::services::LoadSecret(FLAGS_api_key, "TNPS_API_KEY",
                                                         absl::GetFlag(FLAGS_api_key_file))}) {
    if (!loaded.ok()) {
      std::fprintf(stderr, "tnpsctl: %s\n", std::string(loaded.message()).c_str());
      return tnps::tools::kExitUsage;
    }
  }
  if (positional.size() < 2) {
    std::fprintf(stderr, "%s\n", kUsage);
    return tnps::tools::kExitUsage;
  }
  const std::string command = positional[1];
  const tnps::tools::Args rest(positional.begin() + 2, positional.end());
  // The audit trail names the operator: the OS user running tnpsctl.
  const passwd* user = getpwuid(geteuid());
  tnps::storage::ScopedAuditActor actor(
      absl::StrCat("tnpsctl:", user != nullptr ? user->pw_name : absl::StrCat("uid ", geteuid())));
  if (command == "db-setup") return tnps::tools::RunDbSetup(rest);
  if (command == "audit") return tnps::tools::RunAudit(rest);
  if (command == "migrate") return tnps::tools::RunMigrate(rest);
  if (command == "tenant") return tnps::tools::RunTenant(rest);
  if (command == "key") return tnps::tools::RunKey(rest);
  if (command == "import") return tnps::tools::RunImport(rest);
  if (command == "reporting-role") return tnps::tools::RunReportingRole(rest);
  if (command == "rate-limit") return tnps::tools::RunRateLimit(rest);
  if (command == "attributes") return tnps::tools::RunAttributes(rest);
  if (command == "erase") return tnps::tools::RunErase(rest);
  if (command == "exclude" || command == "include" || command == "exclusions") {
    return tnps::tools::RunExclusion(command, rest);
  }
  if (command == "retention") return tnps::tools::RunRetention(rest);
  if (command == "did") return tnps::tools::RunDid(rest);
  if (command == "demo") return tnps::tools::RunDemo(rest);
  if (command == "report") return tnps::tools::RunReport(rest);
  std::fprintf(stderr, "tnpsctl: unknown command %s\n\n%s\n", command.c_str(), kUsage);
  return tnps::tools::kExitUsage;
}
