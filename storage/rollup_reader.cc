#include "storage/rollup_reader.h"

#include <algorithm>
#include <pqxx/pqxx>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/pg_text.h"

namespace tnps::storage {
namespace {

// A table the counts can come from, and the columns it has.
struct RollupTable {
  const char* name;
  // Its day column; for the per-week table, the week's Monday.
  const char* day_column;
  bool has_agent, has_team, has_channel;
};

constexpr RollupTable kFinest{"daily_rollups", "local_day", true, true, true};
constexpr RollupTable kAgentDays{"rollup_agent_days", "local_day", true, true, false};
constexpr RollupTable kAgentWeeks{"rollup_agent_weeks", "week_start", true, true, false};
constexpr RollupTable kTeamDays{"rollup_team_days", "local_day", false, true, true};
constexpr RollupTable kTenantDays{"rollup_tenant_days", "local_day", false, false, true};
// The change rows not compacted yet, at the finest grain.
constexpr RollupTable kPending{"rollup_changes", "local_day", true, true, true};
// The attribute rollups (migrations/0020_attribute_dimensions.up.sql).
constexpr RollupTable kAttributeFinest{"attribute_rollups", "local_day", true, true, true};
constexpr RollupTable kAttributeTeamDays{"attribute_team_days", "local_day", false, true, true};
constexpr RollupTable kAttributeDays{"attribute_days", "local_day", false, false, true};
constexpr RollupTable kAttributePending{"attribute_changes", "local_day", true, true, true};

// The coarsest per-day table with every column the query needs, and whether
// the per-week table can stand in for whole weeks.
struct Grain {
  const RollupTable* days;
  bool weeks;
};

Grain ChooseGrain(const RollupFilter& f, RollupBy by, RollupTime time) {
  const bool agent = !f.agent_ids.empty() || !f.cohort_ids.empty() ||
                     by == RollupBy::kAgentAndTeam || by == RollupBy::kAgent;
  const bool team = !f.team_ids.empty() || by == RollupBy::kTeam;
  const bool channel = !f.channels.empty() || by == RollupBy::kChannel;
  if (f.attribute || by == RollupBy::kAttribute) {
    return {agent ? &kAttributeFinest : team ? &kAttributeTeamDays : &kAttributeDays, false};
  }
  if (agent && channel) return {&kFinest, false};
  if (agent) {
    return {&kAgentDays, time == RollupTime::kTotal || time == RollupTime::kWeek};
  }
  if (team) return {&kTeamDays, false};
  return {&kTenantDays, false};
}

// Builds the statement: one UNION ALL branch per range, grouped outside.
class StatementBuilder {
 public:
  StatementBuilder(const RollupFilter& filter, RollupBy by, RollupTime time,
                   const std::string& attribute_key)
      : by_(by), time_(time) {
    params_.push_back(absl::StrCat(filter.tenant_id));
    if (by == RollupBy::kAttribute) {
      attribute_key_ = Param(attribute_key);
    } else if (filter.attribute) {
      attribute_key_ = Param(filter.attribute->key);
    }
    if (filter.attribute) attribute_values_ = Param(TextArrayLiteral(filter.attribute->values));
    if (!filter.agent_ids.empty()) agents_ = Param(TextArrayLiteral(filter.agent_ids));
    if (!filter.team_ids.empty()) teams_ = Param(TextArrayLiteral(filter.team_ids));
    if (!filter.channels.empty()) {
      PgArrayLiteral channels;
      for (int c : filter.channels) channels.Add(static_cast<long long>(c));
      channels_ = Param(std::move(channels).Finish());
    }
    for (int64_t cohort_id : filter.cohort_ids) cohorts_.push_back(Param(absl::StrCat(cohort_id)));
  }

