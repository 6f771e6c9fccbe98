// tnpsctl demo: fills a tenant with a generated contact centre through the
// real API (roster, programme, three training waves, 18 months of
// responses) and prints what the estimators make of it next to the truth.
#include <grpcpp/grpcpp.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "tnps/v1/ingest_service.grpc.pb.h"
#include "tnps/v1/training_service.grpc.pb.h"
#include "tools/commands.h"
#include "tools/demo_data.h"
#include "tools/server_channel.h"

ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(std::string, api_key);
ABSL_FLAG(std::string, program, "Empathy training", "demo/report: the programme's name");
ABSL_FLAG(uint64_t, seed, 1, "demo: random seed (the same seed gives the same data)");
ABSL_FLAG(int, agents, 400, "demo: agents");
ABSL_FLAG(int, teams, 20, "demo: teams");
ABSL_FLAG(int, days, 548, "demo: days of responses (548 = 18 months)");
ABSL_FLAG(double, responses_per_day, 1500, "demo: mean responses per day");
ABSL_FLAG(double, effect, 7, "demo: true training effect in NPS points");
ABSL_FLAG(int, ramp_days, 28, "demo: days the effect takes to reach full strength");
ABSL_FLAG(int, agents_per_wave, 100, "demo: agents trained in each of the three waves");
ABSL_FLAG(std::string, end_date, "", "demo: last day of responses, YYYY-MM-DD (default yesterday)");

namespace tnps::tools {
namespace {

constexpr int kRowsPerMessage = 500;

class Api {
 public:
  explicit Api(std::shared_ptr<grpc::Channel> channel)
      : channel_(std::move(channel)),
        training_(tnps::v1::TrainingService::NewStub(channel_)),
        ingest_(tnps::v1::IngestService::NewStub(channel_)) {}

