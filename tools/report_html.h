// The training-impact report: one self-contained HTML page (inline SVG and
// CSS, no scripts, no network) with the rolling NPS of each cohort against
// its comparison agents, the event study with its confidence band, and the
// table of estimates.
#ifndef TNPS_TOOLS_REPORT_HTML_H_
#define TNPS_TOOLS_REPORT_HTML_H_

#include <optional>
#include <string>
#include <vector>

#include "tnps/v1/training_service.pb.h"

namespace tnps::tools {

// The colours the charts draw with, as "#rrggbb"; tests look for them in a
// rendering.
inline constexpr char kCohortColor[] = "#d9480f";
inline constexpr char kComparisonColor[] = "#1971c2";
inline constexpr char kEstimateColor[] = "#0b7285";
inline constexpr char kBandColor[] = "#a5d8ff";
// The summary's box.
inline constexpr char kSummaryColor[] = "#f1f3f5";
// The event study's uniform band, drawn under the pointwise one.
inline constexpr char kUniformBandColor[] = "#e7f5ff";

struct ReportInput {
  tnps::v1::GetProgramImpactResponse impact;
  // One per cohort with completions, in cohort order.
  std::vector<tnps::v1::GetCohortUpliftResponse> cohorts;
  // The washout the uplifts were asked with, to mark completion spans.
  int washout_days = 0;
  // When the report was made (UTC, shown as is).
  std::string generated_at;
  // The programme's effect within each team (GetProgramImpact with its
  // team_id), or why there is none.
  struct TeamImpact {
    std::string team_id;
    std::optional<tnps::v1::GetProgramImpactResponse> impact;
    std::string problem;
  };
  std::vector<TeamImpact> teams;
  // PlanCohort for the design as run (treated and comparison agents, the
  // weeks observed after training); unset when not asked.
  std::optional<tnps::v1::PlanCohortResponse> power;
};

// `value` with thousands separators and no decimals: "14,540", "-3,200".
std::string Thousands(double value);

// Millionths of a currency as "14,540 EUR".
std::string Money(double micros, const std::string& currency);

std::string RenderReport(const ReportInput& input);

}  // namespace tnps::tools

#endif  // TNPS_TOOLS_REPORT_HTML_H_
