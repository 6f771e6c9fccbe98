#include "storage/analytics_store.h"

#include <optional>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/substitute.h"
#include "storage/pg_text.h"

namespace tnps::storage {
namespace {

constexpr char kSums[] =
    "coalesce(sum(promoters), 0), coalesce(sum(passives), 0), "
    "coalesce(sum(detractors), 0)";

// Query names; each is prepared once per rollup table.
constexpr char kTotals[] = "rollup_totals";
constexpr char kOverlapTotals[] = "rollup_overlap_totals";
constexpr char kDaily[] = "rollup_daily";
constexpr char kByAgent[] = "rollup_by_agent";
constexpr char kByTeam[] = "rollup_by_team";
constexpr char kByChannel[] = "rollup_by_channel";

// The rollup tables, finest first, and the filter columns each has.
struct RollupTable {
  const char* name;
  bool has_agent;
  bool has_team;
  bool has_channel;
};
constexpr RollupTable kFinest{"daily_rollups", true, true, true};
constexpr RollupTable kAgentDaily{"agent_daily_rollups", true, true, false};
constexpr RollupTable kTeamDaily{"team_daily_rollups", false, true, true};
constexpr RollupTable kTenantDaily{"tenant_daily_rollups", false, false, true};
constexpr RollupTable kTables[] = {kFinest, kAgentDaily, kTeamDaily, kTenantDaily};

// The coarsest table that can answer a filter (and a grouping): fewer rows
// read for the same exact counts.
const RollupTable& TableFor(bool agents, bool teams, bool channels,
                            std::optional<RollupGroup> group) {
  if (group == RollupGroup::kAgentAndTeam) return channels ? kFinest : kAgentDaily;
  if (group == RollupGroup::kTeam) return agents ? kFinest : kTeamDaily;
  if (group == RollupGroup::kChannel) return agents ? kFinest : teams ? kTeamDaily : kTenantDaily;
  if (agents) return channels ? kFinest : kAgentDaily;
  return teams ? kTeamDaily : kTenantDaily;
}

const RollupTable& TableFor(const RollupFilter& f, std::optional<RollupGroup> group) {
  return TableFor(!f.agent_ids.empty(), !f.team_ids.empty(), !f.channels.empty(), group);
}

// The conditions of one RollupFilter on parameters $n (tenant), $n+1 and
// $n+2 (first and last day), $n+3 agents, $n+4 teams, $n+5 channels. A
// table without a column is only chosen when that list is empty; the
// parameter is still referenced so that its type is known.
std::string FilterConditions(int n, const RollupTable& table) {
  auto condition = [&](bool has, int param, const char* column, const char* type) {
    return has ? absl::Substitute(" AND (cardinality($$$0::$2[]) = 0 OR $1 = ANY($$$0::$2[]))",
                                  param, column, type)
               : absl::Substitute(" AND cardinality($$$0::$1[]) = 0", param, type);
  };
  return absl::StrCat(
      absl::Substitute(" tenant_id = $$$0 AND local_day BETWEEN $$$1::date AND $$$2::date", n,
                       n + 1, n + 2),
      condition(table.has_agent, n + 3, "agent_id", "text"),
      condition(table.has_team, n + 4, "team_id", "text"),
      condition(table.has_channel, n + 5, "channel", "smallint"));
}

std::string StatementName(const char* query, const RollupTable& table) {
  return absl::StrCat(query, "_", table.name);
}

std::string DateText(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

// The six parameters of FilterConditions for `f`.
struct FilterParams {
  int64_t tenant_id;
  std::string first, last, agents, teams, channels;
};

FilterParams ParamsOf(const RollupFilter& f) {
  PgArrayLiteral agents, teams, channels;
  for (const auto& a : f.agent_ids) agents.Add(a);
  for (const auto& t : f.team_ids) teams.Add(t);
  for (int c : f.channels) channels.Add(static_cast<long long>(c));
  return {f.tenant_id,
          DateText(f.days.first),
          DateText(f.days.last),
          std::move(agents).Finish(),
          std::move(teams).Finish(),
          std::move(channels).Finish()};
}

core::NpsCounts CountsAt(const pqxx::row& row, int first_column) {
  return {row[first_column].as<int64_t>(), row[first_column + 1].as<int64_t>(),
          row[first_column + 2].as<int64_t>()};
}

}  // namespace

AnalyticsStore::AnalyticsStore(ConnectionPool& pool) : pool_(pool) {
  for (const RollupTable& t : kTables) {
    const std::string from = absl::StrCat(" FROM ", t.name, " WHERE", FilterConditions(1, t));
    pool_.Prepare(StatementName(kTotals, t), absl::StrCat("SELECT ", kSums, from));
    pool_.Prepare(StatementName(kOverlapTotals, t),
                  absl::StrCat("SELECT ", kSums, from, " AND", FilterConditions(7, t)));
    pool_.Prepare(StatementName(kDaily, t), absl::StrCat("SELECT local_day::text, ", kSums, from,
                                                         " GROUP BY local_day ORDER BY local_day"));
    if (t.has_agent && t.has_team) {
      pool_.Prepare(StatementName(kByAgent, t), absl::StrCat("SELECT agent_id, team_id, ", kSums,
                                                             from, " GROUP BY agent_id, team_id"));
    }
    if (t.has_team) {
      pool_.Prepare(StatementName(kByTeam, t),
                    absl::StrCat("SELECT team_id, '', ", kSums, from, " GROUP BY team_id"));
    }
    if (t.has_channel) {
      pool_.Prepare(StatementName(kByChannel, t),
                    absl::StrCat("SELECT channel::text, '', ", kSums, from, " GROUP BY channel"));
    }
  }
}

absl::StatusOr<core::NpsCounts> AnalyticsStore::Totals(const RollupFilter& filter) {
  const FilterParams p = ParamsOf(filter);
  core::NpsCounts counts;
  absl::Status status = pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::read_transaction txn(conn);
    counts =
        CountsAt(txn.exec_prepared1(StatementName(kTotals, TableFor(filter, std::nullopt)),
                                    p.tenant_id, p.first, p.last, p.agents, p.teams, p.channels),
                 0);
  });
  if (!status.ok()) return status;
  return counts;
}

