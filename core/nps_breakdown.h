// A breakdown of NPS by agent, team or channel as a leaderboard: agents
// merged over the teams they answered for, small rows suppressed (and
// counted), the rest ranked.
#ifndef TNPS_CORE_NPS_BREAKDOWN_H_
#define TNPS_CORE_NPS_BREAKDOWN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "core/empirical_bayes.h"
#include "core/nps_statistics.h"

namespace tnps::core {

enum class BreakdownOrder { kNpsDesc, kNpsAsc, kResponsesDesc, kShrunkNpsDesc, kKeyAsc };

struct BreakdownRow {
  // Agent id, team id or channel name.
  std::string key;
  // For agents: the team the agent is compared with.
  std::string team_id;
  NpsSummary summary;
  // For agents: the empirical-Bayes NPS (core/empirical_bayes.h).
  double shrunk_nps = 0;
};

// Counts per agent and team to counts per agent, in agent id order. An
// agent that answered for several teams is compared with the team of most
// of its responses (on a tie, the first team id).
std::vector<AgentCounts> MergeAgentTeams(const std::vector<AgentCounts>& per_agent_and_team);

struct AgentBreakdown {
  std::vector<BreakdownRow> rows;
  // ShrinkageResult::between_agent_sd.
  double between_agent_sd = 0;
};

// One row per agent (merged over teams), summarized, with the shrinkage
// estimated from every agent, before suppression hides any.
AgentBreakdown BreakdownByAgent(const std::vector<AgentCounts>& per_agent_and_team,
                                IntervalMethod method, double confidence_level);

struct RankedBreakdown {
  std::vector<BreakdownRow> rows;
  // Rows dropped for having fewer than min_responses responses.
  int suppressed = 0;
};

// Drops rows under `min_responses` and sorts the rest by `order`, ties
// broken by key so that pages are stable.
RankedBreakdown RankBreakdown(std::vector<BreakdownRow> rows, BreakdownOrder order,
                              int64_t min_responses);

}  // namespace tnps::core

#endif  // TNPS_CORE_NPS_BREAKDOWN_H_