  void Authorize(grpc::ClientContext& context) const {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", absl::GetFlag(FLAGS_api_key)));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(5));
  }
  tnps::v1::TrainingService::Stub& training() { return *training_; }
  tnps::v1::IngestService::Stub& ingest() { return *ingest_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<tnps::v1::TrainingService::Stub> training_;
  std::unique_ptr<tnps::v1::IngestService::Stub> ingest_;
};

bool Check(const grpc::Status& status, const char* what) {
  if (status.ok()) return true;
  std::fprintf(stderr, "tnpsctl demo: %s failed: %s (%d)\n", what, status.error_message().c_str(),
               static_cast<int>(status.error_code()));
  return false;
}

void SetDate(absl::CivilDay day, tnps::v1::Date* out) {
  out->set_year(static_cast<int32_t>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

void SetTime(absl::Time t, google::protobuf::Timestamp* out) {
  out->set_seconds(absl::ToUnixSeconds(t));
}

std::string Date(const tnps::v1::Date& d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

// Roster, programme, cohorts and enrolments; the programme id, or 0.
int64_t CreateTraining(Api& api, DemoGenerator& demo, std::vector<int64_t>& cohort_ids) {
  tnps::v1::UpsertAgentsRequest roster;
  for (const DemoAgent& a : demo.agents()) {
    tnps::v1::Agent* agent = roster.add_agents();
    agent->set_agent_id(a.agent_id);
    agent->set_display_name(a.display_name);
    agent->set_team_id(a.team_id);
    agent->set_region(a.region);
    SetDate(a.hire_date, agent->mutable_hire_date());
    agent->set_active(true);
  }
  {
    grpc::ClientContext context;
    api.Authorize(context);
    tnps::v1::UpsertAgentsResponse response;
    if (!Check(api.training().UpsertAgents(&context, roster, &response), "UpsertAgents")) return 0;
  }
  tnps::v1::CreateProgramRequest create;
  tnps::v1::Program* program = create.mutable_program();
  program->set_name(absl::GetFlag(FLAGS_program));
  program->set_description("Two half-day workshops on active listening and empathetic language.");
  program->set_hours_per_participant(8);
  program->set_cost_per_hour_micros(45'000'000);
  program->set_currency_code("EUR");
  tnps::v1::CreateProgramResponse created;
  {
    grpc::ClientContext context;
    api.Authorize(context);
    if (!Check(api.training().CreateProgram(&context, create, &created), "CreateProgram")) return 0;
  }
  const DemoConfig& config = demo.config();
  for (int w = 0; w < config.waves; ++w) {
    tnps::v1::CreateCohortRequest cohort_request;
    tnps::v1::Cohort* cohort = cohort_request.mutable_cohort();
    cohort->set_program_id(created.program().program_id());
    cohort->set_name(absl::StrCat("Wave ", w + 1));
    SetDate(demo.WaveStart(w), cohort->mutable_planned_start_date());
    SetDate(demo.WaveStart(w) + (config.wave_length_days - 1), cohort->mutable_planned_end_date());
    tnps::v1::CreateCohortResponse cohort_created;
    {
      grpc::ClientContext context;
      api.Authorize(context);
      if (!Check(api.training().CreateCohort(&context, cohort_request, &cohort_created),
                 "CreateCohort")) {
        return 0;
      }
    }
    const int64_t cohort_id = cohort_created.cohort().cohort_id();
    cohort_ids.push_back(cohort_id);
    tnps::v1::EnrollAgentsRequest enroll;
    tnps::v1::RecordCompletionsRequest complete;
    enroll.set_cohort_id(cohort_id);
    complete.set_cohort_id(cohort_id);
    SetTime(absl::FromCivil(demo.WaveStart(w) - 7, absl::UTCTimeZone()),
            enroll.mutable_enroll_time());
    for (const DemoAgent& a : demo.agents()) {
      if (a.wave != w) continue;
      enroll.add_agent_ids(a.agent_id);
      tnps::v1::Completion* c = complete.add_completions();
      c->set_agent_id(a.agent_id);
      SetTime(absl::FromCivil(a.completion_day, absl::UTCTimeZone()) + absl::Hours(15),
              c->mutable_completion_time());
    }
    grpc::ClientContext enroll_context, complete_context;
    api.Authorize(enroll_context);
    api.Authorize(complete_context);
    tnps::v1::EnrollAgentsResponse enrolled;
    tnps::v1::RecordCompletionsResponse recorded;
    if (!Check(api.training().EnrollAgents(&enroll_context, enroll, &enrolled), "EnrollAgents") ||
        !Check(api.training().RecordCompletions(&complete_context, complete, &recorded),
               "RecordCompletions")) {
      return 0;
    }
  }
  return created.program().program_id();
}

bool StreamResponses(Api& api, DemoGenerator& demo) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", absl::GetFlag(FLAGS_api_key)));
  tnps::v1::StreamResponsesResponse summary;
  auto stream = api.ingest().StreamResponses(&context, &summary);
  tnps::v1::StreamResponsesRequest message;
  bool ok = true;
  int64_t sent = 0;
  const absl::Time start = absl::Now();
  demo.ForEachDay([&](absl::CivilDay day, std::vector<tnps::v1::SurveyResponse>& responses) {
    for (auto& r : responses) {
      if (!ok) return;
      *message.add_responses() = std::move(r);
      if (message.responses_size() == kRowsPerMessage) {
        ok = stream->Write(message);
        sent += message.responses_size();
        message.Clear();
      }
    }
    if (day.day() == 1) {
      std::fprintf(stderr, "  responses through %04d-%02d: %lld sent\n",
                   static_cast<int>(day.year()), day.month(), static_cast<long long>(sent));
    }
  });
  if (ok && message.responses_size() > 0) {
    ok = stream->Write(message);
    sent += message.responses_size();
  }
  stream->WritesDone();
  if (!Check(stream->Finish(), "StreamResponses")) return false;
  std::printf("responses: %lld sent, %lld stored, %lld already there, %lld rejected (%.0f s)\n",
              static_cast<long long>(sent), static_cast<long long>(summary.accepted_count()),
              static_cast<long long>(summary.duplicate_count()),
              static_cast<long long>(summary.rejected_count() + summary.conflict_count()),
              absl::ToDoubleSeconds(absl::Now() - start));
  return summary.rejected_count() == 0 && summary.conflict_count() == 0;
}

std::string Estimate(double value, double low, double high) {
  return absl::StrFormat("%+.1f NPS points (95%% CI %+.1f to %+.1f)", value, low, high);
}

// What the estimators say, next to the truth the data were generated with.
bool PrintImpact(Api& api, int64_t program_id, const std::vector<int64_t>& cohort_ids) {
  tnps::v1::GetProgramImpactRequest request;
  request.set_program_id(program_id);
  request.set_period(tnps::v1::PERIOD_WEEK);
  request.set_control(tnps::v1::CONTROL_GROUP_NOT_YET_TREATED);
  if (!absl::GetFlag(FLAGS_end_date).empty()) {
    absl::CivilDay end;
    absl::ParseCivilTime(absl::GetFlag(FLAGS_end_date), &end);
    SetDate(end - (absl::GetFlag(FLAGS_days) - 1), request.mutable_start_date());
    SetDate(end, request.mutable_end_date());
  }
  tnps::v1::GetProgramImpactResponse impact;
  grpc::ClientContext context;
  api.Authorize(context);
  if (!Check(api.training().GetProgramImpact(&context, request, &impact), "GetProgramImpact")) {
    return false;
  }
  const auto& s = impact.simple();
  std::printf("\nProgramme \"%s\" (id %lld): %d agents trained, %d never trained, %lld responses\n",
              impact.program().name().c_str(), static_cast<long long>(program_id),
              impact.treated_agents(), impact.never_treated_agents(),
              static_cast<long long>(impact.responses()));
  std::printf("  true effect in the generated data:  %+.1f NPS points, ramping in over %d days\n",
              absl::GetFlag(FLAGS_effect), absl::GetFlag(FLAGS_ramp_days));
  std::printf("  estimated uplift (staggered DiD):   %s, p = %.2g\n",
              Estimate(s.att(), s.ci_low(), s.ci_high()).c_str(), s.p_value());
  for (const auto& d : impact.dynamic()) {
    if (d.event_time() == 8) {
      std::printf("  eight weeks after training:         %s\n",
                  Estimate(d.att(), d.ci_low(), d.ci_high()).c_str());
    }
  }
  std::printf("  pre-trend test (12 weekly leads):   chi2 %.1f, df %d, p = %.2f\n",
              impact.pretrend_leads().chi_squared(), impact.pretrend_leads().degrees_of_freedom(),
              impact.pretrend_leads().p_value());
  if (impact.cost().cost_per_nps_point_defined()) {
    std::printf("  cost: %.0f training hours, %.0f %s; %.0f %s per NPS point\n",
                impact.cost().training_hours(), impact.cost().total_cost_micros() / 1e6,
                impact.cost().currency_code().c_str(),
                impact.cost().cost_per_nps_point_micros() / 1e6,
                impact.cost().currency_code().c_str());
  }
  for (size_t i = 0; i < cohort_ids.size(); ++i) {
    tnps::v1::GetCohortUpliftRequest uplift_request;
    uplift_request.set_cohort_id(cohort_ids[i]);
    uplift_request.set_pre_days(90);
    uplift_request.set_post_days(90);
    uplift_request.set_washout_days(14);
    tnps::v1::GetCohortUpliftResponse uplift;
    grpc::ClientContext uplift_context;
    api.Authorize(uplift_context);
    if (!Check(api.training().GetCohortUplift(&uplift_context, uplift_request, &uplift),
               "GetCohortUplift")) {
      return false;
    }
    const auto& naive = uplift.naive_delta();
    const auto& did = uplift.uplift();
    std::printf("  %s (90 days before vs after, 14-day washout):\n",
                uplift.cohort().name().c_str());
    std::printf("    naive before/after:  %s  <- also counts trend and season\n",
                Estimate(naive.delta(), naive.ci_low(), naive.ci_high()).c_str());
    std::printf("    vs comparison:       %s  (%d comparison agents, %s to %s)\n",
                Estimate(did.estimate(), did.ci_low(), did.ci_high()).c_str(),
                uplift.comparison_agents(), Date(uplift.comparison_pre_start()).c_str(),
                Date(uplift.comparison_post_end()).c_str());
  }
  return true;
}

}  // namespace

int RunDemo(const Args& args) {
  if (!args.empty()) {
    std::fprintf(stderr, "usage: tnpsctl demo [--seed N] [--agents N] ... (see --help)\n");
    return kExitUsage;
  }
  if (absl::GetFlag(FLAGS_api_key).empty()) {
    std::fprintf(stderr, "tnpsctl demo: needs an admin key (--api-key or TNPS_API_KEY)\n");
    return kExitUsage;
  }
  absl::CivilDay last_day = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) - 1;
  if (!absl::GetFlag(FLAGS_end_date).empty() &&
      !absl::ParseCivilTime(absl::GetFlag(FLAGS_end_date), &last_day)) {
    std::fprintf(stderr, "tnpsctl demo: --end-date must be YYYY-MM-DD\n");
    return kExitUsage;
  }
  DemoConfig config = DefaultDemoConfig(last_day);
  config.seed = absl::GetFlag(FLAGS_seed);
  config.agents = absl::GetFlag(FLAGS_agents);
  config.teams = absl::GetFlag(FLAGS_teams);
  const int days = absl::GetFlag(FLAGS_days);
  config.first_day = last_day - (days - 1);
  // Waves a third, half and two thirds of the way in, as 6, 9 and 12 of 18 months.
  config.first_wave_start = config.first_day + days / 3;
  config.wave_spacing_days = days / 6;
  config.responses_per_day = absl::GetFlag(FLAGS_responses_per_day);
  config.effect = absl::GetFlag(FLAGS_effect);
  config.ramp_days = absl::GetFlag(FLAGS_ramp_days);
  config.agents_per_wave = absl::GetFlag(FLAGS_agents_per_wave);
  if (config.agents < 2 || config.teams < 1 || days < 60 || config.responses_per_day <= 0 ||
      config.agents_per_wave * config.waves >= config.agents) {
    std::fprintf(stderr,
                 "tnpsctl demo: needs at least 60 days, and more agents than the three waves "
                 "train\n");
    return kExitUsage;
  }

  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenServerChannel();
  if (!channel.ok()) {
    std::fprintf(stderr, "tnpsctl demo: %s\n", std::string(channel.status().message()).c_str());
    return kExitUsage;
  }
  Api api(*std::move(channel));
  {
    tnps::v1::ListProgramsResponse programs;
    grpc::ClientContext context;
    api.Authorize(context);
    if (!Check(api.training().ListPrograms(&context, {}, &programs), "ListPrograms")) {
      return kExitFailed;
    }
    for (const auto& p : programs.programs()) {
      if (p.name() != absl::GetFlag(FLAGS_program)) continue;
      std::printf("programme \"%s\" exists already: showing its impact, generating nothing\n",
                  p.name().c_str());
      tnps::v1::ListCohortsRequest list;
      list.set_program_id(p.program_id());
      tnps::v1::ListCohortsResponse cohorts;
      grpc::ClientContext list_context;
      api.Authorize(list_context);
      if (!Check(api.training().ListCohorts(&list_context, list, &cohorts), "ListCohorts")) {
        return kExitFailed;
      }
      std::vector<int64_t> ids;
      for (const auto& c : cohorts.cohorts()) ids.push_back(c.cohort_id());
      return PrintImpact(api, p.program_id(), ids) ? kExitOk : kExitFailed;
    }
  }
  DemoGenerator demo(config);
  std::printf(
      "generating %d agents in %d teams, %d days from %04d-%02d-%02d, ~%.0f responses a "
      "day, seed %llu\n",
      config.agents, config.teams, days, static_cast<int>(config.first_day.year()),
      config.first_day.month(), config.first_day.day(), config.responses_per_day,
      static_cast<unsigned long long>(config.seed));
  // Responses first: agents first seen through ingest are then updated by the roster sync.
  if (!StreamResponses(api, demo)) return kExitFailed;
  std::vector<int64_t> cohort_ids;
  const int64_t program_id = CreateTraining(api, demo, cohort_ids);
  if (program_id == 0) return kExitFailed;
  return PrintImpact(api, program_id, cohort_ids) ? kExitOk : kExitFailed;
}

}  // namespace tnps::tools