  void AddBranch(const RollupTable& table, const core::DayRange& range) {
    const std::string first = Param(DateText(range.first));
    const std::string last = Param(DateText(range.last));
    std::string branch = absl::StrCat("SELECT ", KeyColumns(), ", ", Bucket(table),
                                      " AS b, promoters, passives, detractors FROM ", table.name,
                                      " WHERE tenant_id = $1 AND ", table.day_column, " BETWEEN ",
                                      first, "::date AND ", last, "::date");
    if (!attribute_key_.empty()) absl::StrAppend(&branch, " AND attr_key = ", attribute_key_);
    if (!attribute_values_.empty()) {
      absl::StrAppend(&branch, " AND attr_value = ANY(", attribute_values_, "::text[])");
    }
    if (!agents_.empty()) absl::StrAppend(&branch, " AND agent_id = ANY(", agents_, "::text[])");
    if (!teams_.empty()) absl::StrAppend(&branch, " AND team_id = ANY(", teams_, "::text[])");
    if (!channels_.empty()) {
      absl::StrAppend(&branch, " AND channel = ANY(", channels_, "::smallint[])");
    }
    for (const std::string& cohort : cohorts_) {
      absl::StrAppend(&branch,
                      " AND agent_id IN (SELECT agent_id FROM training_enrollments "
                      "WHERE tenant_id = $1 AND cohort_id = ",
                      cohort, "::bigint)");
    }
    branches_.push_back(std::move(branch));
  }

  // With `aggregate`, one row per key and bucket; else the branches' rows.
  std::string Sql(bool aggregate) const {
    if (!aggregate) {
      return absl::StrCat("SELECT k1, k2, b::text, promoters, passives, detractors FROM (",
                          absl::StrJoin(branches_, " UNION ALL "), ") u");
    }
    return absl::StrCat(
        "SELECT k1, k2, b::text, sum(promoters), sum(passives), sum(detractors) FROM (",
        absl::StrJoin(branches_, " UNION ALL "),
        ") u GROUP BY k1, k2, b HAVING sum(promoters + passives + detractors) <> 0");
  }

  const std::vector<std::string>& params() const { return params_; }

 private:
  std::string Param(std::string value) {
    params_.push_back(std::move(value));
    return absl::StrCat("$", params_.size());
  }

  std::string KeyColumns() const {
    switch (by_) {
      case RollupBy::kNothing:
        return "'' AS k1, '' AS k2";
      case RollupBy::kAgentAndTeam:
        return "agent_id AS k1, team_id AS k2";
      case RollupBy::kAgent:
        return "agent_id AS k1, '' AS k2";
      case RollupBy::kTeam:
        return "team_id AS k1, '' AS k2";
      case RollupBy::kChannel:
        return "channel::text AS k1, '' AS k2";
      case RollupBy::kAttribute:
        return "attr_value AS k1, '' AS k2";
    }
    return "";
  }

  std::string Bucket(const RollupTable& table) const {
    const std::string day = table.day_column;
    switch (time_) {
      case RollupTime::kTotal:
        return "NULL::date";
      case RollupTime::kDay:
        return day;
      case RollupTime::kWeek:
        return &table == &kAgentWeeks
                   ? day
                   : absl::StrCat("date_trunc('week', ", day, "::timestamp)::date");
      case RollupTime::kMonth:
        return absl::StrCat("date_trunc('month', ", day, "::timestamp)::date");
    }
    return "";
  }

