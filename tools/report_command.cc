// tnpsctl report: fetches a programme's impact, its cohorts' uplifts and
// the power of its design from TrainingService and writes the
// self-contained HTML report, or prints it to PDF with headless Chromium.
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tnps/v1/analytics_service.grpc.pb.h"
#include "tnps/v1/training_service.grpc.pb.h"
#include "tools/commands.h"
#include "tools/report_html.h"
#include "tools/server_channel.h"

ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, api_key);
ABSL_DECLARE_FLAG(std::string, program);
ABSL_FLAG(std::string, out, "", "report: the HTML file to write");
ABSL_FLAG(int, pre_days, 90, "report: days before each completion in the cohort charts");
ABSL_FLAG(int, post_days, 90, "report: days after the washout in the cohort charts");
ABSL_FLAG(int, washout_days, 14, "report: days after completion left out");
ABSL_FLAG(int, min_event_agents, 20,
          "report: event-study weeks with fewer trained agents behind them are not shown");
ABSL_FLAG(std::string, value_per_point, "",
          "report: what one NPS point is worth a year, in the programme's currency (e.g. 500); "
          "default: the programme's value, if it has one");
ABSL_FLAG(std::string, chromium, "/usr/bin/chromium", "report: the Chromium that prints PDFs");

namespace tnps::tools {
namespace {

// Teams in the report's per-team table, the largest first.
constexpr int kMaxReportTeams = 50;

// Prints `html_path` to `pdf_path` with headless Chromium (A4, the page's
// print layout, no header or footer), in a throwaway profile.
absl::Status PrintToPdf(const std::string& chromium, const std::string& html_path,
                        const std::string& pdf_path) {
  char dir_template[] = "/tmp/tnpsctl-chromium-XXXXXX";
  if (mkdtemp(dir_template) == nullptr)
    return absl::InternalError("cannot make a temporary directory");
  const std::string profile = dir_template;
  std::vector<std::string> args = {chromium,
                                   "--headless",
                                   "--disable-gpu",
                                   "--disable-background-networking",
                                   "--disable-dev-shm-usage",
                                   "--no-first-run",
                                   "--no-pdf-header-footer",
                                   "--user-data-dir=" + profile,
                                   "--print-to-pdf=" + pdf_path,
                                   "file://" + std::filesystem::absolute(html_path).string()};
  // Chromium's sandbox refuses to run as root.
  if (geteuid() == 0) args.insert(args.begin() + 1, "--no-sandbox");
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) {
    std::filesystem::remove_all(profile);
    return absl::InternalError("cannot run " + chromium);
  }
  std::filesystem::remove_all(profile);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !std::filesystem::exists(pdf_path)) {
    return absl::UnavailableError(absl::StrCat(chromium, " did not print ", pdf_path, " (exit ",
                                               WEXITSTATUS(status),
                                               "); is Chromium installed (--chromium)?"));
  }
  return absl::OkStatus();
}

bool Failed(const grpc::Status& status, const char* what) {
  if (status.ok()) return false;
  std::fprintf(stderr, "tnpsctl report: %s failed: %s (%d)\n", what, status.error_message().c_str(),
               static_cast<int>(status.error_code()));
  return true;
}

}  // namespace

