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
  // The URL of this database as login `role` (trust authentication on the
  // test cluster), e.g. a BI login made by ReportingRoleStore.
  std::string UrlAs(const std::string& role) const;
  // Drops a login made for a test, with what it owns here: roles outlive
  // databases on a cluster.
  void DropLogin(const std::string& role) const;

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

// Counts the cells of the attribute rollups of ready dimensions (each of
// the three tables plus the pending change rows) that differ from a
// recount of the counted responses that have the key; 0 when all are exact.
inline constexpr char kAttributeMismatchSql[] = R"sql(
WITH recount AS (
  SELECT r.tenant_id, d.attr_key, r.agent_id,
         (r.interaction_time AT TIME ZONE t.time_zone)::date AS local_day,
         r.attributes ->> d.attr_key AS attr_value, r.team_id, r.channel,
         count(*) FILTER (WHERE r.score >= 9) AS promoters,
         count(*) FILTER (WHERE r.score BETWEEN 7 AND 8) AS passives,
         count(*) FILTER (WHERE r.score <= 6) AS detractors
  FROM responses r JOIN tenants t USING (tenant_id)
  JOIN attribute_dimensions d
    ON d.tenant_id = r.tenant_id AND d.backfilled_below >= d.counted_from
   AND r.attributes ? d.attr_key
  WHERE NOT r.excluded AND NOT EXISTS (SELECT 1 FROM excluded_agents e
                                       WHERE e.tenant_id = r.tenant_id AND e.agent_id = r.agent_id)
  GROUP BY 1, 2, 3, 4, 5, 6, 7
), ready AS (
  SELECT tenant_id, attr_key FROM attribute_dimensions WHERE backfilled_below >= counted_from
), finest AS (
  SELECT tenant_id, attr_key, agent_id, local_day, attr_value, team_id, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM (SELECT tenant_id, attr_key, agent_id, local_day, attr_value, team_id, channel,
               promoters, passives, detractors FROM attribute_rollups
        UNION ALL
        SELECT tenant_id, attr_key, agent_id, local_day, attr_value, team_id, channel,
               promoters, passives, detractors FROM attribute_changes) u
  JOIN ready USING (tenant_id, attr_key)
  GROUP BY 1, 2, 3, 4, 5, 6, 7
  HAVING sum(promoters) <> 0 OR sum(passives) <> 0 OR sum(detractors) <> 0
), team_recount AS (
  SELECT tenant_id, attr_key, team_id, local_day, attr_value, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM recount GROUP BY 1, 2, 3, 4, 5, 6
), team AS (
  SELECT tenant_id, attr_key, team_id, local_day, attr_value, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM (SELECT tenant_id, attr_key, team_id, local_day, attr_value, channel,
               promoters, passives, detractors FROM attribute_team_days
        UNION ALL
        SELECT tenant_id, attr_key, team_id, local_day, attr_value, channel,
               promoters, passives, detractors FROM attribute_changes) u
  JOIN ready USING (tenant_id, attr_key)
  GROUP BY 1, 2, 3, 4, 5, 6
  HAVING sum(promoters) <> 0 OR sum(passives) <> 0 OR sum(detractors) <> 0
), day_recount AS (
  SELECT tenant_id, attr_key, local_day, attr_value, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM recount GROUP BY 1, 2, 3, 4, 5
), days AS (
  SELECT tenant_id, attr_key, local_day, attr_value, channel,
         sum(promoters), sum(passives), sum(detractors)
  FROM (SELECT tenant_id, attr_key, local_day, attr_value, channel,
               promoters, passives, detractors FROM attribute_days
        UNION ALL
        SELECT tenant_id, attr_key, local_day, attr_value, channel,
               promoters, passives, detractors FROM attribute_changes) u
  JOIN ready USING (tenant_id, attr_key)
  GROUP BY 1, 2, 3, 4, 5
  HAVING sum(promoters) <> 0 OR sum(passives) <> 0 OR sum(detractors) <> 0
)
SELECT (SELECT count(*) FROM (SELECT * FROM recount EXCEPT SELECT * FROM finest) a) +
       (SELECT count(*) FROM (SELECT * FROM finest EXCEPT SELECT * FROM recount) b) +
       (SELECT count(*) FROM (SELECT * FROM team_recount EXCEPT SELECT * FROM team) c) +
       (SELECT count(*) FROM (SELECT * FROM team EXCEPT SELECT * FROM team_recount) d) +
       (SELECT count(*) FROM (SELECT * FROM day_recount EXCEPT SELECT * FROM days) e) +
       (SELECT count(*) FROM (SELECT * FROM days EXCEPT SELECT * FROM day_recount) f))sql";

}  // namespace tnps::testing

#endif  // TNPS_TESTS_SUPPORT_TEST_DATABASE_H_
