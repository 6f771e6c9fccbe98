#include "services/analytics/analytics_service.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/nps_breakdown.h"
#include "core/response_validation.h"
#include "core/text_rules.h"
#include "core/time_buckets.h"
#include "core/trend_plan.h"
#include "services/analytics/analytics_requests.h"
#include "services/common/grpc_status.h"
#include "services/common/nps_mapping.h"
#include "services/common/proto_time.h"
#include "services/common/read_after.h"

namespace tnps::services {
namespace {

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

// A team id as it is; a channel's number as its enum name.
std::string GroupName(const std::string& key, tnps::v1::Dimension dimension) {
  int channel;
  if (dimension == tnps::v1::DIMENSION_CHANNEL && absl::SimpleAtoi(key, &channel)) {
    return tnps::v1::Channel_Name(static_cast<tnps::v1::Channel>(channel));
  }
  return key;
}

// An attribute key as ingest accepts it (core/response_validation.h).
std::optional<core::FieldViolation> AttributeKeyViolation(const std::string& field,
                                                          const std::string& key) {
  if (key.empty() || core::IdentifierProblem(key, core::IngestLimits::kMaxAttributeKeyBytes)) {
    return core::FieldViolation{
        field, absl::StrCat("must be 1..", core::IngestLimits::kMaxAttributeKeyBytes,
                            " bytes of printable UTF-8")};
  }
  return std::nullopt;
}

void DimensionToProto(const storage::AttributeDimension& d, tnps::v1::AttributeDimension* out) {
  out->set_key(d.key);
  TimeToProto(d.declared_at, out->mutable_declare_time());
  out->set_ready(d.ready);
  out->set_backfilled_responses(d.backfilled_responses);
  if (d.ready && d.backfill_done_at != absl::InfinitePast()) {
    TimeToProto(d.backfill_done_at, out->mutable_ready_time());
  }
}

}  // namespace

AnalyticsService::AnalyticsService(storage::AnalyticsStore& store,
                                   storage::AttributeDimensions& dimensions, CallExecutor& executor)
    : store_(store), dimensions_(dimensions), executor_(executor) {}

grpc::Status AnalyticsService::HandleGetNps(const storage::Principal& principal,
                                            const tnps::v1::GetNpsRequest* request,
                                            tnps::v1::GetNpsResponse* response) {
  std::vector<core::FieldViolation> violations;
  const auto [filter, options] = CheckFilterAndInterval(*request, principal.tenant_id, violations);
  ReadAfterToken(request->consistency_token(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);
  absl::StatusOr<core::NpsCounts> counts = store_.Totals(*filter);
  if (!counts.ok()) return ToGrpcStatus(counts.status());
  SummaryToProto(core::Summarize(*counts, options.method, options.confidence_level),
                 response->mutable_summary());
  response->set_time_zone(principal.time_zone);
  return grpc::Status::OK;
}

grpc::Status AnalyticsService::HandleGetNpsTrend(const storage::Principal& principal,
                                                 const tnps::v1::GetNpsTrendRequest* request,
                                                 tnps::v1::GetNpsTrendResponse* response) {
  std::vector<core::FieldViolation> violations;
  const auto [filter, options] = CheckFilterAndInterval(*request, principal.tenant_id, violations);
  const TrendOptions trend = CheckTrendRequest(*request, violations);
  ReadAfterToken(request->consistency_token(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);

  const core::TrendPlan plan = core::PlanTrend(
      filter->days, trend.bucket, trend.rolling_window_days, request->include_deltas());
  storage::RollupFilter read = *filter;
  read.days = plan.read;
  absl::StatusOr<std::vector<core::DayCounts>> days = store_.DailyTotals(read);
  if (!days.ok()) return ToGrpcStatus(days.status());
  core::DailySeries series(plan.read);
  for (const auto& [day, counts] : *days) series.Add(day, counts);

  for (const core::TrendPoint& p : plan.points) {
    tnps::v1::TrendPoint* point = response->add_points();
    *point->mutable_bucket_start() = DateToProto(p.bucket.first);
    *point->mutable_bucket_end() = DateToProto(p.bucket.last);
    *point->mutable_window_start() = DateToProto(p.window.first);
    *point->mutable_window_end() = DateToProto(p.window.last);
    const core::NpsCounts counts = series.Sum(p.window);
    SummaryToProto(core::Summarize(counts, options.method, options.confidence_level),
                   point->mutable_summary());
    if (request->include_deltas()) {
      DeltaToProto(
          core::CompareIndependent(series.Sum(p.previous), counts, options.confidence_level),
          point->mutable_delta());
    }
  }
  response->set_time_zone(principal.time_zone);
  return grpc::Status::OK;
}

grpc::Status AnalyticsService::HandleGetNpsBreakdown(
    const storage::Principal& principal, const tnps::v1::GetNpsBreakdownRequest* request,
    tnps::v1::GetNpsBreakdownResponse* response) {
  std::vector<core::FieldViolation> violations;
  const auto [filter, options] = CheckFilterAndInterval(*request, principal.tenant_id, violations);
  const BreakdownOptions breakdown = CheckBreakdownRequest(*request, violations);
  ReadAfterToken(request->consistency_token(), violations);
  if (!violations.empty()) return InvalidArgument("", violations);

  absl::StatusOr<std::vector<storage::GroupCounts>> groups =
      store_.GroupTotals(*filter, breakdown.group, request->attribute_key());
  if (!groups.ok()) return ToGrpcStatus(groups.status());
  const bool by_agent = breakdown.dimension == tnps::v1::DIMENSION_AGENT;
  std::vector<core::BreakdownRow> rows;
  if (by_agent) {
    std::vector<core::AgentCounts> per_agent_and_team;
    for (const auto& g : *groups) per_agent_and_team.push_back({g.key, g.team_id, g.counts});
    core::AgentBreakdown agents =
        core::BreakdownByAgent(per_agent_and_team, options.method, options.confidence_level);
    response->set_between_agent_sd(agents.between_agent_sd);
    rows = std::move(agents.rows);
  } else {
    for (const auto& g : *groups) {
      rows.push_back({GroupName(g.key, breakdown.dimension), "",
                      core::Summarize(g.counts, options.method, options.confidence_level)});
    }
  }
  const core::RankedBreakdown ranked =
      core::RankBreakdown(std::move(rows), breakdown.order, request->min_responses());
  response->set_suppressed_rows(ranked.suppressed);
  response->set_total_rows(static_cast<int32_t>(ranked.rows.size()));
  const size_t end = std::min(ranked.rows.size(), breakdown.offset + breakdown.page_size);
  for (size_t i = breakdown.offset; i < end; ++i) {
    tnps::v1::BreakdownRow* out = response->add_rows();
    out->set_key(ranked.rows[i].key);
    SummaryToProto(ranked.rows[i].summary, out->mutable_summary());
    if (by_agent) {
      out->set_shrunk_nps(ranked.rows[i].shrunk_nps);
      out->set_team_id(ranked.rows[i].team_id);
    }
  }
  if (end < ranked.rows.size()) {
    response->set_next_page_token(BreakdownPageToken(*request, end));
  }
  return grpc::Status::OK;
}

grpc::Status AnalyticsService::HandleCompareNps(const storage::Principal& principal,
                                                const tnps::v1::CompareNpsRequest* request,
                                                tnps::v1::CompareNpsResponse* response) {
  std::vector<core::FieldViolation> violations;
  std::optional<storage::RollupFilter> baseline =
      MapFilter(request->baseline(), principal.tenant_id, "baseline.", violations);
  std::optional<storage::RollupFilter> comparison =
      MapFilter(request->comparison(), principal.tenant_id, "comparison.", violations);
  const IntervalOptions options =
      MapIntervalOptions(request->interval_method(), request->confidence_level(), violations);
  if (baseline && comparison && baseline->attribute && comparison->attribute &&
      baseline->attribute->key != comparison->attribute->key) {
    violations.push_back({"comparison.attributes[0].key",
                          "must be the baseline's attribute key when both filters have one: "
                          "their overlap is counted from one key's rollups"});
  }
  ReadAfterToken(request->consistency_token(), violations);
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

grpc::Status AnalyticsService::HandleDeclareAttributeDimension(
    const storage::Principal& principal, const tnps::v1::DeclareAttributeDimensionRequest* request,
    tnps::v1::DeclareAttributeDimensionResponse* response) {
  if (std::optional<core::FieldViolation> v = AttributeKeyViolation("key", request->key())) {
    return InvalidArgument("", {*v});
  }
  absl::StatusOr<bool> created = dimensions_.Declare(principal.tenant_id, request->key());
  if (!created.ok()) return ToGrpcStatus(created.status());
  absl::StatusOr<std::vector<storage::AttributeDimension>> all =
      dimensions_.List(principal.tenant_id);
  if (!all.ok()) return ToGrpcStatus(all.status());
  for (const storage::AttributeDimension& d : *all) {
    if (d.key == request->key()) DimensionToProto(d, response->mutable_dimension());
  }
  response->set_created(*created);
  return grpc::Status::OK;
}

// Each RPC runs on the call executor; the handlers above do the work.
grpc::ServerUnaryReactor* AnalyticsService::GetNps(grpc::CallbackServerContext* context,
                                                   const grpc::ByteBuffer* request,
                                                   grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::GetNpsRequest, tnps::v1::GetNpsResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::GetNpsRequest* in,
             tnps::v1::GetNpsResponse* out) { return HandleGetNps(principal, in, out); });
}

grpc::ServerUnaryReactor* AnalyticsService::GetNpsTrend(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request,
                                                        grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::GetNpsTrendRequest, tnps::v1::GetNpsTrendResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::GetNpsTrendRequest* in,
             tnps::v1::GetNpsTrendResponse* out) { return HandleGetNpsTrend(principal, in, out); });
}

