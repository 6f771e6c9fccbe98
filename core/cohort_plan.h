// How small an uplift a planned training cohort could detect, from the
// variance of the tenant's own responses (docs/training-impact.md).
#ifndef TNPS_CORE_COHORT_PLAN_H_
#define TNPS_CORE_COHORT_PLAN_H_

#include <cstdint>
#include <vector>

#include "core/nps_statistics.h"

namespace tnps::core {

// One-way analysis of variance of y (NPS points) over agents.
struct ResponseVariance {
  // Total SD of one response's y: √(between-agent + within-agent variance).
  double response_sd = 0;
  // The between-agent share of the variance, in [0, 1).
  double intra_agent_correlation = 0;
  int64_t responses = 0;
  int agents = 0;
  // False with fewer than 2 agents or fewer responses than agents + 1.
  bool defined = false;
};

// `agents` holds each agent's counts over the history window.
ResponseVariance EstimateResponseVariance(const std::vector<NpsCounts>& agents);

struct CohortDesign {
  int treated_agents = 0;
  int comparison_agents = 0;
  double responses_per_agent_per_week = 0;
  // Weeks measured before and after training (the same number of each).
  int weeks = 0;
  double significance = 0.05;
  double power = 0.8;
};

struct DetectableEffect {
  double minimum_detectable_effect = 0;
  double standard_error = 0;
  // 1 + (m − 1)·ICC for m responses per agent in a window.
  double design_effect = 1;
  bool defined = false;
};

// MDE = (z₁₋α/₂ + z_power)·SE, SE² the sum over the four means of a
// difference-in-differences (treated and comparison, before and after) of
// σ²·DE / (agents·m). Conservative: it does not credit the agent effects
// that cancel between an agent's own before and after.
DetectableEffect MinimumDetectableEffect(const CohortDesign& design,
                                         const ResponseVariance& variance);

}  // namespace tnps::core

#endif  // TNPS_CORE_COHORT_PLAN_H_
