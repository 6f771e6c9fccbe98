// tnpsctl erase, exclude, include, exclusions and retention: the operator's
// side of data rights (docs/data-rights.md), through the database as the
// schema owner, recorded in the audit trail as the operator.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "core/response_validation.h"
#include "core/text_rules.h"
#include "storage/connection_pool.h"
#include "storage/response_records.h"
#include "storage/retention.h"
#include "storage/tenant_store.h"
#include "tools/commands.h"

ABSL_DECLARE_FLAG(std::string, database_url);
ABSL_DECLARE_FLAG(std::string, tenant);

ABSL_FLAG(std::string, customer_ref, "", "erase: erase every response of this customer");
ABSL_FLAG(bool, suppress, false,
          "erase: refuse the erased external ids if they are submitted again");
ABSL_FLAG(std::string, reference, "",
          "erase: the data subject request this fulfils (a ticket number), for the audit trail");
ABSL_FLAG(std::string, reason, "", "exclude: why (test traffic, QA integration, on leave)");
ABSL_FLAG(std::string, redact_after, "",
          "retention set: drop comment and customer_ref of responses older than this (e.g. "
          "180d)");
ABSL_FLAG(bool, redact_attributes, false, "retention set: drop the attributes too");
ABSL_FLAG(std::string, delete_after, "",
          "retention set: delete responses older than this (e.g. 730d)");

namespace tnps::tools {
namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "tnpsctl: %s\n", core::EscapeControls(status.message()).c_str());
  return kExitFailed;
}

int Usage(const char* text) {
  std::fprintf(stderr, "usage: tnpsctl %s\n", text);
  return kExitUsage;
}

int Refuse(const std::string& problem, const char* usage) {
  std::fprintf(stderr, "tnpsctl: %s\n", core::EscapeControls(problem).c_str());
  return Usage(usage);
}

// The tenant of --tenant, through `pool`; prints why not.
std::optional<int64_t> TenantId(storage::ConnectionPool& pool) {
  const std::string name = absl::GetFlag(FLAGS_tenant);
  absl::StatusOr<storage::Tenant> tenant = storage::TenantStore(pool).FindByName(name);
  if (!tenant.ok()) {
    Fail(tenant.status());
    return std::nullopt;
  }
  return tenant->tenant_id;
}

std::optional<std::string> IdsProblem(const std::vector<std::string>& ids) {
  if (ids.empty()) return "give at least one external id";
  if (ids.size() > 1000) return "at most 1,000 external ids per call";
  for (const std::string& id : ids) {
    if (std::optional<std::string> problem =
            core::IdentifierProblem(id, core::IngestLimits::kMaxIdBytes)) {
      return absl::StrCat("external id ", id, ": ", *problem);
    }
  }
  return std::nullopt;
}

std::optional<std::string> ReasonProblem(const std::string& reason, bool required) {
  if (reason.empty()) {
    if (required) return std::string("--reason is required to exclude");
    return std::nullopt;
  }
  if (std::optional<std::string> problem = core::FreeTextProblem(reason, 800)) {
    return absl::StrCat("--reason ", *problem);
  }
  return std::nullopt;
}

storage::ConnectionPoolOptions Pool() {
  return {.database_url = absl::GetFlag(FLAGS_database_url), .size = 1};
}

bool HaveDatabaseAndTenant(const char* usage) {
  if (absl::GetFlag(FLAGS_database_url).empty()) {
    std::fprintf(stderr, "tnpsctl: set --database_url or TNPS_DATABASE_URL\n");
    return false;
  }
  if (absl::GetFlag(FLAGS_tenant).empty()) {
    Usage(usage);
    return false;
  }
  return true;
}

// "180d" as days; nullopt for unset; -1 for anything else.
std::optional<int> Days(const std::string& text) {
  if (text.empty()) return std::nullopt;
  absl::string_view digits = text;
  int days;
  if (!absl::ConsumeSuffix(&digits, "d") || !absl::SimpleAtoi(digits, &days) || days < 1 ||
      days > 36600) {
    return -1;
  }
  return days;
}

}  // namespace

