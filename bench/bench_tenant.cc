#include "bench/bench_tenant.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "storage/alert_store.h"
#include "storage/api_key_store.h"
#include "storage/rate_limit_store.h"
#include "storage/tenant_store.h"

namespace tnps::bench {

BenchTenant NewBenchTenant(storage::ConnectionPool& pool, const std::string& name) {
  storage::TenantStore tenants(pool);
  storage::ApiKeyStore keys(pool);
  storage::RateLimitStore limits(pool);
  const std::string unique = absl::StrCat(name, "-", absl::ToUnixSeconds(absl::Now()));
  absl::StatusOr<storage::Tenant> tenant = tenants.Create(unique, "UTC");
  if (!tenant.ok()) std::abort();
  if (!limits
           .Set(unique, {.calls_per_second = 1e6,
                         .call_burst = 1000000,
                         .rows_per_second = 1e7,
                         .row_burst = 10000000})
           .ok()) {
    std::abort();
  }
  absl::StatusOr<storage::IssuedKey> key = keys.Issue(unique, core::Role::kIngest);
  if (!key.ok()) std::abort();
  return {unique, tenant->tenant_id, key->key};
}

void SubscribeToAThird(storage::ConnectionPool& pool, int64_t tenant_id, const std::string& url,
                       bool paused) {
  storage::AlertStore alerts(pool);
  absl::StatusOr<storage::AlertSubscription> created =
      alerts.Create(tenant_id,
                    {.name = "a third",
                     .event_types = {"response.created"},
                     .filter = {.attributes = {{"segment", {"alerted"}}}},
                     .url = url},
                    std::string(40, 's'));
  if (!created.ok() ||
      (paused && !alerts.SetPaused(tenant_id, created->subscription_id, true).ok())) {
    std::abort();
  }
}

tnps::v1::SurveyResponse MakeBenchRow(const std::string& prefix, int i) {
  static const absl::Time start = absl::FromCivil(absl::CivilDay(2024, 1, 1), absl::UTCTimeZone());
  tnps::v1::SurveyResponse r;
  r.set_external_id(absl::StrCat(prefix, "-", i));
  r.set_interaction_id(absl::StrCat("call-", prefix, "-", i));
  const int agent = (i * 7919) % 1000;
  r.set_agent_id(absl::StrCat("agent-", agent));
  r.set_team_id(absl::StrCat("team-", agent % 50));
  r.set_channel(static_cast<tnps::v1::Channel>(1 + i % 3));
  r.set_customer_ref(absl::StrCat("cust-", (i * 31) % 100000));
  r.set_score((i * 13) % 11);
  r.set_comment("The agent was patient and explained everything clearly.");
  const absl::Time when = start + absl::Seconds((static_cast<int64_t>(i) * 997) % (730 * 86400));
  r.mutable_interaction_time()->set_seconds(absl::ToUnixSeconds(when));
  r.mutable_response_time()->set_seconds(absl::ToUnixSeconds(when) + 1800);
  (*r.mutable_attributes())["queue"] = i % 2 ? "billing" : "support";
  (*r.mutable_attributes())["language"] = "de";
  (*r.mutable_attributes())["segment"] = i % 3 == 0 ? "alerted" : "routine";
  return r;
}

}  // namespace tnps::bench
