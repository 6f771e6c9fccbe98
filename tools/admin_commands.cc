// tnpsctl migrate / tenant / key / reporting-role / rate-limit / attributes: operator commands that
// talk to PostgreSQL directly. They bootstrap the system (a key is needed before any RPC can be
// called), so they use storage/ rather than the gRPC API.
#include <cstdio>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "core/response_validation.h"
#include "core/role.h"
#include "core/text_rules.h"
#include "services/common/env_default.h"
#include "storage/api_key_store.h"
#include "storage/attribute_dimensions.h"
#include "storage/audit_log.h"
#include "storage/connection_pool.h"
#include "storage/database_setup.h"
#include "storage/migration_runner.h"
#include "storage/rate_limit_store.h"
#include "storage/reporting_role_store.h"
#include "storage/tenant_store.h"
#include "tools/commands.h"

ABSL_DECLARE_FLAG(std::string, database_url);
ABSL_DECLARE_FLAG(std::string, time_zone);
ABSL_DECLARE_FLAG(std::string, tenant);
ABSL_DECLARE_FLAG(std::string, confirm);
ABSL_DECLARE_FLAG(std::string, role);
ABSL_DECLARE_FLAG(std::string, expires_in);
ABSL_DECLARE_FLAG(absl::Duration, grace);
ABSL_DECLARE_FLAG(std::string, role_name);
ABSL_DECLARE_FLAG(int, connection_limit);
ABSL_DECLARE_FLAG(absl::Duration, statement_timeout);
ABSL_DECLARE_FLAG(std::string, database);
ABSL_DECLARE_FLAG(absl::Duration, since);
ABSL_DECLARE_FLAG(int64_t, limit);
ABSL_DECLARE_FLAG(std::string, owner_password_file);
ABSL_DECLARE_FLAG(std::string, app_password_file);
ABSL_DECLARE_FLAG(double, calls_per_second);
ABSL_DECLARE_FLAG(int64_t, call_burst);
ABSL_DECLARE_FLAG(double, rows_per_second);
ABSL_DECLARE_FLAG(int64_t, row_burst);

namespace tnps::tools {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "tnpsctl: %s\n", std::string(status.message()).c_str());
  return kExitFailed;
}

int Usage(const char* text) {
  std::fprintf(stderr, "usage: tnpsctl %s\n", text);
  return kExitUsage;
}

bool HaveDatabaseUrl() {
  if (!absl::GetFlag(FLAGS_database_url).empty()) return true;
  std::fprintf(stderr, "tnpsctl: set --database_url or TNPS_DATABASE_URL\n");
  return false;
}

storage::ConnectionPoolOptions PoolOptions() {
  return {.database_url = absl::GetFlag(FLAGS_database_url), .size = 1};
}

// --expires-in: a whole number of days ("90d") or an Abseil duration
// ("720h"); nullopt when unset. INVALID_ARGUMENT for anything else or a
// duration that is not positive.
absl::StatusOr<std::optional<absl::Time>> ExpiryFromFlag() {
  const std::string text = absl::GetFlag(FLAGS_expires_in);
  if (text.empty()) return std::nullopt;
  absl::Duration d;
  int64_t days;
  if (absl::EndsWith(text, "d") && absl::SimpleAtoi(text.substr(0, text.size() - 1), &days) &&
      days > 0 && days <= 36500) {
    d = absl::Hours(24 * days);
  } else if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--expires-in takes days (90d) or a duration (720h), not ", text));
  }
  return absl::Now() + d;
}

std::string TimeText(std::optional<absl::Time> t, const char* none) {
  if (!t) return none;
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *t, absl::UTCTimeZone());
}

// Prints a new key: its id and role to stderr, the key alone to stdout, so
// that `> file` keeps it out of the terminal.
void PrintNewKey(const storage::IssuedKey& issued, core::Role role, const std::string& tenant,
                 std::optional<absl::Time> expires_at) {
  std::fprintf(
      stderr, "key %s (role %s) for tenant %s, %s; it is shown only this once:\n",
      issued.key_id.c_str(), std::string(core::RoleName(role)).c_str(), tenant.c_str(),
      expires_at ? absl::StrCat("expires ", TimeText(expires_at, "")).c_str() : "does not expire");
  std::printf("%s\n", issued.key.c_str());
}

// The content of a password file; empty for no path.
absl::StatusOr<std::string> PasswordFrom(const std::string& path) {
  if (path.empty()) return std::string();
  return services::ReadSecretFile(path);
}

}  // namespace