int RunErase(const Args& args) {
  constexpr char kUsage[] =
      "erase --tenant NAME (--customer-ref REF | EXTERNAL_ID...) [--suppress] "
      "[--reference TICKET]";
  if (!HaveDatabaseAndTenant(kUsage)) return kExitUsage;
  storage::EraseRequest request;
  request.customer_ref = absl::GetFlag(FLAGS_customer_ref);
  request.external_ids = args;
  request.suppress_resubmission = absl::GetFlag(FLAGS_suppress);
  request.request_reference = absl::GetFlag(FLAGS_reference);
  if (request.customer_ref.empty() == request.external_ids.empty()) {
    return Refuse("give --customer-ref or external ids (one of the two; never \"everything\")",
                  kUsage);
  }
  if (!request.customer_ref.empty()) {
    if (std::optional<std::string> problem =
            core::IdentifierProblem(request.customer_ref, core::IngestLimits::kMaxIdBytes)) {
      return Refuse(absl::StrCat("--customer-ref ", *problem), kUsage);
    }
  } else if (std::optional<std::string> problem = IdsProblem(request.external_ids)) {
    return Refuse(*problem, kUsage);
  }
  if (std::optional<std::string> problem = core::FreeTextProblem(request.request_reference, 800)) {
    return Refuse(absl::StrCat("--reference ", *problem), kUsage);
  }
  storage::ConnectionPool pool(Pool());
  std::optional<int64_t> tenant = TenantId(pool);
  if (!tenant) return kExitFailed;
  request.tenant_id = *tenant;
  absl::StatusOr<storage::EraseResult> erased = storage::ResponseRecords(pool).Erase(request);
  if (!erased.ok()) return Fail(erased.status());
  std::printf("tenant %s: %lld response(s) erased", absl::GetFlag(FLAGS_tenant).c_str(),
              static_cast<long long>(erased->erased));
  if (request.customer_ref.empty()) {
    std::printf(", %lld external id(s) not found", static_cast<long long>(erased->not_found));
  }
  std::printf("%s; every rollup corrected in the same transaction\n",
              request.suppress_resubmission ? ", resubmission suppressed" : "");
  return kExitOk;
}

int RunExclusion(const std::string& verb, const Args& args) {
  constexpr char kUsage[] =
      "exclude agent AGENT_ID --tenant NAME --reason TEXT | exclude responses EXTERNAL_ID... "
      "--tenant NAME --reason TEXT | include agent AGENT_ID --tenant NAME | include responses "
      "EXTERNAL_ID... --tenant NAME | exclusions list --tenant NAME";
  if (!HaveDatabaseAndTenant(kUsage)) return kExitUsage;
  const std::string reason = absl::GetFlag(FLAGS_reason);
  if (verb == "exclusions") {
    if (args.size() != 1 || args[0] != "list") return Usage(kUsage);
  } else {
    if (args.size() < 2 || (args[0] != "agent" && args[0] != "responses") ||
        (args[0] == "agent" && args.size() != 2)) {
      return Usage(kUsage);
    }
    if (std::optional<std::string> problem = ReasonProblem(reason, verb == "exclude")) {
      return Refuse(*problem, kUsage);
    }
  }
  storage::ConnectionPool pool(Pool());
  std::optional<int64_t> tenant = TenantId(pool);
  if (!tenant) return kExitFailed;
  storage::ResponseRecords records(pool);
  const std::string& tenant_name = absl::GetFlag(FLAGS_tenant);
  if (verb == "exclusions") {
    absl::StatusOr<std::vector<storage::AgentExclusion>> agents =
        records.ListAgentExclusions(*tenant, "", 100000);
    if (!agents.ok()) return Fail(agents.status());
    std::printf("%-24s %-22s %-28s %s\n", "AGENT", "EXCLUDED", "BY", "REASON");
    for (const auto& a : *agents) {
      std::printf(
          "%-24s %-22s %-28s %s\n", core::EscapeControls(a.agent_id).c_str(),
          absl::FormatTime("%Y-%m-%d %H:%M UTC", a.excluded_at, absl::UTCTimeZone()).c_str(),
          core::EscapeControls(a.excluded_by).c_str(), core::EscapeControls(a.reason).c_str());
    }
    // Responses excluded one by one, oldest interaction first.
    storage::ResponseListQuery query;
    query.filter = {.tenant_id = *tenant,
                    .days = {absl::CivilDay(2000, 1, 1), absl::CivilDay(2100, 1, 1)}};
    query.exclusion = storage::ExclusionFilter::kExcludedItself;
    query.newest_first = false;
    query.limit = 1000;
    absl::StatusOr<std::vector<storage::StoredResponse>> responses = records.List(query);
    if (!responses.ok()) return Fail(responses.status());
    std::printf("\n%-24s %-22s %s\n", "RESPONSE (external id)", "CHANGED", "REASON");
    for (const auto& r : *responses) {
      std::printf("%-24s %-22s %s\n", core::EscapeControls(r.response.external_id).c_str(),
                  absl::FormatTime("%Y-%m-%d %H:%M UTC", r.changed_at, absl::UTCTimeZone()).c_str(),
                  core::EscapeControls(r.exclusion_reason).c_str());
    }
    if (responses->size() == 1000) {
      std::printf(
          "(the first 1,000; ResponseService.ListResponses with "
          "EXCLUSION_FILTER_EXCLUDED pages through all)\n");
    }
    return kExitOk;
  }
  const bool excluded = verb == "exclude";
  if (args[0] == "agent") {
    absl::StatusOr<bool> changed = records.SetAgentExclusion(*tenant, args[1], excluded, reason);
    if (!changed.ok()) return Fail(changed.status());
    std::printf("tenant %s: agent %s %s\n", tenant_name.c_str(),
                core::EscapeControls(args[1]).c_str(),
                *changed ? (excluded ? "excluded from analysis; its counts moved out of every "
                                       "rollup"
                                     : "included again; its counts are back in every rollup")
                         : (excluded ? "was already excluded" : "was not excluded"));
    return kExitOk;
  }
  const std::vector<std::string> ids(args.begin() + 1, args.end());
  if (std::optional<std::string> problem = IdsProblem(ids)) return Refuse(*problem, kUsage);
  absl::StatusOr<storage::ResponseExclusionResult> result =
      records.SetResponseExclusion(*tenant, ids, excluded, reason);
  if (!result.ok()) return Fail(result.status());
  std::printf("tenant %s: %lld response(s) %s, %lld not found\n", tenant_name.c_str(),
              static_cast<long long>(result->changed), excluded ? "excluded" : "included again",
              static_cast<long long>(result->not_found));
  return kExitOk;
}

