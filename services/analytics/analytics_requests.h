// The checks of AnalyticsService requests beyond the shared filter
// (services/common/nps_mapping.h): trend buckets and windows, breakdown
// dimension, order and paging.
#ifndef TNPS_SERVICES_ANALYTICS_ANALYTICS_REQUESTS_H_
#define TNPS_SERVICES_ANALYTICS_ANALYTICS_REQUESTS_H_

#include <cstddef>
#include <vector>

#include "core/field_violation.h"
#include "core/nps_breakdown.h"
#include "core/time_buckets.h"
#include "storage/analytics_store.h"
#include "tnps/v1/analytics_service.pb.h"

namespace tnps::services {

inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageSize = 1000;

struct TrendOptions {
  core::BucketSize bucket = core::BucketSize::kDay;
  int rolling_window_days = 0;
};

TrendOptions CheckTrendRequest(const tnps::v1::GetNpsTrendRequest& request,
                               std::vector<core::FieldViolation>& violations);

struct BreakdownOptions {
  tnps::v1::Dimension dimension = tnps::v1::DIMENSION_AGENT;
  storage::RollupGroup group = storage::RollupGroup::kAgentAndTeam;
  core::BreakdownOrder order = core::BreakdownOrder::kNpsDesc;
  int page_size = kDefaultPageSize;
  // The first row of the page (page_token).
  size_t offset = 0;
};

BreakdownOptions CheckBreakdownRequest(const tnps::v1::GetNpsBreakdownRequest& request,
                                       std::vector<core::FieldViolation>& violations);

// The page token that continues `request` at row `offset`: opaque to
// clients, bound to the request (the same query but for page_size and
// page_token), so that a token cannot be replayed on another query, edited
// or forged into an offset of our choosing without being refused.
std::string BreakdownPageToken(const tnps::v1::GetNpsBreakdownRequest& request, size_t offset);

// The largest offset a token may carry: more rows than any breakdown has.
inline constexpr size_t kMaxBreakdownOffset = 10'000'000;

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ANALYTICS_ANALYTICS_REQUESTS_H_
