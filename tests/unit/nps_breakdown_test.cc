// Leaderboard rules: agents merged over teams, suppression counted, ranking
// with stable ties.
#include "core/nps_breakdown.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

BreakdownRow Row(std::string key, NpsCounts counts, double shrunk = 0) {
  return {std::move(key), "", Summarize(counts), shrunk};
}

std::vector<std::string> Keys(const RankedBreakdown& r) {
  std::vector<std::string> keys;
  for (const BreakdownRow& row : r.rows) keys.push_back(row.key);
  return keys;
}

TEST(MergeAgentTeams, SumsAnAgentsTeamsAndKeepsTheTeamOfMostResponses) {
  const std::vector<AgentCounts> merged = MergeAgentTeams({
      {"b", "t2", {1, 0, 0}},
      {"a", "t9", {1, 1, 0}},
      {"a", "t1", {0, 0, 2}},  // a tie with t9 (2 each): the first team id wins
      {"a", "t5", {1, 0, 0}},
  });
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[0].agent_id, "a");
  EXPECT_EQ(merged[0].team_id, "t1");
  EXPECT_EQ(merged[0].counts, (NpsCounts{2, 1, 2}));
  EXPECT_EQ(merged[1].agent_id, "b");
  EXPECT_EQ(merged[1].team_id, "t2");
}

TEST(RankBreakdown, CountsSuppressedRowsAndBreaksTiesByKey) {
  const std::vector<BreakdownRow> rows = {
      Row("c", {2, 0, 0}),  // NPS 100, 2 responses
      Row("a", {1, 0, 0}),  // NPS 100, 1 response: suppressed at 2
      Row("b", {3, 0, 1}),  // NPS 50
      Row("d", {1, 0, 1}),  // NPS 0
      Row("e", {4, 0, 0}),  // NPS 100, 4 responses
  };
  const RankedBreakdown desc = RankBreakdown(rows, BreakdownOrder::kNpsDesc, 2);
  EXPECT_EQ(desc.suppressed, 1);
  EXPECT_EQ(Keys(desc), (std::vector<std::string>{"c", "e", "b", "d"}));
  EXPECT_EQ(Keys(RankBreakdown(rows, BreakdownOrder::kNpsAsc, 0)),
            (std::vector<std::string>{"d", "b", "a", "c", "e"}));
  EXPECT_EQ(Keys(RankBreakdown(rows, BreakdownOrder::kResponsesDesc, 0)),
            (std::vector<std::string>{"b", "e", "c", "d", "a"}));
  EXPECT_EQ(Keys(RankBreakdown(rows, BreakdownOrder::kKeyAsc, 0)),
            (std::vector<std::string>{"a", "b", "c", "d", "e"}));
}

TEST(BreakdownByAgent, ShrinksEachAgentTowardsItsTeam) {
  // Two teams; within each, agents differ far beyond chance, so τ > 0 and
  // every shrunk value lies between the agent's NPS and its team's.
  const AgentBreakdown agents = BreakdownByAgent({{"a1", "t1", {90, 5, 5}},
                                                  {"a2", "t1", {10, 5, 85}},
                                                  {"a3", "t2", {50, 0, 50}},
                                                  {"a4", "t2", {80, 10, 10}},
                                                  {"a5", "t2", {1, 0, 0}}},
                                                 IntervalMethod::kWald, 0.95);
  ASSERT_EQ(agents.rows.size(), 5u);
  EXPECT_GT(agents.between_agent_sd, 0);
  EXPECT_EQ(agents.rows[0].key, "a1");
  EXPECT_DOUBLE_EQ(agents.rows[0].summary.nps, 85);
  EXPECT_LT(agents.rows[0].shrunk_nps, 85);
  // a5's single promoter (NPS 100) is pulled towards t2's pooled NPS,
  // (131 − 60) / 201 = 35.3.
  EXPECT_EQ(agents.rows[4].key, "a5");
  EXPECT_LT(agents.rows[4].shrunk_nps, 100);
  EXPECT_GT(agents.rows[4].shrunk_nps, 100.0 * 71 / 201);
}

}  // namespace
}  // namespace tnps::core
