#include "services/analytics/analytics_service.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/empirical_bayes.h"
#include "core/time_buckets.h"
#include "services/common/grpc_status.h"
#include "services/common/nps_mapping.h"

namespace tnps::services {
namespace {

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;

std::optional<core::BucketSize> MapBucket(tnps::v1::Bucket bucket) {
  switch (bucket) {
    case tnps::v1::BUCKET_DAY:
      return core::BucketSize::kDay;
    case tnps::v1::BUCKET_WEEK:
      return core::BucketSize::kWeek;
    case tnps::v1::BUCKET_MONTH:
      return core::BucketSize::kMonth;
    case tnps::v1::BUCKET_QUARTER:
      return core::BucketSize::kQuarter;
    default:
      return std::nullopt;
  }
}

// Rows of a breakdown before sorting and paging.
struct Row {
  std::string key;
  std::string team_id;
  core::NpsSummary summary;
  double shrunk_nps = 0;
};

// Agents may have answered for several teams in the period; each agent is
// compared with the team of most of its responses.
std::vector<core::AgentCounts> MergeAgents(const std::vector<storage::GroupCounts>& groups) {
  std::map<std::string, std::pair<core::NpsCounts, std::pair<int64_t, std::string>>> agents;
  for (const auto& g : groups) {
    auto& [counts, main_team] = agents[g.key];
    counts += g.counts;
    const int64_t n = g.counts.responses();
    if (n > main_team.first || (n == main_team.first && g.team_id < main_team.second)) {
      main_team = {n, g.team_id};
    }
  }
  std::vector<core::AgentCounts> out;
  for (const auto& [agent, value] : agents)
    out.push_back({agent, value.second.second, value.first});
  return out;
}

// The filter and interval options that GetNps, GetNpsTrend and
// GetNpsBreakdown requests share, with their violations.
template <typename Request>
std::pair<std::optional<storage::RollupFilter>, IntervalOptions> CheckFilterAndInterval(
    const Request& request, int64_t tenant_id, std::vector<core::FieldViolation>& violations) {
  std::optional<storage::RollupFilter> filter =
      MapFilter(request.filter(), tenant_id, "filter.", violations);
  return {std::move(filter),
          MapIntervalOptions(request.interval_method(), request.confidence_level(), violations)};
}

}  // namespace

AnalyticsService::AnalyticsService(Authenticator& authenticator, storage::AnalyticsStore& store)
    : authenticator_(authenticator), store_(store) {}

grpc::Status AnalyticsService::GetNps(grpc::ServerContext* context,
                                      const tnps::v1::GetNpsRequest* request,
                                      tnps::v1::GetNpsResponse* response) {
  absl::StatusOr<storage::Principal> principal =
      authenticator_.Authenticate(*context, core::Role::kRead);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::vector<core::FieldViolation> violations;
  const auto [filter, options] = CheckFilterAndInterval(*request, principal->tenant_id, violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<core::NpsCounts> counts = store_.Totals(*filter);
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  SummaryToProto(core::Summarize(*counts, options.method, options.confidence_level),
                 response->mutable_summary());
  response->set_time_zone(principal->time_zone);
  return grpc::Status::OK;
}

grpc::Status AnalyticsService::GetNpsTrend(grpc::ServerContext* context,
                                           const tnps::v1::GetNpsTrendRequest* request,
                                           tnps::v1::GetNpsTrendResponse* response) {
  absl::StatusOr<storage::Principal> principal =
      authenticator_.Authenticate(*context, core::Role::kRead);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::vector<core::FieldViolation> violations;
  const auto [filter, options] = CheckFilterAndInterval(*request, principal->tenant_id, violations);
  std::optional<core::BucketSize> bucket = MapBucket(request->bucket());
  if (!bucket) violations.push_back({"bucket", "must be DAY, WEEK, MONTH or QUARTER"});
  const int window = request->rolling_window_days();
  if (window < 0 || window > kMaxRollingWindowDays) {
    violations.push_back(
        {"rolling_window_days", absl::StrCat("must be 0..", kMaxRollingWindowDays)});
  }
  if (!violations.empty()) return InvalidArgument("", violations);

  const std::vector<core::DayRange> buckets = core::BucketsCovering(filter->days, *bucket);
  // Each point's window, and the previous non-overlapping period for deltas.
  std::vector<core::DayRange> windows, previous;
  for (const core::DayRange& b : buckets) {
    if (window > 0) {
      windows.push_back(core::RollingWindow(b.last, window));
      previous.push_back(core::RollingWindow(b.last - window, window));
    } else {
      windows.push_back(b);
      const absl::CivilDay prev_start = core::BucketStart(b.first - 1, *bucket);
      previous.push_back(windows.size() > 1 ? windows[windows.size() - 2]
                                            : core::DayRange{prev_start, b.first - 1});
    }
  }
  // Read every day any window or comparison period touches, once.
  storage::RollupFilter wide = *filter;
  for (const auto& w : windows) wide.days.first = std::min(wide.days.first, w.first);
  if (request->include_deltas()) {
    for (const auto& p : previous) wide.days.first = std::min(wide.days.first, p.first);
  }
  absl::StatusOr<std::vector<core::DayCounts>> days = store_.DailyTotals(wide);
  if (!days.ok()) return ToGrpcStatus(days.status());
  core::DailySeries series(wide.days);
  for (const auto& [day, counts] : *days) series.Add(day, counts);

  for (size_t i = 0; i < buckets.size(); ++i) {
    tnps::v1::TrendPoint* point = response->add_points();
    *point->mutable_bucket_start() = DateToProto(buckets[i].first);
    *point->mutable_bucket_end() = DateToProto(buckets[i].last);
    *point->mutable_window_start() = DateToProto(windows[i].first);
    *point->mutable_window_end() = DateToProto(windows[i].last);
    const core::NpsCounts counts = series.Sum(windows[i]);
    SummaryToProto(core::Summarize(counts, options.method, options.confidence_level),
                   point->mutable_summary());
    if (request->include_deltas()) {
      DeltaToProto(
          core::CompareIndependent(series.Sum(previous[i]), counts, options.confidence_level),
          point->mutable_delta());
    }
  }
  response->set_time_zone(principal->time_zone);
  return grpc::Status::OK;
}

grpc::Status AnalyticsService::GetNpsBreakdown(grpc::ServerContext* context,
                                               const tnps::v1::GetNpsBreakdownRequest* request,
                                               tnps::v1::GetNpsBreakdownResponse* response) {
  absl::StatusOr<storage::Principal> principal =
      authenticator_.Authenticate(*context, core::Role::kRead);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::vector<core::FieldViolation> violations;
  const auto [filter, options] = CheckFilterAndInterval(*request, principal->tenant_id, violations);
  const tnps::v1::Dimension dimension = request->dimension();
  if (dimension != tnps::v1::DIMENSION_AGENT && dimension != tnps::v1::DIMENSION_TEAM &&
      dimension != tnps::v1::DIMENSION_CHANNEL) {
    violations.push_back({"dimension", "must be AGENT, TEAM or CHANNEL"});
  }
  const tnps::v1::BreakdownOrder order = request->order() == tnps::v1::BREAKDOWN_ORDER_UNSPECIFIED
                                             ? tnps::v1::BREAKDOWN_ORDER_NPS_DESC
                                             : request->order();
  if (!tnps::v1::BreakdownOrder_IsValid(order)) {
    violations.push_back({"order", absl::StrCat("has unknown value ", order)});
  } else if (order == tnps::v1::BREAKDOWN_ORDER_SHRUNK_NPS_DESC &&
             dimension != tnps::v1::DIMENSION_AGENT) {
    violations.push_back({"order", "SHRUNK_NPS_DESC applies to agent breakdowns only"});
  }
  if (request->min_responses() < 0) violations.push_back({"min_responses", "must be >= 0"});
  const int page_size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  if (page_size < 1 || page_size > kMaxPageSize) {
    violations.push_back({"page_size", absl::StrCat("must be 1..", kMaxPageSize)});
  }
  size_t offset = 0;
  if (!request->page_token().empty() && !absl::SimpleAtoi(request->page_token(), &offset)) {
    violations.push_back({"page_token", "is not a token this service issued"});
  }
  if (!violations.empty()) return InvalidArgument("", violations);

  const storage::RollupGroup group =
      dimension == tnps::v1::DIMENSION_AGENT  ? storage::RollupGroup::kAgentAndTeam
      : dimension == tnps::v1::DIMENSION_TEAM ? storage::RollupGroup::kTeam
                                              : storage::RollupGroup::kChannel;
  absl::StatusOr<std::vector<storage::GroupCounts>> groups = store_.GroupTotals(*filter, group);
  if (!groups.ok()) return ToGrpcStatus(groups.status());

  std::vector<Row> rows;
  auto summarize = [&](const core::NpsCounts& c) {
    return core::Summarize(c, options.method, options.confidence_level);
  };
  if (dimension == tnps::v1::DIMENSION_AGENT) {
    // Shrinkage uses every agent, before min_responses hides any.
    std::vector<core::AgentCounts> agents = MergeAgents(*groups);
    core::ShrinkageResult shrunk = core::ShrinkTowardTeams(agents);
    response->set_between_agent_sd(shrunk.between_agent_sd);
    for (size_t i = 0; i < agents.size(); ++i) {
      rows.push_back({agents[i].agent_id, agents[i].team_id, summarize(agents[i].counts),
                      shrunk.shrunk_nps[i]});
    }
  } else {
    for (const auto& g : *groups) {
      std::string key = g.key;
      int channel;
      if (dimension == tnps::v1::DIMENSION_CHANNEL && absl::SimpleAtoi(g.key, &channel)) {
        key = tnps::v1::Channel_Name(static_cast<tnps::v1::Channel>(channel));
      }
      rows.push_back({key, "", summarize(g.counts), 0});
    }
  }
  const auto suppressed = std::partition(rows.begin(), rows.end(), [&](const Row& r) {
    return r.summary.counts.responses() >= request->min_responses();
  });
  response->set_suppressed_rows(static_cast<int32_t>(rows.end() - suppressed));
  rows.erase(suppressed, rows.end());
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    auto by = [&](double x, double y) { return x != y ? x > y : a.key < b.key; };
    switch (order) {
      case tnps::v1::BREAKDOWN_ORDER_NPS_ASC:
        return a.summary.nps != b.summary.nps ? a.summary.nps < b.summary.nps : a.key < b.key;
      case tnps::v1::BREAKDOWN_ORDER_RESPONSES_DESC:
        return by(a.summary.counts.responses(), b.summary.counts.responses());
      case tnps::v1::BREAKDOWN_ORDER_SHRUNK_NPS_DESC:
        return by(a.shrunk_nps, b.shrunk_nps);
      case tnps::v1::BREAKDOWN_ORDER_KEY_ASC:
        return a.key < b.key;
      default:
        return by(a.summary.nps, b.summary.nps);
    }
  });
  response->set_total_rows(static_cast<int32_t>(rows.size()));
  for (size_t i = offset; i < rows.size() && i < offset + page_size; ++i) {
    tnps::v1::BreakdownRow* out = response->add_rows();
    out->set_key(rows[i].key);
    SummaryToProto(rows[i].summary, out->mutable_summary());
    if (dimension == tnps::v1::DIMENSION_AGENT) {
      out->set_shrunk_nps(rows[i].shrunk_nps);
      out->set_team_id(rows[i].team_id);
    }
  }
  if (offset + page_size < rows.size())
    response->set_next_page_token(absl::StrCat(offset + page_size));
  return grpc::Status::OK;
}

