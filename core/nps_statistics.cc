#include "core/nps_statistics.h"

#include <algorithm>
#include <cmath>

#include "core/normal_distribution.h"

namespace tnps::core {
namespace {

// Mean and standard error of y ∈ {−1, 0, 1} from (possibly fractional) counts.
struct Moments {
  double mean = 0;
  double se = 0;
};

Moments MomentsOf(double promoters, double detractors, double n) {
  if (n <= 0) return {};
  const double p = promoters / n;
  const double d = detractors / n;
  const double variance = std::max(0.0, p + d - (p - d) * (p - d));
  return {p - d, std::sqrt(variance / n)};
}

double Z(double confidence_level) { return NormalQuantile(0.5 + confidence_level / 2); }

}  // namespace

NpsSummary Summarize(const NpsCounts& counts, IntervalMethod method, double confidence_level) {
  NpsSummary s;
  s.counts = counts;
  s.method = method;
  s.confidence_level = confidence_level;
  const int64_t n = counts.responses();
  s.empty = n == 0;
  s.low_sample = n < kLowSampleResponses;
  if (s.empty) return s;
  const Moments raw = MomentsOf(counts.promoters, counts.detractors, n);
  s.nps = 100 * raw.mean;
  s.promoter_percent = 100.0 * counts.promoters / n;
  s.passive_percent = 100.0 * counts.passives / n;
  s.detractor_percent = 100.0 * counts.detractors / n;
  Moments interval = raw;
  if (method == IntervalMethod::kAdjustedWald) {
    interval = MomentsOf(counts.promoters + 0.75, counts.detractors + 0.75, n + 3.0);
  }
  const double z = Z(confidence_level);
  s.standard_error = 100 * interval.se;
  s.margin_of_error = z * s.standard_error;
  // An interval for a mean of values in −100..100 never leaves that range.
  s.ci_low = std::max(-100.0, 100 * interval.mean - s.margin_of_error);
  s.ci_high = std::min(100.0, 100 * interval.mean + s.margin_of_error);
  return s;
}

NpsDifference CompareIndependent(const NpsCounts& earlier, const NpsCounts& later,
                                 double confidence_level) {
  NpsDifference d;
  d.confidence_level = confidence_level;
  const Moments a = MomentsOf(earlier.promoters, earlier.detractors, earlier.responses());
  const Moments b = MomentsOf(later.promoters, later.detractors, later.responses());
  d.delta = 100 * (b.mean - a.mean);
  const double se = 100 * std::sqrt(a.se * a.se + b.se * b.se);
  d.defined = earlier.responses() > 0 && later.responses() > 0 && se > 0;
  if (!d.defined) return d;
  d.standard_error = se;
  const double margin = Z(confidence_level) * se;
  d.ci_low = d.delta - margin;
  d.ci_high = d.delta + margin;
  d.z = d.delta / se;
  d.p_value = TwoSidedPValue(d.z);
  return d;
}

}  // namespace tnps::core