int RunDbSetup(const Args& args) {
  if (!args.empty()) {
    return Usage(
        "db-setup [--database NAME] [--owner-password-file F] [--app-password-file F] "
        "(--database-url of a superuser)");
  }
  if (!HaveDatabaseUrl()) return kExitUsage;
  storage::DatabaseSetupOptions options{.database = absl::GetFlag(FLAGS_database)};
  for (auto [path, password] :
       {std::pair{absl::GetFlag(FLAGS_owner_password_file), &options.owner_password},
        {absl::GetFlag(FLAGS_app_password_file), &options.app_password}}) {
    absl::StatusOr<std::string> read = PasswordFrom(path);
    if (!read.ok()) return Fail(read.status());
    *password = *std::move(read);
  }
  if (absl::Status done = storage::SetUpDatabase(absl::GetFlag(FLAGS_database_url), options);
      !done.ok()) {
    return Fail(done);
  }
  std::printf(
      "database %s: owned by %s; tnps-server connects as %s; BI logins join %s (passwords "
      "%s)\n",
      options.database.c_str(), storage::kOwnerRole, storage::kAppRole, storage::kReportingGroup,
      options.owner_password.empty() && options.app_password.empty() ? "unchanged" : "set");
  return kExitOk;
}

int RunAudit(const Args& args) {
  constexpr char kUsage[] = "audit list [--tenant NAME] [--since 24h] [--limit N] | audit verify";
  if (!HaveDatabaseUrl()) return kExitUsage;
  if (args.size() != 1) return Usage(kUsage);
  storage::ConnectionPool pool(PoolOptions());
  storage::AuditStore audit(pool);
  if (args[0] == "list") {
    const absl::Duration since = absl::GetFlag(FLAGS_since);
    absl::StatusOr<std::vector<storage::AuditEvent>> events =
        audit.List(absl::GetFlag(FLAGS_tenant),
                   since == absl::InfiniteDuration() ? absl::InfinitePast() : absl::Now() - since,
                   absl::GetFlag(FLAGS_limit));
    if (!events.ok()) return Fail(events.status());
    std::printf("seq\ttime\ttenant\tactor\taction\ttarget\tsummary\n");
    for (const auto& e : *events) {
      // Text fields come from callers: control characters are escaped so
      // that no field can forge a line or a column.
      std::printf("%lld\t%s\t%s\t%s\t%s\t%s\t%s\n", static_cast<long long>(e.seq),
                  TimeText(e.occurred_at, "").c_str(),
                  core::EscapeControls(e.tenant_name.empty() && e.tenant_id
                                           ? absl::StrCat("#", *e.tenant_id)
                                           : e.tenant_name)
                      .c_str(),
                  core::EscapeControls(e.actor).c_str(), core::EscapeControls(e.action).c_str(),
                  core::EscapeControls(e.target).c_str(),
                  core::EscapeControls(e.summary_json).c_str());
    }
    return kExitOk;
  }
  if (args[0] == "verify") {
    absl::StatusOr<storage::AuditVerification> checked = audit.Verify();
    if (!checked.ok()) return Fail(checked.status());
    if (checked->first_broken) {
      std::printf("audit trail BROKEN at event %lld: %s (%lld events)\n",
                  static_cast<long long>(*checked->first_broken), checked->problem.c_str(),
                  static_cast<long long>(checked->events));
      return kExitFailed;
    }
    std::printf("audit trail intact: %lld events; head %lld %s\n",
                static_cast<long long>(checked->events), static_cast<long long>(checked->head_seq),
                checked->head_hash.c_str());
    return kExitOk;
  }
  return Usage(kUsage);
}

int RunMigrate(const Args& args) {
  if (!HaveDatabaseUrl()) return kExitUsage;
  storage::MigrationRunner runner(absl::GetFlag(FLAGS_database_url));
  const std::string verb = args.empty() ? "up" : args[0];
  if (verb == "up" && args.size() <= 1) {
    absl::StatusOr<std::vector<int>> applied = runner.Up();
    if (!applied.ok()) return Fail(applied.status());
    for (int v : *applied) std::printf("applied %04d\n", v);
    std::printf("schema up to date (%zu applied now)\n", applied->size());
    return kExitOk;
  }
  if (verb == "status" && args.size() == 1) {
    absl::StatusOr<std::vector<storage::MigrationState>> states = runner.Status();
    if (!states.ok()) return Fail(states.status());
    for (const auto& s : *states) {
      std::printf("%04d %-30s %s\n", s.version, s.title.c_str(), s.applied ? "applied" : "pending");
    }
    return kExitOk;
  }
  int target;
  if (verb == "down" && args.size() == 2 && absl::SimpleAtoi(args[1], &target)) {
    absl::StatusOr<std::vector<int>> reverted = runner.DownTo(target);
    if (!reverted.ok()) return Fail(reverted.status());
    for (int v : *reverted) std::printf("reverted %04d\n", v);
    return kExitOk;
  }
  return Usage("migrate [up | status | down VERSION]");
}

