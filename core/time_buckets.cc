#include "core/time_buckets.h"

#include <algorithm>

namespace tnps::core {

absl::CivilDay BucketStart(absl::CivilDay day, BucketSize size) {
  switch (size) {
    case BucketSize::kDay:
      return day;
    case BucketSize::kWeek:
      return absl::PrevWeekday(day + 1, absl::Weekday::monday);
    case BucketSize::kMonth:
      return absl::CivilDay(absl::CivilMonth(day));
    case BucketSize::kQuarter: {
      const int month = day.month() - (day.month() - 1) % 3;
      return absl::CivilDay(day.year(), month, 1);
    }
  }
  return day;
}

absl::CivilDay NextBucketStart(absl::CivilDay start, BucketSize size) {
  switch (size) {
    case BucketSize::kDay:
      return start + 1;
    case BucketSize::kWeek:
      return start + 7;
    case BucketSize::kMonth:
      return absl::CivilDay(absl::CivilMonth(start) + 1);
    case BucketSize::kQuarter:
      return absl::CivilDay(absl::CivilMonth(start) + 3);
  }
  return start + 1;
}

namespace {
// A Monday.
constexpr absl::CivilDay kNumberOrigin(1900, 1, 1);
}  // namespace

int64_t BucketNumber(absl::CivilDay day, BucketSize size) {
  if (size == BucketSize::kMonth) {
    return (day.year() - 1900) * 12 + day.month();
  }
  return (BucketStart(day, BucketSize::kWeek) - kNumberOrigin) / 7 + 1;
}

absl::CivilDay BucketNumberStart(int64_t number, BucketSize size) {
  if (size == BucketSize::kMonth) {
    return absl::CivilDay(absl::CivilMonth(1900, 1) + (number - 1));
  }
  return kNumberOrigin + (number - 1) * 7;
}

std::vector<DayRange> BucketsCovering(const DayRange& range, BucketSize size) {
  std::vector<DayRange> buckets;
  for (absl::CivilDay start = BucketStart(range.first, size); start <= range.last;
       start = NextBucketStart(start, size)) {
    const absl::CivilDay end = NextBucketStart(start, size) - 1;
    buckets.push_back({std::max(start, range.first), std::min(end, range.last)});
  }
  return buckets;
}

DayRange RollingWindow(absl::CivilDay last, int window_days) {
  return {last - (window_days - 1), last};
}

DailySeries::DailySeries(DayRange range)
    : range_(range), days_(static_cast<size_t>(std::max<int64_t>(0, range.days()))) {}

void DailySeries::Add(absl::CivilDay day, const NpsCounts& counts) {
  if (day < range_.first || day > range_.last) return;
  days_[static_cast<size_t>(day - range_.first)] += counts;
  prefix_valid_ = false;
}

void DailySeries::BuildPrefix() const {
  prefix_.assign(days_.size() + 1, NpsCounts{});
  for (size_t i = 0; i < days_.size(); ++i) {
    prefix_[i + 1] = prefix_[i];
    prefix_[i + 1] += days_[i];
  }
  prefix_valid_ = true;
}

NpsCounts DailySeries::Sum(const DayRange& range) const {
  const absl::CivilDay first = std::max(range.first, range_.first);
  const absl::CivilDay last = std::min(range.last, range_.last);
  if (first > last) return {};
  if (!prefix_valid_) BuildPrefix();
  NpsCounts sum = prefix_[static_cast<size_t>(last - range_.first) + 1];
  sum -= prefix_[static_cast<size_t>(first - range_.first)];
  return sum;
}

}  // namespace tnps::core
