#include "tools/demo_data.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tnps::tools {
namespace {

constexpr double kPi = 3.14159265358979323846;
// Share of passives; promoters and detractors split the rest to hit the NPS.
constexpr double kPassiveShare = 0.3;

constexpr const char* kRegions[] = {"north", "south", "east", "west"};
constexpr const char* kPromoterComments[] = {
    "Quick and friendly, thank you.", "The agent really listened.", "Sorted in one call.", ""};
constexpr const char* kPassiveComments[] = {"Fine, took a while.", "OK in the end.", ""};
constexpr const char* kDetractorComments[] = {"Had to explain everything twice.", "Felt rushed.",
                                              "Still not fixed.", ""};

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
  out->set_nanos(0);
}

}  // namespace

DemoConfig DefaultDemoConfig(absl::CivilDay last_day) {
  DemoConfig c;
  c.last_day = last_day;
  c.first_day = last_day - 547;  // 548 days: 18 months
  c.first_wave_start = c.first_day + 182;
  return c;
}

DemoGenerator::DemoGenerator(const DemoConfig& config) : config_(config), rng_(config.seed) {
  std::normal_distribution<double> team_spread(0, 5), agent_spread(0, 8);
  std::vector<double> team_offset(static_cast<size_t>(config_.teams));
  for (double& t : team_offset) t = team_spread(rng_);
  std::uniform_int_distribution<int> tenure_days(30, 3000);
  for (int i = 0; i < config_.agents; ++i) {
    DemoAgent a;
    const int team = i % config_.teams;
    a.agent_id = absl::StrFormat("agent-%04d", i + 1);
    a.team_id = absl::StrFormat("team-%02d", team + 1);
    a.display_name = absl::StrCat("Agent ", i + 1);
    a.region = kRegions[team % 4];
    a.hire_date = config_.first_day - tenure_days(rng_);
    a.offset = team_offset[static_cast<size_t>(team)] + agent_spread(rng_);
    agents_.push_back(a);
  }
  // Waves are drawn at random, so trained and untrained agents share trends.
  std::vector<int> order(agents_.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng_);
  std::uniform_int_distribution<int> completion_offset(0, config_.wave_length_days - 1);
  for (int w = 0; w < config_.waves; ++w) {
    for (int k = 0; k < config_.agents_per_wave; ++k) {
      const size_t slot = static_cast<size_t>(w * config_.agents_per_wave + k);
      if (slot >= order.size()) break;
      DemoAgent& a = agents_[static_cast<size_t>(order[slot])];
      a.wave = w;
      a.completion_day = WaveStart(w) + completion_offset(rng_);
    }
  }
}

absl::CivilDay DemoGenerator::WaveStart(int wave) const {
  return config_.first_wave_start + wave * config_.wave_spacing_days;
}

double DemoGenerator::TrueEffect(const DemoAgent& agent, absl::CivilDay day) const {
  if (agent.wave < 0 || day <= agent.completion_day) return 0;
  if (config_.ramp_days <= 0) return config_.effect;
  const double share = static_cast<double>(day - agent.completion_day) / config_.ramp_days;
  return config_.effect * std::min(1.0, share);
}

double DemoGenerator::ModelNps(const DemoAgent& agent, absl::CivilDay day) const {
  const double years = static_cast<double>(day - config_.first_day) / 365.25;
  const int day_of_year = absl::GetYearDay(day);
  // Best in late spring, worst in late autumn (winter peaks in volume).
  const double season = config_.yearly_amplitude * std::sin(2 * kPi * (day_of_year - 45) / 365.25);
  const absl::Weekday weekday = absl::GetWeekday(day);
  const bool weekend = weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
  return config_.base_nps + config_.trend_per_year * years + season + (weekend ? -3 : 0) +
         agent.offset + TrueEffect(agent, day);
}

void DemoGenerator::ForEachDay(
    const std::function<void(absl::CivilDay, std::vector<tnps::v1::SurveyResponse>&)>& sink) {
  std::uniform_int_distribution<size_t> pick_agent(0, agents_.size() - 1);
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<int> second_of_shift(6 * 3600, 18 * 3600 - 1);
  std::uniform_int_distribution<int> answer_delay(60, 6 * 3600);
  std::vector<tnps::v1::SurveyResponse> day_responses;
  int64_t serial = 0;
  for (absl::CivilDay day = config_.first_day; day <= config_.last_day; ++day) {
    const absl::Weekday weekday = absl::GetWeekday(day);
    const bool weekend = weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday;
    // Weekdays 1.1×, weekends 0.5× the mean: (5·1.1 + 2·0.5)/7 ≈ 0.93.
    std::poisson_distribution<int> volume(config_.responses_per_day * (weekend ? 0.5 : 1.1) / 0.93);
    const int n = volume(rng_);
    day_responses.clear();
    day_responses.reserve(static_cast<size_t>(n));
    const absl::Time midnight = absl::FromCivil(day, absl::UTCTimeZone());
    for (int k = 0; k < n; ++k) {
      const DemoAgent& agent = agents_[pick_agent(rng_)];
      const double nps = std::clamp(ModelNps(agent, day), -65.0, 65.0) / 100;
      const double p_promoter = (1 - kPassiveShare + nps) / 2;
      const double p_detractor = (1 - kPassiveShare - nps) / 2;
      const double u = unit(rng_);
      int score;
      const char* comment;
      if (u < p_promoter) {
        score = unit(rng_) < 0.6 ? 10 : 9;
        comment = kPromoterComments[serial % 4];
      } else if (u < p_promoter + p_detractor) {
        const double v = unit(rng_);
        score = v < 0.35   ? 6
                : v < 0.6  ? 5
                : v < 0.75 ? 4
                : v < 0.85 ? 3
                : v < 0.92 ? 2
                : v < 0.97 ? 1
                           : 0;
        comment = kDetractorComments[serial % 4];
      } else {
        score = unit(rng_) < 0.5 ? 8 : 7;
        comment = kPassiveComments[serial % 3];
      }
      const double c = unit(rng_);
      const tnps::v1::Channel channel = c < 0.5    ? tnps::v1::CHANNEL_PHONE
                                        : c < 0.85 ? tnps::v1::CHANNEL_CHAT
                                                   : tnps::v1::CHANNEL_EMAIL;
      const absl::Time interaction = midnight + absl::Seconds(second_of_shift(rng_));
      tnps::v1::SurveyResponse r;
      r.set_external_id(absl::StrCat("demo-", config_.seed, "-", serial));
      r.set_interaction_id(absl::StrCat("call-", config_.seed, "-", serial));
      r.set_agent_id(agent.agent_id);
      r.set_team_id(agent.team_id);
      r.set_channel(channel);
      r.set_customer_ref(absl::StrCat("cust-", (serial * 7919) % 250000));
      r.set_score(score);
      r.set_comment(comment);
      SetTime(interaction, r.mutable_interaction_time());
      SetTime(interaction + absl::Seconds(answer_delay(rng_)), r.mutable_response_time());
      day_responses.push_back(std::move(r));
      ++serial;
    }
    sink(day, day_responses);
  }
}

}  // namespace tnps::tools
