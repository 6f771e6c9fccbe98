// NPS and its uncertainty from category counts (docs/statistics.md):
// the summary every API figure is built from, and the difference of two
// independent NPS values.
#ifndef TNPS_CORE_NPS_STATISTICS_H_
#define TNPS_CORE_NPS_STATISTICS_H_

#include <cstdint>

namespace tnps::core {

struct NpsCounts {
  int64_t promoters = 0;
  int64_t passives = 0;
  int64_t detractors = 0;

  int64_t responses() const { return promoters + passives + detractors; }
  NpsCounts& operator+=(const NpsCounts& o) {
    promoters += o.promoters;
    passives += o.passives;
    detractors += o.detractors;
    return *this;
  }
  NpsCounts& operator-=(const NpsCounts& o) {
    promoters -= o.promoters;
    passives -= o.passives;
    detractors -= o.detractors;
    return *this;
  }
  friend bool operator==(const NpsCounts&, const NpsCounts&) = default;
};

enum class IntervalMethod {
  // NPS ± z·SE with SE = 100·√(v/n), v = pP + pD − (pP − pD)².
  kWald,
  // Rocks (2016): n+3, P+0.75, D+0.75 for the centre and SE; the reported
  // point estimate stays the raw NPS. Better coverage for small n.
  kAdjustedWald,
};

// Below this many responses a summary is flagged `low_sample`; it is still
// returned (suppression is the caller's `min_responses` choice).
inline constexpr int64_t kLowSampleResponses = 30;

// Every figure in NPS points (−100..100) or percent. An empty summary
// (no responses) has all figures 0 and `empty` set; nothing is NaN.
struct NpsSummary {
  NpsCounts counts;
  double nps = 0;
  double promoter_percent = 0;
  double passive_percent = 0;
  double detractor_percent = 0;
  double standard_error = 0;
  double ci_low = 0;
  double ci_high = 0;
  double margin_of_error = 0;
  IntervalMethod method = IntervalMethod::kWald;
  double confidence_level = 0.95;
  bool empty = true;
  bool low_sample = true;
};

NpsSummary Summarize(const NpsCounts& counts, IntervalMethod method = IntervalMethod::kWald,
                     double confidence_level = 0.95);

// `later` − `earlier` for two independent samples: SE = √(SE₁² + SE₂²), a z
// test and its two-sided p-value. Uses the Wald SEs of the raw counts.
// `defined` is false when either side is empty or both SEs are 0; then the
// delta is reported but SE, CI, z and p are 0 (p = 1).
struct NpsDifference {
  double delta = 0;
  double standard_error = 0;
  double ci_low = 0;
  double ci_high = 0;
  double z = 0;
  double p_value = 1;
  double confidence_level = 0.95;
  bool defined = false;
};

NpsDifference CompareIndependent(const NpsCounts& earlier, const NpsCounts& later,
                                 double confidence_level = 0.95);

}  // namespace tnps::core

#endif  // TNPS_CORE_NPS_STATISTICS_H_
