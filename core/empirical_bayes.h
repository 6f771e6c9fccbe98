// Empirical-Bayes NPS for agents, shrunk towards their team, so that an
// agent with a handful of responses does not top (or bottom) a leaderboard
// on luck. docs/statistics.md explains the model.
#ifndef TNPS_CORE_EMPIRICAL_BAYES_H_
#define TNPS_CORE_EMPIRICAL_BAYES_H_

#include <string>
#include <vector>

#include "core/nps_statistics.h"

namespace tnps::core {

struct AgentCounts {
  std::string agent_id;
  // The team the agent is compared with.
  std::string team_id;
  NpsCounts counts;
};

struct ShrinkageResult {
  // One per input agent, in input order, in NPS points.
  std::vector<double> shrunk_nps;
  // The estimated spread of true agent NPS around their team's, in NPS
  // points (τ); 0 means the data show no agent differences beyond chance.
  double between_agent_sd = 0;
};

// Normal–normal model: each agent's observed NPS is its true NPS plus
// sampling noise (variance v_team / n), true NPS vary around the team's
// pooled NPS with variance τ² (estimated by DerSimonian–Laird moments across
// all teams). The shrunk value is the posterior mean
// μ_team + τ²/(τ² + v_team/n) · (observed − μ_team).
ShrinkageResult ShrinkTowardTeams(const std::vector<AgentCounts>& agents);

}  // namespace tnps::core

#endif  // TNPS_CORE_EMPIRICAL_BAYES_H_
