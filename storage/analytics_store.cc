#include "storage/analytics_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/substitute.h"
#include "storage/pg_text.h"

namespace tnps::storage {
namespace {

// The conditions of one RollupFilter on parameters $n (tenant), $n+1 and
// $n+2 (first and last day), $n+3 agents, $n+4 teams, $n+5 channels.
std::string FilterConditions(int n) {
  return absl::Substitute(R"sql(
  tenant_id = $$$0 AND local_day BETWEEN $$$1::date AND $$$2::date
  AND (cardinality($$$3::text[]) = 0 OR agent_id = ANY($$$3::text[]))
  AND (cardinality($$$4::text[]) = 0 OR team_id = ANY($$$4::text[]))
  AND (cardinality($$$5::smallint[]) = 0 OR channel = ANY($$$5::smallint[])))sql",
                          n, n + 1, n + 2, n + 3, n + 4, n + 5);
}

constexpr char kSums[] =
    "coalesce(sum(promoters), 0), coalesce(sum(passives), 0), "
    "coalesce(sum(detractors), 0)";

constexpr char kTotals[] = "rollup_totals";
constexpr char kOverlapTotals[] = "rollup_overlap_totals";
constexpr char kDaily[] = "rollup_daily";
constexpr char kByAgent[] = "rollup_by_agent";
constexpr char kByTeam[] = "rollup_by_team";
constexpr char kByChannel[] = "rollup_by_channel";

std::string DateText(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

// The six parameters of kWhere for `f`.
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
  const std::string kWhere = absl::StrCat(" WHERE ", FilterConditions(1));
  pool_.Prepare(kTotals, absl::StrCat("SELECT ", kSums, " FROM daily_rollups", kWhere));
  pool_.Prepare(kOverlapTotals, absl::StrCat("SELECT ", kSums, " FROM daily_rollups", kWhere,
                                             " AND ", FilterConditions(7)));
  pool_.Prepare(kDaily, absl::StrCat("SELECT local_day::text, ", kSums, " FROM daily_rollups",
                                     kWhere, " GROUP BY local_day ORDER BY local_day"));
  pool_.Prepare(kByAgent, absl::StrCat("SELECT agent_id, team_id, ", kSums, " FROM daily_rollups",
                                       kWhere, " GROUP BY agent_id, team_id"));
  pool_.Prepare(kByTeam, absl::StrCat("SELECT team_id, '', ", kSums, " FROM daily_rollups", kWhere,
                                      " GROUP BY team_id"));
  pool_.Prepare(kByChannel, absl::StrCat("SELECT channel::text, '', ", kSums, " FROM daily_rollups",
                                         kWhere, " GROUP BY channel"));
}

absl::StatusOr<core::NpsCounts> AnalyticsStore::Totals(const RollupFilter& filter) {
  const FilterParams p = ParamsOf(filter);
  core::NpsCounts counts;
  absl::Status status = pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::read_transaction txn(conn);
    counts = CountsAt(
        txn.exec_prepared1(kTotals, p.tenant_id, p.first, p.last, p.agents, p.teams, p.channels),
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
    counts = CountsAt(
        txn.exec_prepared1(kOverlapTotals, p.tenant_id, p.first, p.last, p.agents, p.teams,
                           p.channels, q.tenant_id, q.first, q.last, q.agents, q.teams, q.channels),
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
         txn.exec_prepared(kDaily, p.tenant_id, p.first, p.last, p.agents, p.teams, p.channels)) {
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
  const char* statement = group == RollupGroup::kAgentAndTeam ? kByAgent
                          : group == RollupGroup::kTeam       ? kByTeam
                                                              : kByChannel;
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