  const RollupBy by_;
  const RollupTime time_;
  std::vector<std::string> params_;
  std::string attribute_key_, attribute_values_;
  std::string agents_, teams_, channels_;
  std::vector<std::string> cohorts_;
  std::vector<std::string> branches_;
};

using SnapshotTransaction =
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only>;

// The first of the filter's cohorts that its tenant does not have.
std::optional<int64_t> MissingCohort(SnapshotTransaction& txn, const RollupFilter& f) {
  if (f.cohort_ids.empty()) return std::nullopt;
  PgArrayLiteral ids;
  for (int64_t id : f.cohort_ids) ids.Add(static_cast<long long>(id));
  const pqxx::result missing = txn.exec_params(
      "SELECT i.id FROM unnest($2::bigint[]) AS i(id) WHERE NOT EXISTS ("
      "SELECT 1 FROM training_cohorts c WHERE c.tenant_id = $1 AND c.cohort_id = i.id) LIMIT 1",
      f.tenant_id, std::move(ids).Finish());
  if (missing.empty()) return std::nullopt;
  return missing[0][0].as<int64_t>();
}

// FailedPrecondition unless `key` is a dimension of the filter's tenant
// whose back-fill is done: before, its rollups lack older responses.
absl::Status CheckAttributeKey(SnapshotTransaction& txn, int64_t tenant_id,
                               const std::string& key) {
  const pqxx::result rows = txn.exec_params(
      "SELECT backfilled_below >= counted_from, backfilled_responses FROM attribute_dimensions "
      "WHERE tenant_id = $1 AND attr_key = $2",
      tenant_id, key);
  if (rows.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("attribute key \"", key,
                     "\" is not a declared dimension; an admin declares it with "
                     "AnalyticsService.DeclareAttributeDimension (tnpsctl attributes declare)"));
  }
  if (!rows[0][0].as<bool>()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "attribute key \"", key, "\" is still being back-filled (", rows[0][1].as<int64_t>(),
        " earlier responses counted so far); its figures will be exact once done"));
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<RollupFilter> IntersectFilters(const RollupFilter& a, const RollupFilter& b) {
  RollupFilter both;
  both.tenant_id = a.tenant_id;
  both.days = {std::max(a.days.first, b.days.first), std::min(a.days.last, b.days.last)};
  if (a.tenant_id != b.tenant_id || both.days.first > both.days.last) return std::nullopt;
  // Empty means "any"; otherwise the values in both lists.
  const auto intersect = [](const auto& x, const auto& y, auto& out) {
    if (x.empty() || y.empty()) {
      out = x.empty() ? y : x;
      return true;
    }
    for (const auto& v : x) {
      if (std::find(y.begin(), y.end(), v) != y.end()) out.push_back(v);
    }
    return !out.empty();
  };
  both.cohort_ids = a.cohort_ids;
  for (int64_t id : b.cohort_ids) {
    if (std::find(a.cohort_ids.begin(), a.cohort_ids.end(), id) == a.cohort_ids.end()) {
      both.cohort_ids.push_back(id);
    }
  }
  if (a.attribute && b.attribute) {
    if (a.attribute->key != b.attribute->key) return std::nullopt;
    AttributeCondition condition{a.attribute->key, {}};
    if (!intersect(a.attribute->values, b.attribute->values, condition.values)) return std::nullopt;
    both.attribute = std::move(condition);
  } else {
    both.attribute = a.attribute ? a.attribute : b.attribute;
  }
  if (!intersect(a.agent_ids, b.agent_ids, both.agent_ids) ||
      !intersect(a.team_ids, b.team_ids, both.team_ids) ||
      !intersect(a.channels, b.channels, both.channels)) {
    return std::nullopt;
  }
  return both;
}

RollupReadPlan PlanRollupRead(const core::DayRange& range, bool use_weeks) {
  RollupReadPlan plan;
  absl::CivilDay first_day = range.first;
  if (use_weeks) {
    const int to_monday = (7 - (static_cast<int>(absl::GetWeekday(range.first)) -
                                static_cast<int>(absl::Weekday::monday))) %
                          7;
    const absl::CivilDay first_monday = range.first + to_monday;
    absl::CivilDay monday = first_monday;
    while (monday + 6 <= range.last) monday += 7;
    // [first_monday, monday) is whole weeks.
    if (monday > first_monday) {
      plan.weeks.push_back({first_monday, monday - 7});
      if (range.first < first_monday) plan.days.push_back({range.first, first_monday - 1});
      first_day = monday;
    }
  }
  if (first_day <= range.last) plan.days.push_back({first_day, range.last});
  return plan;
}

absl::StatusOr<std::vector<RollupRow>> ReadRollups(ConnectionPool& pool, const RollupFilter& filter,
                                                   RollupBy by, RollupTime time,
                                                   const std::string& attribute_key) {
  if (by == RollupBy::kAttribute && filter.attribute && filter.attribute->key != attribute_key) {
    return absl::InvalidArgumentError(
        "a breakdown by one attribute key cannot be filtered on another: the attribute rollups "
        "hold one key at a time");
  }
  const Grain grain = ChooseGrain(filter, by, time);
  const bool by_agent = by == RollupBy::kAgentAndTeam || by == RollupBy::kAgent;
  return pool.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<RollupRow>> {
    std::vector<RollupRow> rows;
    SnapshotTransaction txn(conn);
    if (std::optional<int64_t> missing = MissingCohort(txn, filter)) {
      return absl::NotFoundError(absl::StrCat("no training cohort ", *missing));
    }
    for (const std::string* key : {by == RollupBy::kAttribute ? &attribute_key : nullptr,
                                   filter.attribute ? &filter.attribute->key : nullptr}) {
      if (key == nullptr) continue;
      if (absl::Status status = CheckAttributeKey(txn, filter.tenant_id, *key); !status.ok()) {
        return status;
      }
    }
    StatementBuilder statement(filter, by, time, attribute_key);
    const bool attributes = grain.days == &kAttributeFinest || grain.days == &kAttributeTeamDays ||
                            grain.days == &kAttributeDays;
    if (grain.days == &kFinest || attributes) {
      statement.AddBranch(*grain.days, filter.days);
    } else {
      const RollupReadPlan plan = PlanRollupRead(filter.days, grain.weeks);
      for (const auto& r : plan.weeks) statement.AddBranch(kAgentWeeks, r);
      for (const auto& r : plan.days) statement.AddBranch(*grain.days, r);
    }
    statement.AddBranch(attributes ? kAttributePending : kPending, filter.days);
    // Per agent and bucket, a table's rows are (nearly) one per group, and
    // PostgreSQL's hash aggregation over text keys costs more than sending
    // them: those are summed here instead.
    const bool aggregate = time == RollupTime::kTotal || !by_agent;
    const pqxx::result result = txn.exec_params(
        statement.Sql(aggregate), pqxx::prepare::make_dynamic_params(statement.params()));
    const auto bucket_of = [&](const pqxx::field& f) {
      return f.is_null() ? filter.days.first : ParseDateText(f.c_str());
    };
    const auto counts_of = [](const pqxx::row& row) {
      return core::NpsCounts{row[3].as<int64_t>(), row[4].as<int64_t>(), row[5].as<int64_t>()};
    };
    if (aggregate) {
      rows.reserve(result.size());
      for (const auto& row : result) {
        rows.push_back({row[0].as<std::string>(), row[1].as<std::string>(), bucket_of(row[2]),
                        counts_of(row)});
      }
      std::sort(rows.begin(), rows.end(), [](const RollupRow& a, const RollupRow& b) {
        return std::tie(a.bucket, a.key, a.team_id) < std::tie(b.bucket, b.key, b.team_id);
      });
      return rows;
    }
    // Keys point into `result`, which outlives the map.
    absl::flat_hash_map<std::tuple<absl::string_view, absl::string_view, absl::CivilDay>, size_t>
        index;
    index.reserve(result.size());
    rows.reserve(result.size());
    for (const auto& row : result) {
      const absl::string_view key(row[0].c_str(), row[0].size());
      const absl::string_view team(row[1].c_str(), row[1].size());
      const absl::CivilDay bucket = bucket_of(row[2]);
      const auto [it, inserted] = index.try_emplace({key, team, bucket}, rows.size());
      if (inserted) {
        rows.push_back({std::string(key), std::string(team), bucket, counts_of(row)});
      } else {
        rows[it->second].counts += counts_of(row);
      }
    }
    // Cells whose responses were all erased or excluded.
    std::erase_if(rows, [](const RollupRow& r) { return r.counts.responses() == 0; });
    return rows;
  });
}

}  // namespace tnps::storage