int RunTenant(const Args& args) {
  if (!HaveDatabaseUrl()) return kExitUsage;
  storage::ConnectionPool pool(PoolOptions());
  storage::TenantStore tenants(pool);
  if (args.size() == 2 && args[0] == "create") {
    absl::StatusOr<storage::Tenant> tenant =
        tenants.Create(args[1], absl::GetFlag(FLAGS_time_zone));
    if (!tenant.ok()) return Fail(tenant.status());
    std::printf("tenant %s created (id %lld, time zone %s)\n", tenant->name.c_str(),
                static_cast<long long>(tenant->tenant_id), tenant->time_zone.c_str());
    return kExitOk;
  }
  if (args.size() == 1 && args[0] == "list") {
    absl::StatusOr<std::vector<storage::Tenant>> all = tenants.List();
    if (!all.ok()) return Fail(all.status());
    for (const auto& t : *all) {
      std::printf("%lld\t%s\t%s\n", static_cast<long long>(t.tenant_id), t.name.c_str(),
                  t.time_zone.c_str());
    }
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "delete") {
    // Deleting needs the name twice: once to say which, once to confirm.
    const std::string& name = args[1];
    const bool confirmed = absl::GetFlag(FLAGS_confirm) == name;
    absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> contents =
        confirmed ? tenants.Delete(name) : tenants.Contents(name);
    if (!contents.ok()) return Fail(contents.status());
    std::printf("tenant %s %s:\n", name.c_str(), confirmed ? "deleted" : "holds");
    for (const auto& [table, count] : *contents) {
      std::printf("  %-24s %lld\n", table.c_str(), static_cast<long long>(count));
    }
    if (!confirmed) {
      std::fprintf(stderr,
                   "tnpsctl: nothing deleted; to delete all of this for good, run again with "
                   "--confirm %s\n",
                   name.c_str());
      return kExitUsage;
    }
    return kExitOk;
  }
  return Usage(
      "tenant create NAME [--time-zone ZONE] | tenant list | tenant delete NAME "
      "[--confirm NAME]");
}

int RunKey(const Args& args) {
  constexpr char kUsage[] =
      "key create --tenant NAME --role ROLE [--expires-in 90d] | key rotate KEY_ID [--grace 24h] "
      "[--expires-in 90d] | key revoke KEY_ID | key list --tenant NAME";
  if (!HaveDatabaseUrl()) return kExitUsage;
  storage::ConnectionPool pool(PoolOptions());
  storage::ApiKeyStore keys(pool);
  const std::string tenant = absl::GetFlag(FLAGS_tenant);
  if (args.size() == 1 && args[0] == "create") {
    std::optional<core::Role> role = core::ParseRole(absl::GetFlag(FLAGS_role));
    if (tenant.empty() || !role) return Usage(kUsage);
    absl::StatusOr<std::optional<absl::Time>> expires_at = ExpiryFromFlag();
    if (!expires_at.ok()) return Fail(expires_at.status());
    absl::StatusOr<storage::IssuedKey> issued = keys.Issue(tenant, *role, *expires_at);
    if (!issued.ok()) return Fail(issued.status());
    PrintNewKey(*issued, *role, tenant, *expires_at);
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "rotate") {
    absl::StatusOr<std::optional<absl::Time>> expires_at = ExpiryFromFlag();
    if (!expires_at.ok()) return Fail(expires_at.status());
    const absl::Duration grace = absl::GetFlag(FLAGS_grace);
    absl::StatusOr<storage::IssuedKey> issued = keys.Rotate(args[1], grace, *expires_at);
    if (!issued.ok()) return Fail(issued.status());
    std::fprintf(stderr, "key %s expires at %s; its replacement:\n", args[1].c_str(),
                 TimeText(absl::Now() + grace, "").c_str());
    std::fprintf(stderr, "key %s, %s; it is shown only this once:\n", issued->key_id.c_str(),
                 *expires_at ? absl::StrCat("expires ", TimeText(*expires_at, "")).c_str()
                             : "does not expire");
    std::printf("%s\n", issued->key.c_str());
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "revoke") {
    if (absl::Status s = keys.Revoke(args[1]); !s.ok()) return Fail(s);
    std::printf("key %s revoked\n", args[1].c_str());
    return kExitOk;
  }
  if (args.size() == 1 && args[0] == "list") {
    if (tenant.empty()) return Usage(kUsage);
    absl::StatusOr<std::vector<storage::ApiKeyInfo>> all = keys.List(tenant);
    if (!all.ok()) return Fail(all.status());
    const absl::Time now = absl::Now();
    std::printf("key\trole\tcreated\tlast used (to the hour)\texpires\tstate\n");
    for (const auto& k : *all) {
      const char* state = k.revoked_at                           ? "revoked"
                          : k.expires_at && *k.expires_at <= now ? "expired"
                                                                 : "active";
      std::printf("%s\t%s\t%s\t%s\t%s\t%s\n", k.key_id.c_str(),
                  std::string(core::RoleName(k.role)).c_str(), TimeText(k.created_at, "").c_str(),
                  TimeText(k.last_used_at, "never").c_str(),
                  TimeText(k.expires_at, "never").c_str(), state);
    }
    return kExitOk;
  }
  return Usage(kUsage);
}

