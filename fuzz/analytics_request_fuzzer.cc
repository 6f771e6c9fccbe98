// libFuzzer target: AnalyticsService request decoding and validation. The
// first byte picks the RPC; the rest is its request message as gRPC would
// decode it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/trend_plan.h"
#include "fuzz/request_bytes.h"
#include "services/analytics/analytics_requests.h"
#include "services/common/nps_mapping.h"
#include "tnps/v1/analytics_service.pb.h"

namespace {

using tnps::core::FieldViolation;
using tnps::fuzz::Parse;

void CheckTrend(const tnps::v1::GetNpsTrendRequest& request) {
  std::vector<FieldViolation> violations;
  auto filter = tnps::services::MapFilter(request.filter(), 1, "filter.", violations);
  tnps::services::MapIntervalOptions(request.interval_method(), request.confidence_level(),
                                     violations);
  const tnps::services::TrendOptions trend = tnps::services::CheckTrendRequest(request, violations);
  if (!violations.empty() || !filter) return;
  // What the handler plans to read for a request that passed.
  tnps::core::PlanTrend(filter->days, trend.bucket, trend.rolling_window_days,
                        request.include_deltas());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t rpc = data[0] % 4;
  ++data;
  --size;
  std::vector<FieldViolation> violations;
  switch (rpc) {
    case 0: {
      tnps::v1::GetNpsRequest request;
      if (!Parse(data, size, request)) return 0;
      tnps::services::MapFilter(request.filter(), 1, "filter.", violations);
      tnps::services::MapIntervalOptions(request.interval_method(), request.confidence_level(),
                                         violations);
      break;
    }
    case 1: {
      tnps::v1::GetNpsTrendRequest request;
      if (Parse(data, size, request)) CheckTrend(request);
      break;
    }
    case 2: {
      tnps::v1::GetNpsBreakdownRequest request;
      if (!Parse(data, size, request)) return 0;
      tnps::services::MapFilter(request.filter(), 1, "filter.", violations);
      tnps::services::CheckBreakdownRequest(request, violations);
      break;
    }
    case 3: {
      tnps::v1::CompareNpsRequest request;
      if (!Parse(data, size, request)) return 0;
      tnps::services::MapFilter(request.baseline(), 1, "baseline.", violations);
      tnps::services::MapFilter(request.comparison(), 1, "comparison.", violations);
      tnps::services::MapIntervalOptions(request.interval_method(), request.confidence_level(),
                                         violations);
      break;
    }
  }
  return 0;
}
