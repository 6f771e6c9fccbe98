// The event study's uniform band: a simulation in the manner of Callaway &
// Sant'Anna's, with a known effect path, checks that the band covers the
// whole path in about 95% of generated tenants, where the pointwise band
// covers it far less often.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "core/group_time_att.h"

namespace tnps::core {
namespace {

constexpr int kPeriods = 14;

// The true effect e periods after training: none before, then growing.
double TrueEffect(int64_t e) { return e < 0 ? 0.0 : 1.0 + 0.2 * static_cast<double>(e); }

// A tenant of 4 × `per_wave` agents trained in three waves (periods 5, 8,
// 11) or never, one observation per agent and period: agent and period
// effects, noise of SD 1, and the effect above.
std::vector<PanelRow> GenerateTenant(std::mt19937_64& random, int per_wave) {
  std::normal_distribution<double> normal(0, 1);
  std::vector<PanelRow> rows;
  int unit = 0;
  for (const auto& [group, agents] :
       {std::pair{5, per_wave}, {8, per_wave}, {11, per_wave}, {0, per_wave}}) {
    for (int a = 0; a < agents; ++a, ++unit) {
      const double agent_effect = normal(random);
      for (int t = 1; t <= kPeriods; ++t) {
        const bool trained = group > 0 && t >= group;
        rows.push_back(
            {unit, t, group,
             agent_effect + 0.3 * t + (trained ? TrueEffect(t - group) : 0.0) + normal(random)});
      }
    }
  }
  return rows;
}

struct Coverage {
  int tenants = 0;
  int uniform = 0;    // the uniform band covered every θ(e)
  int pointwise = 0;  // θ(e) ± 1.96·SE covered every θ(e)
};

Coverage Simulate(int tenants, int per_wave, int draws) {
  std::mt19937_64 random(42);
  Coverage out;
  for (int r = 0; r < tenants; ++r) {
    std::vector<PanelRow> rows = GenerateTenant(random, per_wave);
    std::vector<PanelCell> cells;
    for (const PanelRow& row : rows)
      cells.push_back({row.unit, row.period, row.group, row.outcome, 1});
    DidOptions options;
    options.control = ControlGroup::kNotYetTreated;
    options.uniform_band_draws = draws;
    options.uniform_band_seed = 1000 + r;
    absl::StatusOr<DidEstimates> est = EstimateGroupTimeAtt(cells, options);
    if (!est.ok() || !est->uniform_band_defined) {
      ADD_FAILURE() << "tenant " << r << ": no band";
      continue;
    }
    bool uniform = true;
    bool pointwise = true;
    for (const AggregateEstimate& e : est->dynamic) {
      if (!e.defined || e.standard_error <= 0) continue;
      const double miss = std::abs(e.att - TrueEffect(e.key));
      uniform = uniform && miss <= est->uniform_critical_value * e.standard_error;
      pointwise = pointwise && miss <= 1.959964 * e.standard_error;
    }
    ++out.tenants;
    out.uniform += uniform;
    out.pointwise += pointwise;
  }
  return out;
}

// 1,000 tenants of 400 agents (the demo's size), 1,000 draws each.
TEST(UniformBand, CoversTheWholeEffectPathInAbout95PercentOfTenants) {
  const Coverage c = Simulate(1000, 100, 1000);
  const double uniform = 100.0 * c.uniform / c.tenants;
  const double pointwise = 100.0 * c.pointwise / c.tenants;
  std::printf(
      "400 agents: the uniform band covered the whole path in %d of %d tenants (%.1f%%); "
      "the pointwise band in %d (%.1f%%)\n",
      c.uniform, c.tenants, uniform, c.pointwise, pointwise);
  ASSERT_EQ(c.tenants, 1000);
  EXPECT_GE(uniform, 93.0);
  EXPECT_LE(uniform, 97.0);
  // 23 event times: the pointwise band misses somewhere far more often.
  EXPECT_LT(pointwise, 80.0);
}

// Smaller tenants: the influence-function SEs are a little small with 40
// agents a wave, so the band covers somewhat less (docs/training-impact.md).
TEST(UniformBand, CoversSomewhatLessWithFortyAgentsAWave) {
  const Coverage c = Simulate(1000, 40, 1000);
  const double uniform = 100.0 * c.uniform / c.tenants;
  std::printf("160 agents: the uniform band covered the whole path in %d of %d tenants (%.1f%%)\n",
              c.uniform, c.tenants, uniform);
  EXPECT_GE(uniform, 90.0);
  EXPECT_LE(uniform, 97.0);
}

TEST(UniformBand, IsWiderThanPointwiseAndReproducibleFromItsSeed) {
  std::mt19937_64 random(7);
  std::vector<PanelCell> cells;
  for (const PanelRow& row : GenerateTenant(random, 40)) {
    cells.push_back({row.unit, row.period, row.group, row.outcome, 1});
  }
  DidOptions options;
  options.uniform_band_draws = 1000;
  absl::StatusOr<DidEstimates> a = EstimateGroupTimeAtt(cells, options);
  absl::StatusOr<DidEstimates> b = EstimateGroupTimeAtt(cells, options);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(a->uniform_band_defined);
  EXPECT_EQ(a->uniform_critical_value, b->uniform_critical_value);
  std::printf("critical value over 23 event times: %.3f\n", a->uniform_critical_value);
  // Above the pointwise 1.96, below Bonferroni's for 23 estimates (3.29).
  EXPECT_GT(a->uniform_critical_value, 1.96);
  EXPECT_LT(a->uniform_critical_value, 3.29);
  // A window of the post-training event times only needs a smaller value.
  options.uniform_band_min_event = 0;
  absl::StatusOr<DidEstimates> post = EstimateGroupTimeAtt(cells, options);
  ASSERT_TRUE(post.ok());
  EXPECT_LT(post->uniform_critical_value, a->uniform_critical_value);
  // Without draws, no band.
  options.uniform_band_draws = 0;
  absl::StatusOr<DidEstimates> none = EstimateGroupTimeAtt(cells, options);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->uniform_band_defined);
}

}  // namespace
}  // namespace tnps::core