int RunReportingRole(const Args& args) {
  constexpr char kUsage[] =
      "reporting-role create --tenant NAME [--role-name tnps_bi_X] [--connection-limit N] "
      "[--statement-timeout D] | reporting-role drop NAME | reporting-role list [--tenant NAME]";
  if (!HaveDatabaseUrl()) return kExitUsage;
  if (args.empty()) return Usage(kUsage);
  storage::ConnectionPool pool(PoolOptions());
  storage::ReportingRoleStore roles(pool);
  const std::string tenant = absl::GetFlag(FLAGS_tenant);
  if (args.size() == 1 && args[0] == "create" && !tenant.empty()) {
    absl::StatusOr<storage::ReportingRole> role =
        roles.Create(tenant, absl::GetFlag(FLAGS_role_name),
                     {.connection_limit = absl::GetFlag(FLAGS_connection_limit),
                      .statement_timeout = absl::GetFlag(FLAGS_statement_timeout)});
    if (!role.ok()) return Fail(role.status());
    std::fprintf(stderr,
                 "role %s reads the reporting views of tenant %s; its password is shown only "
                 "this once:\n",
                 role->role_name.c_str(), tenant.c_str());
    std::printf("%s\n", role->password.c_str());
    return kExitOk;
  }
  if (args.size() == 2 && args[0] == "drop") {
    if (absl::Status dropped = roles.Drop(args[1]); !dropped.ok()) return Fail(dropped);
    std::printf("role %s dropped\n", args[1].c_str());
    return kExitOk;
  }
  if (args.size() == 1 && args[0] == "list") {
    absl::StatusOr<std::vector<storage::ReportingRoleInfo>> all = roles.List(tenant);
    if (!all.ok()) return Fail(all.status());
    for (const auto& r : *all) {
      std::printf("%s\t%s\tcreated %s\n", r.role_name.c_str(), r.tenant.c_str(),
                  absl::FormatTime(absl::RFC3339_sec, r.created_at, absl::UTCTimeZone()).c_str());
    }
    return kExitOk;
  }
  return Usage(kUsage);
}

