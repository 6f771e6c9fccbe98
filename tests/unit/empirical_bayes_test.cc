#include "core/empirical_bayes.h"

#include <gtest/gtest.h>

#include <cmath>

namespace tnps::core {
namespace {

TEST(EmpiricalBayes, SmallSamplesMoveFurtherTowardTheTeamThanLargeOnes) {
  // Team of many agents with real differences, plus a lucky newcomer with
  // 3 promoters out of 3.
  std::vector<AgentCounts> agents;
  for (int i = 0; i < 20; ++i) {
    const int promoters = 40 + 2 * i;  // agent NPS from 10 to 48, 100 responses each
    agents.push_back(
        {"a" + std::to_string(i),
         "t",
         {.promoters = promoters, .passives = 100 - promoters - 30, .detractors = 30}});
  }
  agents.push_back({"lucky", "t", {.promoters = 3}});
  ShrinkageResult result = ShrinkTowardTeams(agents);
  ASSERT_EQ(result.shrunk_nps.size(), agents.size());
  EXPECT_GT(result.between_agent_sd, 5);
  const double lucky = result.shrunk_nps.back();
  const double best_large = result.shrunk_nps[19];
  EXPECT_LT(lucky, best_large);  // no longer tops the board
  // The pooled team NPS: (1180 + 3) promoters minus 600 detractors, over 2003.
  const double team = 100.0 * (1183 - 600) / 2003;
  const double kept_small = (lucky - team) / (100 - team);
  const double kept_large = (best_large - team) / (48 - team);
  EXPECT_GT(kept_small, 0);
  EXPECT_LT(kept_small, 0.1);  // 3 responses: almost all luck
  EXPECT_GT(kept_large, 0.3);  // 100 responses: much of it real
  EXPECT_LT(kept_large, 1);
}

TEST(EmpiricalBayes, NoRealDifferencesShrinkEveryoneToTheTeam) {
  std::vector<AgentCounts> agents;
  for (int i = 0; i < 10; ++i) {
    agents.push_back(
        {"a" + std::to_string(i), "t", {.promoters = 50, .passives = 30, .detractors = 20}});
  }
  ShrinkageResult result = ShrinkTowardTeams(agents);
  EXPECT_EQ(result.between_agent_sd, 0);
  for (double v : result.shrunk_nps) EXPECT_NEAR(v, 30, 1e-9);
}

TEST(EmpiricalBayes, AgentsShrinkTowardTheirOwnTeam) {
  std::vector<AgentCounts> agents = {
      {"a1", "good", {.promoters = 80, .passives = 10, .detractors = 10}},
      {"a2", "good", {.promoters = 70, .passives = 20, .detractors = 10}},
      {"b1", "poor", {.promoters = 20, .passives = 30, .detractors = 50}},
      {"b2", "poor", {.promoters = 1}},
  };
  ShrinkageResult result = ShrinkTowardTeams(agents);
  // b2's single promoter is pulled toward its team (NPS about −28), not the company.
  EXPECT_LT(result.shrunk_nps[3], 20);
  for (double v : result.shrunk_nps) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace tnps::core
