// The standard normal distribution: tail probabilities for z tests and
// quantiles for confidence intervals.
#ifndef TNPS_CORE_NORMAL_DISTRIBUTION_H_
#define TNPS_CORE_NORMAL_DISTRIBUTION_H_

namespace tnps::core {

// P(Z <= z).
double NormalCdf(double z);

// The z with P(Z <= z) = p, for 0 < p < 1 (relative error below 1e-12).
double NormalQuantile(double p);

// Two-sided p-value of a z statistic: P(|Z| >= |z|).
double TwoSidedPValue(double z);

}  // namespace tnps::core

#endif  // TNPS_CORE_NORMAL_DISTRIBUTION_H_