int RunRateLimit(const Args& args) {
  constexpr char kUsage[] =
      "rate-limit set --tenant NAME --calls-per-second X --call-burst N --rows-per-second X "
      "--row-burst N | rate-limit show --tenant NAME | rate-limit clear --tenant NAME";
  if (!HaveDatabaseUrl()) return kExitUsage;
  const std::string tenant = absl::GetFlag(FLAGS_tenant);
  if (args.size() != 1 || tenant.empty()) return Usage(kUsage);
  storage::ConnectionPool pool(PoolOptions());
  storage::RateLimitStore limits(pool);
  if (args[0] == "set") {
    const core::RateLimits wanted{.calls_per_second = absl::GetFlag(FLAGS_calls_per_second),
                                  .call_burst = absl::GetFlag(FLAGS_call_burst),
                                  .rows_per_second = absl::GetFlag(FLAGS_rows_per_second),
                                  .row_burst = absl::GetFlag(FLAGS_row_burst)};
    if (std::optional<std::string> problem = core::RateLimitsProblem(wanted)) {
      std::fprintf(stderr, "tnpsctl: %s\n", problem->c_str());
      return Usage(kUsage);
    }
    if (absl::Status set = limits.Set(tenant, wanted); !set.ok()) return Fail(set);
    std::printf(
        "tenant %s: %g calls/s (burst %lld) and %g responses/s (burst %lld) per API key; servers "
        "apply it within their key cache time (--auth_cache_ttl)\n",
        tenant.c_str(), wanted.calls_per_second, static_cast<long long>(wanted.call_burst),
        wanted.rows_per_second, static_cast<long long>(wanted.row_burst));
    return kExitOk;
  }
  if (args[0] == "show") {
    absl::StatusOr<std::optional<core::RateLimits>> current = limits.Get(tenant);
    if (!current.ok()) return Fail(current.status());
    if (!current->has_value()) {
      std::printf("tenant %s: the server's defaults (--default_calls_per_second and friends)\n",
                  tenant.c_str());
      return kExitOk;
    }
    const core::RateLimits& l = **current;
    std::printf("tenant %s: %g calls/s (burst %lld) and %g responses/s (burst %lld) per API key\n",
                tenant.c_str(), l.calls_per_second, static_cast<long long>(l.call_burst),
                l.rows_per_second, static_cast<long long>(l.row_burst));
    return kExitOk;
  }
  if (args[0] == "clear") {
    if (absl::Status cleared = limits.Clear(tenant); !cleared.ok()) return Fail(cleared);
    std::printf("tenant %s: back to the server's defaults\n", tenant.c_str());
    return kExitOk;
  }
  return Usage(kUsage);
}

int RunAttributes(const Args& args) {
  constexpr char kUsage[] =
      "attributes declare KEY --tenant NAME | attributes list --tenant NAME | "
      "attributes remove KEY --tenant NAME";
  if (!HaveDatabaseUrl()) return kExitUsage;
  const std::string tenant_name = absl::GetFlag(FLAGS_tenant);
  if (args.empty() || tenant_name.empty()) return Usage(kUsage);
  const bool takes_key = args[0] == "declare" || args[0] == "remove";
  if ((takes_key && args.size() != 2) || (args[0] == "list" && args.size() != 1) ||
      (!takes_key && args[0] != "list")) {
    return Usage(kUsage);
  }
  if (takes_key && (args[1].empty() ||
                    core::IdentifierProblem(args[1], core::IngestLimits::kMaxAttributeKeyBytes))) {
    std::fprintf(stderr, "tnpsctl: an attribute key is 1..%zu bytes of printable UTF-8\n",
                 core::IngestLimits::kMaxAttributeKeyBytes);
    return Usage(kUsage);
  }
  storage::ConnectionPool pool(PoolOptions());
  absl::StatusOr<storage::Tenant> tenant = storage::TenantStore(pool).FindByName(tenant_name);
  if (!tenant.ok()) return Fail(tenant.status());
  storage::AttributeDimensions dimensions(pool);
  if (args[0] == "declare") {
    absl::StatusOr<bool> created = dimensions.Declare(tenant->tenant_id, args[1]);
    if (!created.ok()) return Fail(created.status());
    std::printf(*created ? "tenant %s: attribute %s declared; running servers back-fill its "
                           "earlier responses (attributes list shows when it is ready)\n"
                         : "tenant %s: attribute %s was declared already\n",
                tenant_name.c_str(), args[1].c_str());
    return kExitOk;
  }
  if (args[0] == "remove") {
    if (absl::Status removed = dimensions.Remove(tenant->tenant_id, args[1]); !removed.ok()) {
      return Fail(removed);
    }
    std::printf("tenant %s: attribute %s removed with its counts\n", tenant_name.c_str(),
                args[1].c_str());
    return kExitOk;
  }
  absl::StatusOr<std::vector<storage::AttributeDimension>> all = dimensions.List(tenant->tenant_id);
  if (!all.ok()) return Fail(all.status());
  std::printf("%-24s %-20s %-10s %s\n", "key", "declared", "state", "earlier responses counted");
  for (const storage::AttributeDimension& d : *all) {
    std::printf("%-24s %-20s %-10s %lld\n", d.key.c_str(), TimeText(d.declared_at, "").c_str(),
                d.ready ? "ready" : "filling", static_cast<long long>(d.backfilled_responses));
  }
  std::printf("(%zu of %d keys)\n", all->size(), storage::kMaxAttributeDimensions);
  return kExitOk;
}

}  // namespace tnps::tools
