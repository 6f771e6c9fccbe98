#include "core/nps_statistics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/normal_distribution.h"

namespace tnps::core {
namespace {

// The reference values of docs/statistics.md (after Rocks 2016, on the −1..1
// scale there, in NPS points here).
constexpr double kTolerance = 100 * 1e-6;
const NpsCounts kReference{.promoters = 291, .passives = 476, .detractors = 395};

TEST(NpsSummary, WaldMatchesTheReferenceExample) {
  NpsSummary s = Summarize(kReference, IntervalMethod::kWald);
  EXPECT_EQ(s.counts.responses(), 1162);
  EXPECT_NEAR(s.nps, -8.9501, kTolerance);
  EXPECT_NEAR(s.standard_error, 2.2387, kTolerance);
  EXPECT_NEAR(s.ci_low, -13.3378, kTolerance);
  EXPECT_NEAR(s.ci_high, -4.5624, kTolerance);
  EXPECT_NEAR(s.margin_of_error, (s.ci_high - s.ci_low) / 2, 1e-9);
  EXPECT_FALSE(s.empty);
  EXPECT_FALSE(s.low_sample);
}

TEST(NpsSummary, AdjustedWaldMatchesTheReferenceExampleAndKeepsTheRawEstimate) {
  NpsSummary s = Summarize(kReference, IntervalMethod::kAdjustedWald);
  EXPECT_NEAR(s.nps, -8.9501, kTolerance);  // the point estimate is not adjusted
  EXPECT_NEAR(s.standard_error, 2.2354, kTolerance);
  EXPECT_NEAR(s.ci_low, -13.3084, kTolerance);
  EXPECT_NEAR(s.ci_high, -4.5457, kTolerance);
  EXPECT_NEAR((s.ci_low + s.ci_high) / 2, -8.9270, kTolerance);  // the adjusted centre
}

TEST(NpsSummary, PercentagesTravelWithCounts) {
  NpsSummary s = Summarize({.promoters = 50, .passives = 30, .detractors = 20});
  EXPECT_DOUBLE_EQ(s.promoter_percent, 50);
  EXPECT_DOUBLE_EQ(s.passive_percent, 30);
  EXPECT_DOUBLE_EQ(s.detractor_percent, 20);
  EXPECT_DOUBLE_EQ(s.nps, 30);
}

TEST(NpsSummary, EmptyIsFlaggedAndHasNoNaN) {
  NpsSummary s = Summarize({});
  EXPECT_TRUE(s.empty);
  EXPECT_TRUE(s.low_sample);
  for (double v : {s.nps, s.standard_error, s.ci_low, s.ci_high, s.promoter_percent}) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_EQ(v, 0);
  }
}

TEST(NpsSummary, AllPromotersHasAZeroWidthWaldIntervalButNotAnAdjustedOne) {
  NpsSummary wald = Summarize({.promoters = 10}, IntervalMethod::kWald);
  EXPECT_DOUBLE_EQ(wald.nps, 100);
  EXPECT_DOUBLE_EQ(wald.ci_low, 100);
  EXPECT_TRUE(wald.low_sample);
  NpsSummary adjusted = Summarize({.promoters = 10}, IntervalMethod::kAdjustedWald);
  EXPECT_LT(adjusted.ci_low, 90);
  EXPECT_LE(adjusted.ci_high, 100);
}

TEST(NpsDifference, MatchesTheReferenceTwoSampleTest) {
  const NpsCounts first{.promoters = 50, .passives = 30, .detractors = 20};
  const NpsCounts second{.promoters = 50, .passives = 40, .detractors = 30};
  NpsDifference d = CompareIndependent(second, first);  // first − second
  EXPECT_NEAR(d.delta, 13.3333, kTolerance);
  EXPECT_NEAR(d.standard_error, 10.6883, kTolerance);
  EXPECT_NEAR(d.p_value, 0.212227, 1e-6);
  EXPECT_NEAR(d.ci_low, d.delta - 1.959964 * d.standard_error, 1e-4);
  EXPECT_TRUE(d.defined);
}

TEST(NpsDifference, UndefinedWhenASideIsEmpty) {
  NpsDifference d = CompareIndependent({}, {.promoters = 3});
  EXPECT_FALSE(d.defined);
  EXPECT_EQ(d.p_value, 1);
  EXPECT_EQ(d.standard_error, 0);
}

TEST(NormalDistribution, QuantilesAndTails) {
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.95), 1.644853626951472, 1e-12);
  EXPECT_NEAR(NormalQuantile(0.005), -2.575829303548901, 1e-12);
  EXPECT_NEAR(TwoSidedPValue(1.959963984540054), 0.05, 1e-12);
  EXPECT_NEAR(NormalCdf(0), 0.5, 1e-15);
}

}  // namespace
}  // namespace tnps::core