int RunRetention(const Args& args) {
  constexpr char kUsage[] =
      "retention set --tenant NAME [--redact-after 180d [--redact-attributes]] "
      "[--delete-after 730d] | retention show --tenant NAME | retention clear --tenant NAME";
  if (!HaveDatabaseAndTenant(kUsage)) return kExitUsage;
  if (args.size() != 1) return Usage(kUsage);
  storage::RetentionPolicy policy;
  if (args[0] == "set") {
    const std::optional<int> redact = Days(absl::GetFlag(FLAGS_redact_after));
    const std::optional<int> remove = Days(absl::GetFlag(FLAGS_delete_after));
    if (redact == -1 || remove == -1) {
      return Refuse("--redact-after and --delete-after are whole days from 1d to 36600d", kUsage);
    }
    if (!redact && !remove) return Refuse("give --redact-after, --delete-after or both", kUsage);
    if (redact && remove && *remove <= *redact) {
      return Refuse("--delete-after must be longer than --redact-after", kUsage);
    }
    if (!redact && absl::GetFlag(FLAGS_redact_attributes)) {
      return Refuse("--redact-attributes needs --redact-after", kUsage);
    }
    policy = {.redact_after_days = redact,
              .redact_attributes = absl::GetFlag(FLAGS_redact_attributes),
              .delete_after_days = remove};
  } else if (args[0] != "show" && args[0] != "clear") {
    return Usage(kUsage);
  }
  storage::ConnectionPool pool(Pool());
  std::optional<int64_t> tenant = TenantId(pool);
  if (!tenant) return kExitFailed;
  storage::RetentionPolicies policies(pool);
  const std::string& name = absl::GetFlag(FLAGS_tenant);
  const auto describe = [](const storage::RetentionPolicy& p) {
    std::vector<std::string> parts;
    if (p.redact_after_days) {
      parts.push_back(absl::StrCat("comment and customer_ref",
                                   p.redact_attributes ? " and "
                                                         "attributes"
                                                       : "",
                                   " dropped after ", *p.redact_after_days, " days"));
    }
    if (p.delete_after_days) {
      parts.push_back(absl::StrCat("responses deleted after ", *p.delete_after_days, " days"));
    }
    return absl::StrJoin(parts, "; ");
  };
  if (args[0] == "set") {
    if (absl::Status set = policies.Set(*tenant, policy); !set.ok()) return Fail(set);
    std::printf(
        "tenant %s: %s (by interaction time); servers apply it within "
        "--retention_interval, in batches\n",
        name.c_str(), describe(policy).c_str());
    return kExitOk;
  }
  if (args[0] == "clear") {
    if (absl::Status cleared = policies.Set(*tenant, std::nullopt); !cleared.ok()) {
      return Fail(cleared);
    }
    std::printf("tenant %s: no retention policy; responses are kept until erased\n", name.c_str());
    return kExitOk;
  }
  absl::StatusOr<std::optional<storage::RetentionPolicy>> current = policies.Get(*tenant);
  if (!current.ok()) return Fail(current.status());
  absl::StatusOr<storage::RetentionProgress> progress = policies.Progress(*tenant);
  if (!progress.ok()) return Fail(progress.status());
  if (!current->has_value()) {
    std::printf("tenant %s: no retention policy; responses are kept until erased\n", name.c_str());
    return kExitOk;
  }
  const auto time = [](const std::optional<absl::Time>& t) {
    return t ? absl::FormatTime("%Y-%m-%d %H:%M UTC", *t, absl::UTCTimeZone())
             : std::string("not yet");
  };
  // How far a pass has come, by interaction time.
  const auto upto = [&](const std::optional<absl::Time>& t) {
    return t ? absl::StrCat(", every interaction before ", time(t), " done") : std::string();
  };
  std::printf(
      "tenant %s: %s\nlast round: %s; redacted so far: %lld%s; deleted so far: %lld%s\n",
      name.c_str(), describe(**current).c_str(), time(progress->last_round_at).c_str(),
      static_cast<long long>(progress->redacted_total), upto(progress->redacted_through).c_str(),
      static_cast<long long>(progress->deleted_total), upto(progress->deleted_through).c_str());
  return kExitOk;
}

}  // namespace tnps::tools
