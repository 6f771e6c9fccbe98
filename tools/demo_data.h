// A generated contact-centre tenant with a known training effect, for the
// demo and for recovery tests: agents in teams, staggered training waves,
// and survey responses whose NPS follows a model with weekly and yearly
// seasonality, a slow upward trend, team and agent differences, and the
// training effect ramping in after each agent's completion.
#ifndef TNPS_TOOLS_DEMO_DATA_H_
#define TNPS_TOOLS_DEMO_DATA_H_

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tnps/v1/survey_response.pb.h"

namespace tnps::tools {

struct DemoConfig {
  uint64_t seed = 1;
  int agents = 400;
  int teams = 20;
  absl::CivilDay first_day;
  absl::CivilDay last_day;
  // The mean over a week; weekends get fewer.
  double responses_per_day = 1500;
  // NPS points at full effect, and the days it takes to get there.
  double effect = 7;
  int ramp_days = 28;
  int waves = 3;
  int agents_per_wave = 100;
  // Planned start of the first wave, days between waves, and how long a
  // wave takes: each agent completes on one of those days.
  absl::CivilDay first_wave_start;
  int wave_spacing_days = 91;
  int wave_length_days = 14;
  // The model's NPS before seasonality and training, and its change per year.
  double base_nps = 30;
  double trend_per_year = 6;
  double yearly_amplitude = 5;
};

// The default shape: 18 months ending on `last_day`, waves starting six,
// nine and twelve months in.
DemoConfig DefaultDemoConfig(absl::CivilDay last_day);

struct DemoAgent {
  std::string agent_id;
  std::string team_id;
  std::string display_name;
  std::string region;
  absl::CivilDay hire_date;
  // -1: never trained.
  int wave = -1;
  absl::CivilDay completion_day;
  // Agent and team differences from the tenant's NPS, in points.
  double offset = 0;
};

class DemoGenerator {
 public:
  explicit DemoGenerator(const DemoConfig& config);

  const std::vector<DemoAgent>& agents() const { return agents_; }
  const DemoConfig& config() const { return config_; }
  // The planned first day of wave w.
  absl::CivilDay WaveStart(int wave) const;

  // The training effect on `agent` on `day`, in NPS points.
  double TrueEffect(const DemoAgent& agent, absl::CivilDay day) const;

  // Calls `sink` once per day, in order, with that day's responses.
  // Deterministic for a seed: external ids repeat, so a rerun is deduplicated.
  void ForEachDay(
      const std::function<void(absl::CivilDay, std::vector<tnps::v1::SurveyResponse>&)>& sink);

 private:
  double ModelNps(const DemoAgent& agent, absl::CivilDay day) const;

  DemoConfig config_;
  std::vector<DemoAgent> agents_;
  std::mt19937_64 rng_;
};

}  // namespace tnps::tools

#endif  // TNPS_TOOLS_DEMO_DATA_H_
