#include "core/cohort_plan.h"

#include <algorithm>
#include <cmath>

#include "core/normal_distribution.h"

namespace tnps::core {

ResponseVariance EstimateResponseVariance(const std::vector<NpsCounts>& agents) {
  ResponseVariance out;
  double total_sum = 0;
  double within_ss = 0;  // Σ over agents of Σ(y − ȳᵢ)²
  double sum_n_squared = 0;
  for (const NpsCounts& c : agents) {
    const double n = static_cast<double>(c.responses());
    if (n == 0) continue;
    const double sum = 100.0 * (c.promoters - c.detractors);
    const double sum_squares = 100.0 * 100.0 * (c.promoters + c.detractors);
    within_ss += sum_squares - sum * sum / n;
    total_sum += sum;
    sum_n_squared += n * n;
    out.responses += c.responses();
    ++out.agents;
  }
  const double n_total = static_cast<double>(out.responses);
  const int k = out.agents;
  if (k < 2 || out.responses <= k) return out;
  const double grand_mean = total_sum / n_total;
  double between_ss = 0;
  for (const NpsCounts& c : agents) {
    const double n = static_cast<double>(c.responses());
    if (n == 0) continue;
    const double mean = 100.0 * (c.promoters - c.detractors) / n;
    between_ss += n * (mean - grand_mean) * (mean - grand_mean);
  }
  const double ms_between = between_ss / (k - 1);
  const double ms_within = within_ss / (n_total - k);
  // The average group size adjusted for unequal sizes (Searle).
  const double n0 = (n_total - sum_n_squared / n_total) / (k - 1);
  const double between_var = std::max(0.0, (ms_between - ms_within) / n0);
  const double total_var = between_var + ms_within;
  if (total_var <= 0) return out;
  out.response_sd = std::sqrt(total_var);
  out.intra_agent_correlation = between_var / total_var;
  out.defined = true;
  return out;
}

DetectableEffect MinimumDetectableEffect(const CohortDesign& design,
                                         const ResponseVariance& variance) {
  DetectableEffect out;
  const double m = design.responses_per_agent_per_week * design.weeks;
  if (!variance.defined || design.treated_agents <= 0 || design.comparison_agents <= 0 || m <= 0) {
    return out;
  }
  out.design_effect = 1 + std::max(0.0, m - 1) * variance.intra_agent_correlation;
  const double sigma2 = variance.response_sd * variance.response_sd;
  const double per_treated = sigma2 * out.design_effect / (design.treated_agents * m);
  const double per_comparison = sigma2 * out.design_effect / (design.comparison_agents * m);
  out.standard_error = std::sqrt(2 * per_treated + 2 * per_comparison);
  const double z = NormalQuantile(1 - design.significance / 2) + NormalQuantile(design.power);
  out.minimum_detectable_effect = z * out.standard_error;
  out.defined = true;
  return out;
}

}  // namespace tnps::core