grpc::Status AnalyticsService::CompareNps(grpc::ServerContext* context,
                                          const tnps::v1::CompareNpsRequest* request,
                                          tnps::v1::CompareNpsResponse* response) {
  absl::StatusOr<storage::Principal> principal =
      authenticator_.Authenticate(*context, core::Role::kRead);
  if (!principal.ok()) return ToGrpcStatus(principal.status());
  std::vector<core::FieldViolation> violations;
  std::optional<storage::RollupFilter> baseline =
      MapFilter(request->baseline(), principal->tenant_id, "baseline.", violations);
  std::optional<storage::RollupFilter> comparison =
      MapFilter(request->comparison(), principal->tenant_id, "comparison.", violations);
  const IntervalOptions options =
      MapIntervalOptions(request->interval_method(), request->confidence_level(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<core::NpsCounts> a = store_.Totals(*baseline);
  if (!a.ok()) return ToGrpcStatus(a.status());
  absl::StatusOr<core::NpsCounts> b = store_.Totals(*comparison);
  if (!b.ok()) return ToGrpcStatus(b.status());
  absl::StatusOr<core::NpsCounts> both = store_.OverlapTotals(*baseline, *comparison);
  if (!both.ok()) return ToGrpcStatus(both.status());
  SummaryToProto(core::Summarize(*a, options.method, options.confidence_level),
                 response->mutable_baseline());
  SummaryToProto(core::Summarize(*b, options.method, options.confidence_level),
                 response->mutable_comparison());
  DeltaToProto(core::CompareIndependent(*a, *b, options.confidence_level),
               response->mutable_delta());
  response->set_overlapping_responses(both->responses());
  return grpc::Status::OK;
}

}  // namespace tnps::services
