#include "core/nps_breakdown.h"

#include <algorithm>
#include <map>
#include <utility>

namespace tnps::core {

std::vector<AgentCounts> MergeAgentTeams(const std::vector<AgentCounts>& per_agent_and_team) {
  struct Merged {
    NpsCounts counts;
    int64_t main_team_responses = 0;
    std::string main_team;
  };
  std::map<std::string, Merged> agents;
  for (const AgentCounts& a : per_agent_and_team) {
    Merged& m = agents[a.agent_id];
    m.counts += a.counts;
    const int64_t n = a.counts.responses();
    if (n > m.main_team_responses || (n == m.main_team_responses && a.team_id < m.main_team)) {
      m.main_team_responses = n;
      m.main_team = a.team_id;
    }
  }
  std::vector<AgentCounts> out;
  out.reserve(agents.size());
  for (const auto& [agent_id, m] : agents) out.push_back({agent_id, m.main_team, m.counts});
  return out;
}

AgentBreakdown BreakdownByAgent(const std::vector<AgentCounts>& per_agent_and_team,
                                IntervalMethod method, double confidence_level) {
  const std::vector<AgentCounts> agents = MergeAgentTeams(per_agent_and_team);
  const ShrinkageResult shrunk = ShrinkTowardTeams(agents);
  AgentBreakdown out;
  out.between_agent_sd = shrunk.between_agent_sd;
  out.rows.reserve(agents.size());
  for (size_t i = 0; i < agents.size(); ++i) {
    out.rows.push_back({agents[i].agent_id, agents[i].team_id,
                        Summarize(agents[i].counts, method, confidence_level),
                        shrunk.shrunk_nps[i]});
  }
  return out;
}

RankedBreakdown RankBreakdown(std::vector<BreakdownRow> rows, BreakdownOrder order,
                              int64_t min_responses) {
  const auto kept = std::partition(rows.begin(), rows.end(), [&](const BreakdownRow& r) {
    return r.summary.counts.responses() >= min_responses;
  });
  RankedBreakdown out;
  out.suppressed = static_cast<int>(rows.end() - kept);
  rows.erase(kept, rows.end());
  std::sort(rows.begin(), rows.end(), [&](const BreakdownRow& a, const BreakdownRow& b) {
    const auto descending = [&](double x, double y) { return x != y ? x > y : a.key < b.key; };
    switch (order) {
      case BreakdownOrder::kNpsAsc:
        return a.summary.nps != b.summary.nps ? a.summary.nps < b.summary.nps : a.key < b.key;
      case BreakdownOrder::kResponsesDesc:
        return descending(a.summary.counts.responses(), b.summary.counts.responses());
      case BreakdownOrder::kShrunkNpsDesc:
        return descending(a.shrunk_nps, b.shrunk_nps);
      case BreakdownOrder::kKeyAsc:
        return a.key < b.key;
      case BreakdownOrder::kNpsDesc:
        break;
    }
    return descending(a.summary.nps, b.summary.nps);
  });
  out.rows = std::move(rows);
  return out;
}

}  // namespace tnps::core