grpc::ServerUnaryReactor* AnalyticsService::GetNpsBreakdown(grpc::CallbackServerContext* context,
                                                            const grpc::ByteBuffer* request,
                                                            grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::GetNpsBreakdownRequest, tnps::v1::GetNpsBreakdownResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::GetNpsBreakdownRequest* in,
             tnps::v1::GetNpsBreakdownResponse* out) {
        return HandleGetNpsBreakdown(principal, in, out);
      });
}

grpc::ServerUnaryReactor* AnalyticsService::CompareNps(grpc::CallbackServerContext* context,
                                                       const grpc::ByteBuffer* request,
                                                       grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::CompareNpsRequest, tnps::v1::CompareNpsResponse>(
      context, core::Role::kRead, request, response,
      [this](const storage::Principal& principal, const tnps::v1::CompareNpsRequest* in,
             tnps::v1::CompareNpsResponse* out) { return HandleCompareNps(principal, in, out); });
}

}  // namespace tnps::services

namespace tnps::services {

grpc::ServerUnaryReactor* AnalyticsService::DeclareAttributeDimension(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::DeclareAttributeDimensionRequest,
                          tnps::v1::DeclareAttributeDimensionResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal,
             const tnps::v1::DeclareAttributeDimensionRequest* in,
             tnps::v1::DeclareAttributeDimensionResponse* out) {
        return HandleDeclareAttributeDimension(principal, in, out);
      });
}

