#include "core/trend_plan.h"

#include <algorithm>

namespace tnps::core {

TrendPlan PlanTrend(const DayRange& range, BucketSize bucket, int rolling_window_days,
                    bool include_deltas) {
  TrendPlan plan;
  plan.read = range;
  const int w = rolling_window_days;
  for (const DayRange& b : BucketsCovering(range, bucket)) {
    TrendPoint point{b, b, b};
    if (w > 0) {
      point.window = RollingWindow(b.last, w);
      point.previous = RollingWindow(b.last - w, w);
    } else if (plan.points.empty()) {
      point.previous = {BucketStart(b.first - 1, bucket), b.first - 1};
    } else {
      point.previous = plan.points.back().window;
    }
    plan.read.first = std::min(plan.read.first, point.window.first);
    if (include_deltas) plan.read.first = std::min(plan.read.first, point.previous.first);
    plan.points.push_back(point);
  }
  return plan;
}

}  // namespace tnps::core
