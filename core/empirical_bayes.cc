#include "core/empirical_bayes.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"

namespace tnps::core {
namespace {

struct Team {
  NpsCounts counts;
  double mean = 0;      // pooled NPS, points
  double variance = 0;  // variance of one response's y, points²
  double sum_w = 0;
  double sum_w2 = 0;
};

double MeanPoints(const NpsCounts& c) {
  const double n = static_cast<double>(c.responses());
  return n > 0 ? 100.0 * (c.promoters - c.detractors) / n : 0;
}

double VariancePoints(const NpsCounts& c) {
  const double n = static_cast<double>(c.responses());
  if (n <= 0) return 0;
  const double p = c.promoters / n;
  const double d = c.detractors / n;
  return 10000.0 * std::max(0.0, p + d - (p - d) * (p - d));
}

}  // namespace

ShrinkageResult ShrinkTowardTeams(const std::vector<AgentCounts>& agents) {
  absl::flat_hash_map<std::string, Team> teams;
  for (const AgentCounts& a : agents) teams[a.team_id].counts += a.counts;
  for (auto& [id, team] : teams) {
    team.mean = MeanPoints(team.counts);
    team.variance = VariancePoints(team.counts);
  }

  // DerSimonian–Laird with a mean per team: Q = Σ w (y − μ_team)²,
  // E[Q] = (k − T) + τ² (Σw − Σ_team Σw²/Σw).
  double q = 0;
  double sum_w = 0;
  int k = 0;
  for (const AgentCounts& a : agents) {
    Team& team = teams[a.team_id];
    const int64_t n = a.counts.responses();
    if (n == 0 || team.variance <= 0) continue;
    const double w = n / team.variance;
    const double deviation = MeanPoints(a.counts) - team.mean;
    q += w * deviation * deviation;
    sum_w += w;
    team.sum_w += w;
    team.sum_w2 += w * w;
    ++k;
  }
  int contributing_teams = 0;
  double correction = 0;
  for (const auto& [id, team] : teams) {
    if (team.sum_w <= 0) continue;
    ++contributing_teams;
    correction += team.sum_w2 / team.sum_w;
  }
  const double denominator = sum_w - correction;
  const double tau2 =
      denominator > 0 ? std::max(0.0, (q - (k - contributing_teams)) / denominator) : 0.0;

  ShrinkageResult result;
  result.between_agent_sd = std::sqrt(tau2);
  result.shrunk_nps.reserve(agents.size());
  for (const AgentCounts& a : agents) {
    const Team& team = teams[a.team_id];
    const int64_t n = a.counts.responses();
    if (n == 0) {
      result.shrunk_nps.push_back(team.mean);
      continue;
    }
    const double observed = MeanPoints(a.counts);
    if (team.variance <= 0) {  // every response in the team is the same value
      result.shrunk_nps.push_back(observed);
      continue;
    }
    const double noise = team.variance / n;
    const double weight = tau2 / (tau2 + noise);
    result.shrunk_nps.push_back(team.mean + weight * (observed - team.mean));
  }
  return result;
}

}  // namespace tnps::core
