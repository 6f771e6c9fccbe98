// tnpsctl report: fetches a programme's impact and its cohorts' uplifts
// from TrainingService and writes the self-contained HTML report.
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tnps/v1/training_service.grpc.pb.h"
#include "tools/commands.h"
#include "tools/report_html.h"
#include "tools/server_channel.h"

ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(std::string, api_key);
ABSL_DECLARE_FLAG(std::string, program);
ABSL_FLAG(std::string, out, "", "report: the HTML file to write");
ABSL_FLAG(int, pre_days, 90, "report: days before each completion in the cohort charts");
ABSL_FLAG(int, post_days, 90, "report: days after the washout in the cohort charts");
ABSL_FLAG(int, washout_days, 14, "report: days after completion left out");
ABSL_FLAG(int, min_event_agents, 20,
          "report: event-study weeks with fewer trained agents behind them are not shown");

namespace tnps::tools {
namespace {

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
  ReportInput input;
  input.washout_days = absl::GetFlag(FLAGS_washout_days);
  input.generated_at = absl::FormatTime("%Y-%m-%d %H:%M UTC", absl::Now(), absl::UTCTimeZone());
  tnps::v1::GetProgramImpactRequest impact_request;
  impact_request.set_min_event_agents(absl::GetFlag(FLAGS_min_event_agents));
  impact_request.set_program_id(program_id);
  if (Failed(stub->GetProgramImpact(context().get(), impact_request, &input.impact),
             "GetProgramImpact")) {
    return kExitFailed;
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
  std::ofstream file(out, std::ios::binary | std::ios::trunc);
  file << RenderReport(input);
  file.close();
  if (!file) {
    std::fprintf(stderr, "tnpsctl report: cannot write %s\n", out.c_str());
    return kExitFailed;
  }
  std::printf("wrote %s: %d cohorts, uplift %+.1f NPS points\n", out.c_str(),
              static_cast<int>(input.cohorts.size()), input.impact.simple().att());
  return kExitOk;
}

}  // namespace tnps::tools