absl::StatusOr<core::NpsCounts> AnalyticsStore::OverlapTotals(const RollupFilter& a,
                                                              const RollupFilter& b) {
  const FilterParams p = ParamsOf(a);
  const FilterParams q = ParamsOf(b);
  core::NpsCounts counts;
  absl::Status status = pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::read_transaction txn(conn);
    const RollupTable& table = TableFor(!a.agent_ids.empty() || !b.agent_ids.empty(),
                                        !a.team_ids.empty() || !b.team_ids.empty(),
                                        !a.channels.empty() || !b.channels.empty(), std::nullopt);
    counts = CountsAt(txn.exec_prepared1(StatementName(kOverlapTotals, table), p.tenant_id, p.first,
                                         p.last, p.agents, p.teams, p.channels, q.tenant_id,
                                         q.first, q.last, q.agents, q.teams, q.channels),
                      0);
  });
  if (!status.ok()) return status;
  return counts;
}

absl::StatusOr<std::vector<std::pair<absl::CivilDay, core::NpsCounts>>> AnalyticsStore::DailyTotals(
    const RollupFilter& filter) {
  const FilterParams p = ParamsOf(filter);
  std::vector<std::pair<absl::CivilDay, core::NpsCounts>> days;
  absl::Status status = pool_.Run([&](pqxx::connection_base& conn) {
    days.clear();
    pqxx::read_transaction txn(conn);
    for (const auto& row :
         txn.exec_prepared(StatementName(kDaily, TableFor(filter, std::nullopt)), p.tenant_id,
                           p.first, p.last, p.agents, p.teams, p.channels)) {
      absl::CivilDay day;
      if (!absl::ParseCivilTime(row[0].c_str(), &day)) {
        throw std::runtime_error(absl::StrCat("unexpected date ", row[0].c_str()));
      }
      days.emplace_back(day, CountsAt(row, 1));
    }
  });
  if (!status.ok()) return status;
  return days;
}

absl::StatusOr<std::vector<GroupCounts>> AnalyticsStore::GroupTotals(const RollupFilter& filter,
                                                                     RollupGroup group) {
  const FilterParams p = ParamsOf(filter);
  const char* query = group == RollupGroup::kAgentAndTeam ? kByAgent
                      : group == RollupGroup::kTeam       ? kByTeam
                                                          : kByChannel;
  const std::string statement = StatementName(query, TableFor(filter, group));
  std::vector<GroupCounts> groups;
  absl::Status status = pool_.Run([&](pqxx::connection_base& conn) {
    groups.clear();
    pqxx::read_transaction txn(conn);
    for (const auto& row : txn.exec_prepared(statement, p.tenant_id, p.first, p.last, p.agents,
                                             p.teams, p.channels)) {
      groups.push_back({row[0].as<std::string>(), row[1].as<std::string>(), CountsAt(row, 2)});
    }
  });
  if (!status.ok()) return status;
  return groups;
}

}  // namespace tnps::storage
