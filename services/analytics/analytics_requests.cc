#include "services/analytics/analytics_requests.h"

#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "services/common/api_limits.h"

namespace tnps::services {
namespace {

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

core::BreakdownOrder MapOrder(tnps::v1::BreakdownOrder order) {
  switch (order) {
    case tnps::v1::BREAKDOWN_ORDER_NPS_ASC:
      return core::BreakdownOrder::kNpsAsc;
    case tnps::v1::BREAKDOWN_ORDER_RESPONSES_DESC:
      return core::BreakdownOrder::kResponsesDesc;
    case tnps::v1::BREAKDOWN_ORDER_SHRUNK_NPS_DESC:
      return core::BreakdownOrder::kShrunkNpsDesc;
    case tnps::v1::BREAKDOWN_ORDER_KEY_ASC:
      return core::BreakdownOrder::kKeyAsc;
    default:
      return core::BreakdownOrder::kNpsDesc;
  }
}

}  // namespace

TrendOptions CheckTrendRequest(const tnps::v1::GetNpsTrendRequest& request,
                               std::vector<core::FieldViolation>& violations) {
  TrendOptions options;
  if (std::optional<core::BucketSize> bucket = MapBucket(request.bucket())) {
    options.bucket = *bucket;
  } else {
    violations.push_back({"bucket", "must be DAY, WEEK, MONTH or QUARTER"});
  }
  options.rolling_window_days = request.rolling_window_days();
  if (options.rolling_window_days < 0 || options.rolling_window_days > kMaxRollingWindowDays) {
    violations.push_back(
        {"rolling_window_days", absl::StrCat("must be 0..", kMaxRollingWindowDays)});
  }
  return options;
}

BreakdownOptions CheckBreakdownRequest(const tnps::v1::GetNpsBreakdownRequest& request,
                                       std::vector<core::FieldViolation>& violations) {
  BreakdownOptions options;
  options.dimension = request.dimension();
  switch (options.dimension) {
    case tnps::v1::DIMENSION_AGENT:
      options.group = storage::RollupGroup::kAgentAndTeam;
      break;
    case tnps::v1::DIMENSION_TEAM:
      options.group = storage::RollupGroup::kTeam;
      break;
    case tnps::v1::DIMENSION_CHANNEL:
      options.group = storage::RollupGroup::kChannel;
      break;
    default:
      violations.push_back({"dimension", "must be AGENT, TEAM or CHANNEL"});
  }
  const tnps::v1::BreakdownOrder order = request.order();
  if (!tnps::v1::BreakdownOrder_IsValid(order)) {
    violations.push_back({"order", absl::StrCat("has unknown value ", order)});
  } else if (order == tnps::v1::BREAKDOWN_ORDER_SHRUNK_NPS_DESC &&
             options.dimension != tnps::v1::DIMENSION_AGENT) {
    violations.push_back({"order", "SHRUNK_NPS_DESC applies to agent breakdowns only"});
  }
  options.order = MapOrder(order);
  if (request.min_responses() < 0) violations.push_back({"min_responses", "must be >= 0"});
  options.page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  if (options.page_size < 1 || options.page_size > kMaxPageSize) {
    violations.push_back({"page_size", absl::StrCat("must be 1..", kMaxPageSize)});
  }
  if (!request.page_token().empty() && !absl::SimpleAtoi(request.page_token(), &options.offset)) {
    violations.push_back({"page_token", "is not a token this service issued"});
  }
  return options;
}

}  // namespace tnps::services
