// Which days each point of an NPS trend covers: calendar buckets, or a
// rolling window ending on each bucket's last day, and the earlier period
// each point's delta compares with.
#ifndef TNPS_CORE_TREND_PLAN_H_
#define TNPS_CORE_TREND_PLAN_H_

#include <vector>

#include "core/time_buckets.h"

namespace tnps::core {

struct TrendPoint {
  // The bucket, clipped to the requested range.
  DayRange bucket;
  // The days the point's NPS counts: the bucket, or the rolling window of
  // W days ending on its last day.
  DayRange window;
  // What the point's delta compares with: the W days before the window, or
  // the previous point's bucket. Before the first point: the days from the
  // start of the bucket holding the day before the range to that day (the
  // whole bucket before, when the range starts on a bucket boundary).
  DayRange previous;
};

struct TrendPlan {
  std::vector<TrendPoint> points;
  // Every day any window (and, with deltas, any previous period) touches:
  // the one range to read.
  DayRange read;
};

// `rolling_window_days` 0 means calendar buckets.
TrendPlan PlanTrend(const DayRange& range, BucketSize bucket, int rolling_window_days,
                    bool include_deltas);

}  // namespace tnps::core

#endif  // TNPS_CORE_TREND_PLAN_H_
