// A fresh, migrated database on the throwaway cluster that tests/run.sh
// starts (TNPS_TEST_PG: a libpq connection string of a superuser, without
// dbname), dropped when the object goes away. It is set up as `tnpsctl
// db-setup` sets up a production database: owned by tnps_owner, which runs
// the migrations, while the code under test connects as tnps_app, so a
// statement that needs a privilege the migrations do not grant fails here.
#ifndef TNPS_TESTS_SUPPORT_TEST_DATABASE_H_
#define TNPS_TESTS_SUPPORT_TEST_DATABASE_H_

#include <cstdint>
#include <string>

namespace tnps::testing {

class TestDatabase {
 public:
  // Creates the database; with `migrate`, applies the embedded migrations.
  explicit TestDatabase(bool migrate = true);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // As tnps-server connects: the runtime role, tnps_app.
  const std::string& url() const { return url_; }
  // As migrations and tnpsctl's administrative commands connect: tnps_owner.
  const std::string& owner_url() const { return owner_url_; }
  // As the cluster's superuser: for checks and fault injection (locks).
  const std::string& superuser_url() const { return superuser_url_; }
  const std::string& name() const { return name_; }

  // Runs a query that returns one integer (e.g. a count) on this database,
  // as the superuser: for checks and fault injection, not code under test.
  int64_t QueryInt(const std::string& sql) const;
  // The same for a query that returns one text value ("" for NULL).
  std::string QueryText(const std::string& sql) const;
  // Runs statements on this database, as the superuser.
  void Exec(const std::string& sql) const;

 private:
  std::string name_;
  std::string url_;
  std::string owner_url_;
  std::string superuser_url_;
};

// The cluster's connection string without dbname; aborts the test binary
// with a clear message when tests/run.sh did not provide one.
std::string ClusterUrl();

}  // namespace tnps::testing

namespace tnps::testing {

// The rollups' counts as rows (promoters, passives, detractors): daily_rollups
// and the change rows the compactor has not added to it yet. Use as
// "SELECT sum(promoters) FROM " + kRollupCounts.
inline constexpr char kRollupCounts[] = R"sql(
  (SELECT promoters, passives, detractors FROM daily_rollups
   UNION ALL SELECT promoters, passives, detractors FROM rollup_changes) counts)sql";

// Counts the rollup cells (daily_rollups plus the pending change rows) that
// differ from a recount of the responses that count (neither excluded nor
// of an excluded agent), with each local day recomputed from
// interaction_time and the tenant's zone, and the cells of
// excluded_agent_counts that differ from a recount of the responses of
// excluded agents; 0 when both are exact.
inline constexpr char kRollupMismatchSql[] = R"sql(
WITH responses_counted AS (
  SELECT r.tenant_id, (r.interaction_time AT TIME ZONE t.time_zone)::date AS local_day,
         r.agent_id, r.team_id, r.channel, r.score,
         EXISTS (SELECT 1 FROM excluded_agents e
                 WHERE e.tenant_id = r.tenant_id AND e.agent_id = r.agent_id) AS agent_excluded
  FROM responses r JOIN tenants t USING (tenant_id)
  WHERE NOT r.excluded
), recount AS (
  SELECT tenant_id, local_day, agent_id, team_id, channel,
         count(*) FILTER (WHERE score >= 9) AS promoters,
         count(*) FILTER (WHERE score BETWEEN 7 AND 8) AS passives,
         count(*) FILTER (WHERE score <= 6) AS detractors
  FROM responses_counted WHERE NOT agent_excluded
  GROUP BY 1, 2, 3, 4, 5
), rollup AS (
  SELECT tenant_id, local_day, agent_id, team_id, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM (SELECT tenant_id, local_day, agent_id, team_id, channel, promoters, passives, detractors
        FROM daily_rollups
        UNION ALL
        SELECT tenant_id, local_day, agent_id, team_id, channel, promoters, passives, detractors
        FROM rollup_changes) u
  GROUP BY 1, 2, 3, 4, 5
  HAVING sum(promoters + passives + detractors) <> 0
), excluded_recount AS (
  SELECT tenant_id, local_day, agent_id, team_id, channel,
         count(*) FILTER (WHERE score >= 9) AS promoters,
         count(*) FILTER (WHERE score BETWEEN 7 AND 8) AS passives,
         count(*) FILTER (WHERE score <= 6) AS detractors
  FROM responses_counted WHERE agent_excluded
  GROUP BY 1, 2, 3, 4, 5
), excluded_kept AS (
  SELECT tenant_id, local_day, agent_id, team_id, channel, promoters, passives, detractors
  FROM excluded_agent_counts WHERE promoters + passives + detractors <> 0
)
SELECT (SELECT count(*) FROM (SELECT * FROM recount EXCEPT SELECT * FROM rollup) a) +
       (SELECT count(*) FROM (SELECT * FROM rollup EXCEPT SELECT * FROM recount) b) +
       (SELECT count(*) FROM (SELECT * FROM excluded_recount EXCEPT
                              SELECT * FROM excluded_kept) c) +
       (SELECT count(*) FROM (SELECT * FROM excluded_kept EXCEPT
                              SELECT * FROM excluded_recount) d))sql";

}  // namespace tnps::testing

#endif  // TNPS_TESTS_SUPPORT_TEST_DATABASE_H_
