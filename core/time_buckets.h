// Calendar buckets (day, week from Monday, month, quarter) and rolling
// windows over a tenant's local days, and a daily count series that sums
// any range of days in constant time.
#ifndef TNPS_CORE_TIME_BUCKETS_H_
#define TNPS_CORE_TIME_BUCKETS_H_

#include <vector>

#include "absl/time/civil_time.h"
#include "core/nps_statistics.h"

namespace tnps::core {

enum class BucketSize { kDay, kWeek, kMonth, kQuarter };

// The first day of the bucket that contains `day`.
absl::CivilDay BucketStart(absl::CivilDay day, BucketSize size);
// The first day of the bucket after the one starting on `start`.
absl::CivilDay NextBucketStart(absl::CivilDay start, BucketSize size);

// Consecutive numbers for weeks or months (kWeek, kMonth only), as the
// difference-in-differences estimator needs: the bucket containing `day`
// gets a number one above the bucket before it, and every day after
// 1900-01-01 gets a number above 0 (0 means "never" to the estimator).
int64_t BucketNumber(absl::CivilDay day, BucketSize size);
// The first day of the bucket with that number.
absl::CivilDay BucketNumberStart(int64_t number, BucketSize size);

// Consecutive days, both ends included.
struct DayRange {
  absl::CivilDay first;
  absl::CivilDay last;
  int64_t days() const { return last - first + 1; }
  friend bool operator==(const DayRange&, const DayRange&) = default;
};

// The buckets that cover `range`, in order, the first and last clipped to it.
std::vector<DayRange> BucketsCovering(const DayRange& range, BucketSize size);

// The rolling window of `window_days` ending on `last`: (last − W, last].
DayRange RollingWindow(absl::CivilDay last, int window_days);

// The counts of one day.
struct DayCounts {
  absl::CivilDay day;
  NpsCounts counts;
};

// Counts per day over a fixed range; days without responses count zero.
class DailySeries {
 public:
  explicit DailySeries(DayRange range);
  // Adds counts to `day`; days outside the range are ignored.
  void Add(absl::CivilDay day, const NpsCounts& counts);
  // The sum over `range` ∩ the series' range.
  NpsCounts Sum(const DayRange& range) const;
  const DayRange& range() const { return range_; }

 private:
  void BuildPrefix() const;

  DayRange range_;
  std::vector<NpsCounts> days_;
  mutable std::vector<NpsCounts> prefix_;  // prefix_[i] = sum of days_[0..i)
  mutable bool prefix_valid_ = false;
};

}  // namespace tnps::core

#endif  // TNPS_CORE_TIME_BUCKETS_H_
