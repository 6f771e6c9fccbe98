#include "bench/synthetic_tenant.h"

#include <algorithm>
#include <cstdio>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tnps::bench {

void LoadSyntheticTenant(const std::string& url, int64_t tenant_id, int64_t responses,
                         const SyntheticOptions& options) {
  pqxx::connection conn(url);
  const absl::Time start = absl::Now();
  {
    pqxx::work txn(conn);
    txn.exec_params0(
        "INSERT INTO agents (tenant_id, agent_id, team_id) SELECT $1, 'agent-' || a, 'team-' || "
        "(a % 50) FROM generate_series(0, 999) a",
        tenant_id);
    txn.commit();
  }
  const int64_t customers =
      std::max<int64_t>(1, responses / std::max(1, options.responses_per_customer));
  // A customer's responses are `customers` apart in the sequence, so spread
  // over the two years and over agents.
  const std::string personal =
      options.personal_data
          ? absl::StrCat("'cust-' || (i % ", customers,
                         "), 'The agent listened and explained the next steps clearly. Case ' "
                         "|| i, jsonb_build_object('queue', (ARRAY['billing', 'tech', "
                         "'moving'])[1 + i % 3], 'language', (ARRAY['de', 'fr', 'it', "
                         "'en'])[1 + i % 4])")
          : "'', '', '{}'::jsonb";
  constexpr int64_t kChunk = 1000000;
  for (int64_t from = 1; from <= responses; from += kChunk) {
    const int64_t to = std::min(responses, from + kChunk - 1);
    pqxx::work txn(conn);
    txn.exec_params0(
        absl::StrCat(R"sql(
INSERT INTO responses (tenant_id, external_id, interaction_id, agent_id, team_id, channel,
                       score, interaction_time, response_time, local_day, customer_ref, comment,
                       attributes)
SELECT $1, 'r' || i, 'c' || i, 'agent-' || a, 'team-' || (a % 50), 1 + i % 3,
       (ARRAY[0, 3, 5, 6, 7, 7, 8, 8, 9, 9, 9, 10, 10, 10, 10])
         [1 + (abs(hashint8(i)) + a % 3) % 15],
       ts, ts + interval '30 minutes', (ts AT TIME ZONE 'Europe/Zurich')::date, )sql",
                     personal, R"sql(
FROM generate_series($2::bigint, $3::bigint) i,
     LATERAL (SELECT (i * 7919) % 1000 AS a,
                     timestamptz '2024-11-01 00:00:00+00' +
                       (i * )sql",
                     kSyntheticDays, R"sql(::bigint * 86400 / $4) * interval '1 second' AS ts) g
)sql"),
        tenant_id, from, to, responses);
    txn.commit();
    std::fprintf(stderr, "\r  loaded %lld / %lld responses", static_cast<long long>(to),
                 static_cast<long long>(responses));
  }
  {
    pqxx::work txn(conn);
    // As ingest does: every cell's counts as a change row, for the server's
    // compactor to add to every rollup table.
    txn.exec_params0(R"sql(
INSERT INTO rollup_changes (tenant_id, local_day, agent_id, team_id, channel,
                            promoters, passives, detractors)
SELECT tenant_id, local_day, agent_id, team_id, channel,
       count(*) FILTER (WHERE score >= 9), count(*) FILTER (WHERE score BETWEEN 7 AND 8),
       count(*) FILTER (WHERE score <= 6)
FROM responses WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4, 5
ORDER BY 2, 3, 4, 5)sql",
                     tenant_id);
    txn.commit();
  }
  const absl::Time compaction_start = absl::Now();
  while (pqxx::nontransaction(conn).exec1("SELECT count(*) FROM rollup_changes")[0].as<int64_t>() >
         0) {
    absl::SleepFor(absl::Milliseconds(200));
  }
  std::fprintf(stderr, "\n  rollups compacted by the server in %.1f s\n",
               absl::ToDoubleSeconds(absl::Now() - compaction_start));
  pqxx::nontransaction(conn).exec0("VACUUM ANALYZE");
  std::fprintf(stderr, "  load, rollups and VACUUM ANALYZE: %.0f s\n",
               absl::ToDoubleSeconds(absl::Now() - start));
}

}  // namespace tnps::bench