int RunReport(const Args& args) {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (!args.empty() || out.empty()) {
    std::fprintf(stderr, "usage: tnpsctl report --program NAME --out report.html\n");
    return kExitUsage;
  }
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = OpenServerChannel();
  if (!channel.ok()) {
    std::fprintf(stderr, "tnpsctl: %s\n", std::string(channel.status().message()).c_str());
    return kExitUsage;
  }
  auto stub = tnps::v1::TrainingService::NewStub(*channel);
  const auto context = [] {
    auto c = std::make_unique<grpc::ClientContext>();
    c->AddMetadata("authorization", absl::StrCat("Bearer ", absl::GetFlag(FLAGS_api_key)));
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
    return c;
  };

  tnps::v1::ListProgramsResponse programs;
  if (Failed(stub->ListPrograms(context().get(), {}, &programs), "ListPrograms")) {
    return kExitFailed;
  }
  int64_t program_id = 0;
  for (const auto& p : programs.programs()) {
    if (p.name() == absl::GetFlag(FLAGS_program)) program_id = p.program_id();
  }
  if (program_id == 0) {
    std::fprintf(stderr, "tnpsctl report: no programme named \"%s\"\n",
                 absl::GetFlag(FLAGS_program).c_str());
    return kExitFailed;
  }
  const std::string format =
      absl::GetFlag(FLAGS_format).empty() ? "html" : absl::GetFlag(FLAGS_format);
  if (format != "html" && format != "pdf") {
    std::fprintf(stderr, "tnpsctl report: --format must be html or pdf\n");
    return kExitUsage;
  }
  std::optional<int64_t> value_per_point_micros;
  if (const std::string v = absl::GetFlag(FLAGS_value_per_point); !v.empty()) {
    double value = 0;
    if (!absl::SimpleAtod(v, &value) || !(value >= 0) || value > 1e12) {
      std::fprintf(stderr,
                   "tnpsctl report: --value-per-point must be a non-negative amount, such as "
                   "500\n");
      return kExitUsage;
    }
    value_per_point_micros = std::llround(value * 1e6);
  }
  ReportInput input;
  input.washout_days = absl::GetFlag(FLAGS_washout_days);
  input.generated_at = absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::Now(), absl::UTCTimeZone());
  tnps::v1::GetProgramImpactRequest impact_request;
  impact_request.set_min_event_agents(absl::GetFlag(FLAGS_min_event_agents));
  impact_request.set_program_id(program_id);
  if (value_per_point_micros)
    impact_request.set_value_per_nps_point_micros(*value_per_point_micros);
  if (Failed(stub->GetProgramImpact(context().get(), impact_request, &input.impact),
             "GetProgramImpact")) {
    return kExitFailed;
  }
  // Each team's own estimate, for the teams with responses in the range
  // (at most kMaxReportTeams, the largest first).
  {
    auto analytics = tnps::v1::AnalyticsService::NewStub(*channel);
    tnps::v1::GetNpsBreakdownRequest breakdown;
    *breakdown.mutable_filter()->mutable_start_date() = input.impact.start_date();
    *breakdown.mutable_filter()->mutable_end_date() = input.impact.end_date();
    breakdown.set_dimension(tnps::v1::DIMENSION_TEAM);
    breakdown.set_page_size(kMaxReportTeams);
    tnps::v1::GetNpsBreakdownResponse teams;
    if (Failed(analytics->GetNpsBreakdown(context().get(), breakdown, &teams), "GetNpsBreakdown")) {
      return kExitFailed;
    }
    std::vector<std::pair<int64_t, std::string>> by_size;
    for (const auto& row : teams.rows())
      by_size.emplace_back(-row.summary().responses(), row.key());
    std::sort(by_size.begin(), by_size.end());
    for (const auto& [size, team] : by_size) {
      tnps::tools::ReportInput::TeamImpact t{.team_id = team};
      tnps::v1::GetProgramImpactRequest team_request = impact_request;
      team_request.set_team_id(team);
      tnps::v1::GetProgramImpactResponse team_impact;
      const grpc::Status status =
          stub->GetProgramImpact(context().get(), team_request, &team_impact);
      if (status.ok()) {
        t.impact = std::move(team_impact);
      } else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
        t.problem = "too few responses before or after training";
      } else {
        Failed(status, "GetProgramImpact for a team");
        return kExitFailed;
      }
      input.teams.push_back(std::move(t));
    }
  }
  // The power of the design as run: its agents and the weeks observed after
  // training. Without enough history PlanCohort says so; the report then
  // goes without.
  {
    int weeks_after = 1;
    for (const auto& d : input.impact.dynamic()) {
      if (d.in_uniform_band() && d.event_time() >= 0) weeks_after = d.event_time() + 1;
    }
    if (input.impact.period() == tnps::v1::PERIOD_MONTH) weeks_after = weeks_after * 13 / 3;
    tnps::v1::PlanCohortRequest plan;
    plan.set_agents(std::max(1, input.impact.treated_agents()));
    plan.set_comparison_agents(input.impact.never_treated_agents());
    plan.set_weeks_after_training(std::clamp(weeks_after, 1, 104));
    tnps::v1::PlanCohortResponse power;
    grpc::Status planned = stub->PlanCohort(context().get(), plan, &power);
    if (planned.ok()) input.power = power;
  }
  tnps::v1::ListCohortsRequest list;
  list.set_program_id(program_id);
  tnps::v1::ListCohortsResponse cohorts;
  if (Failed(stub->ListCohorts(context().get(), list, &cohorts), "ListCohorts")) {
    return kExitFailed;
  }
  for (const auto& c : cohorts.cohorts()) {
    if (c.completed_agents() == 0) continue;
    tnps::v1::GetCohortUpliftRequest request;
    request.set_cohort_id(c.cohort_id());
    request.set_pre_days(absl::GetFlag(FLAGS_pre_days));
    request.set_post_days(absl::GetFlag(FLAGS_post_days));
    request.set_washout_days(input.washout_days);
    tnps::v1::GetCohortUpliftResponse uplift;
    if (Failed(stub->GetCohortUplift(context().get(), request, &uplift), "GetCohortUplift")) {
      return kExitFailed;
    }
    input.cohorts.push_back(std::move(uplift));
  }
  const std::string html_path = format == "pdf" ? out + ".html" : out;
  std::ofstream file(html_path, std::ios::binary | std::ios::trunc);
  file << RenderReport(input);
  file.close();
  if (!file) {
    std::fprintf(stderr, "tnpsctl report: cannot write %s\n", html_path.c_str());
    return kExitFailed;
  }
  if (format == "pdf") {
    const absl::Status printed = PrintToPdf(absl::GetFlag(FLAGS_chromium), html_path, out);
    std::remove(html_path.c_str());
    if (!printed.ok()) {
      std::fprintf(stderr, "tnpsctl report: %s\n", std::string(printed.message()).c_str());
      return kExitFailed;
    }
  }
  std::printf("wrote %s: %d cohorts, uplift %+.1f NPS points\n", out.c_str(),
              static_cast<int>(input.cohorts.size()), input.impact.simple().att());
  return kExitOk;
}

}  // namespace tnps::tools