grpc::ServerUnaryReactor* AnalyticsService::ListAttributeDimensions(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return executor_
      .RunRaw<tnps::v1::ListAttributeDimensionsRequest, tnps::v1::ListAttributeDimensionsResponse>(
          context, core::Role::kRead, request, response,
          [this](const storage::Principal& principal,
                 const tnps::v1::ListAttributeDimensionsRequest*,
                 tnps::v1::ListAttributeDimensionsResponse* out) {
            absl::StatusOr<std::vector<storage::AttributeDimension>> all =
                dimensions_.List(principal.tenant_id);
            if (!all.ok()) return ToGrpcStatus(all.status());
            for (const storage::AttributeDimension& d : *all) {
              DimensionToProto(d, out->add_dimensions());
            }
            out->set_max_dimensions(storage::kMaxAttributeDimensions);
            return grpc::Status::OK;
          });
}

grpc::ServerUnaryReactor* AnalyticsService::RemoveAttributeDimension(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
    grpc::ByteBuffer* response) {
  return executor_.RunRaw<tnps::v1::RemoveAttributeDimensionRequest,
                          tnps::v1::RemoveAttributeDimensionResponse>(
      context, core::Role::kAdmin, request, response,
      [this](const storage::Principal& principal,
             const tnps::v1::RemoveAttributeDimensionRequest* in,
             tnps::v1::RemoveAttributeDimensionResponse*) {
        if (std::optional<core::FieldViolation> v = AttributeKeyViolation("key", in->key())) {
          return InvalidArgument("", {*v});
        }
        return ToGrpcStatus(dimensions_.Remove(principal.tenant_id, in->key()));
      });
}

}  // namespace tnps::services
