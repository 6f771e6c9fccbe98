// tnpsctl did: the training-impact estimator on any panel or repeated
// cross-section CSV, so that its numbers can be checked against `did`.
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/group_time_att.h"
#include "core/normal_distribution.h"
#include "tools/commands.h"
#include "tools/panel_csv.h"

ABSL_DECLARE_FLAG(std::string, input);
ABSL_DECLARE_FLAG(std::string, unit);
ABSL_DECLARE_FLAG(std::string, period);
ABSL_DECLARE_FLAG(std::string, group);
ABSL_DECLARE_FLAG(std::string, outcome);
ABSL_DECLARE_FLAG(std::string, control);
ABSL_DECLARE_FLAG(std::string, design);
ABSL_DECLARE_FLAG(std::string, format);

namespace tnps::tools {
namespace {

const double kZ95 = core::NormalQuantile(0.975);

std::string Number(double v) { return absl::StrFormat("%.10g", v); }

std::string EstimateJson(const core::AggregateEstimate& e, const char* key_name) {
  std::string key = key_name[0] ? absl::StrCat("\"", key_name, "\": ", e.key, ", ") : "";
  return absl::StrCat("{", key, "\"att\": ", Number(e.att), ", \"se\": ", Number(e.standard_error),
                      ", \"ci_low\": ", Number(e.att - kZ95 * e.standard_error),
                      ", \"ci_high\": ", Number(e.att + kZ95 * e.standard_error),
                      ", \"defined\": ", e.defined ? "true" : "false", "}");
}

std::string ListJson(const std::vector<core::AggregateEstimate>& list, const char* key_name) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    absl::StrAppend(&out, i ? ", " : "", EstimateJson(list[i], key_name));
  }
  return out + "]";
}

// How the data were read: as a panel or a repeated cross-section, which
// decides how did::aggte weights the groups.
struct Design {
  std::string name;
  core::GroupWeights weights;
};

const char* WeightsName(core::GroupWeights w) {
  return w == core::GroupWeights::kUnits ? "units" : "rows";
}

// The unit and period of the first unit with two rows in one period.
std::optional<std::pair<int, int64_t>> RepeatedCell(const std::vector<core::PanelRow>& rows) {
  std::set<std::pair<int, int64_t>> seen;
  for (const core::PanelRow& r : rows) {
    if (!seen.insert({r.unit, r.period}).second) return std::make_pair(r.unit, r.period);
  }
  return std::nullopt;
}

void PrintJson(const core::DidEstimates& e, const std::string& control, const Design& design) {
  std::printf(
      "{\n  \"control_group\": \"%s\",\n  \"design\": \"%s\",\n  \"group_weights\": "
      "\"%s\",\n  \"units\": %lld,\n  \"rows\": %lld,\n  \"att_gt\": [\n",
      control.c_str(), design.name.c_str(), WeightsName(design.weights),
      static_cast<long long>(e.units), static_cast<long long>(e.rows));
  for (size_t i = 0; i < e.cells.size(); ++i) {
    const core::GroupTimeAtt& c = e.cells[i];
    std::printf(
        "    {\"group\": %lld, \"period\": %lld, \"base_period\": %lld, \"att\": %s, \"se\": %s, "
        "\"defined\": %s}%s\n",
        static_cast<long long>(c.group), static_cast<long long>(c.period),
        static_cast<long long>(c.base_period), Number(c.att).c_str(),
        Number(c.standard_error).c_str(), c.defined ? "true" : "false",
        i + 1 < e.cells.size() ? "," : "");
  }
  std::printf("  ],\n  \"simple\": %s,\n", EstimateJson(e.simple, "").c_str());
  std::printf("  \"dynamic\": {\"overall\": %s, \"by_event_time\": %s},\n",
              EstimateJson(e.dynamic_overall, "").c_str(), ListJson(e.dynamic, "e").c_str());
  std::printf("  \"group\": {\"overall\": %s, \"by_group\": %s},\n",
              EstimateJson(e.group_overall, "").c_str(), ListJson(e.group, "group").c_str());
  std::printf("  \"calendar\": {\"overall\": %s, \"by_period\": %s},\n",
              EstimateJson(e.calendar_overall, "").c_str(), ListJson(e.calendar, "period").c_str());
  std::printf("  \"pretrend_test\": {\"chi2\": %s, \"df\": %d, \"p_value\": %s}\n}\n",
              Number(e.pretrend_chi2).c_str(), e.pretrend_df, Number(e.pretrend_p_value).c_str());
}

void PrintRow(const std::string& label, const core::AggregateEstimate& e) {
  if (!e.defined) {
    std::printf("  %-14s %10s\n", label.c_str(), "(no data)");
    return;
  }
  std::printf("  %-14s %10.4f %9.4f   [%8.4f, %8.4f]\n", label.c_str(), e.att, e.standard_error,
              e.att - kZ95 * e.standard_error, e.att + kZ95 * e.standard_error);
}

void PrintTable(const core::DidEstimates& e, const std::string& control, const Design& design) {
  std::printf(
      "Group-time average treatment effects (%s, %s controls, %lld units, %lld rows, base "
      "period varying, analytic SEs clustered by unit)\n",
      design.name.c_str(), control.c_str(), static_cast<long long>(e.units),
      static_cast<long long>(e.rows));
  std::printf("  %6s %7s %5s %10s %9s   %s\n", "group", "period", "base", "ATT", "SE",
              "95% CI (pointwise)");
  for (const core::GroupTimeAtt& c : e.cells) {
    if (!c.defined) {
      std::printf("  %6lld %7lld %5lld %10s\n", static_cast<long long>(c.group),
                  static_cast<long long>(c.period), static_cast<long long>(c.base_period),
                  "(no data)");
      continue;
    }
    std::printf("  %6lld %7lld %5lld %10.4f %9.4f   [%8.4f, %8.4f]\n",
                static_cast<long long>(c.group), static_cast<long long>(c.period),
                static_cast<long long>(c.base_period), c.att, c.standard_error,
                c.att - kZ95 * c.standard_error, c.att + kZ95 * c.standard_error);
  }
  std::printf("\nAggregations (as did::aggte, groups weighted by %s)\n",
              WeightsName(design.weights));
  std::printf("                                        ATT        SE   95%% CI\n");
  PrintRow("simple", e.simple);
  PrintRow("dynamic", e.dynamic_overall);
  for (const auto& d : e.dynamic) PrintRow(absl::StrCat("  e = ", d.key), d);
  PrintRow("group", e.group_overall);
  for (const auto& g : e.group) PrintRow(absl::StrCat("  g = ", g.key), g);
  PrintRow("calendar", e.calendar_overall);
  for (const auto& t : e.calendar) PrintRow(absl::StrCat("  t = ", t.key), t);
  std::printf("\nPre-trend test (all pre-treatment ATT(g,t) = 0): chi2 = %.4f, df = %d, p = %.4f\n",
              e.pretrend_chi2, e.pretrend_df, e.pretrend_p_value);
}

}  // namespace

int RunDid(const Args& args) {
  const std::string input = absl::GetFlag(FLAGS_input);
  const PanelColumns columns{absl::GetFlag(FLAGS_unit), absl::GetFlag(FLAGS_period),
                             absl::GetFlag(FLAGS_group), absl::GetFlag(FLAGS_outcome)};
  const std::string control = absl::GetFlag(FLAGS_control);
  const std::string design_flag = absl::GetFlag(FLAGS_design);
  const std::string format =
      absl::GetFlag(FLAGS_format).empty() ? "table" : absl::GetFlag(FLAGS_format);
  if (!args.empty() || input.empty() || columns.unit.empty() || columns.period.empty() ||
      columns.group.empty() || columns.outcome.empty() ||
      (control != "never-treated" && control != "not-yet-treated") ||
      (design_flag != "auto" && design_flag != "panel" &&
       design_flag != "repeated-cross-section") ||
      (format != "table" && format != "json")) {
    std::fprintf(stderr,
                 "usage: tnpsctl did --input FILE.csv --unit COL --period COL --group COL "
                 "--outcome COL [--control not-yet-treated|never-treated] [--design "
                 "auto|panel|repeated-cross-section] [--format table|json]\n");
    return kExitUsage;
  }
  std::ifstream file(input, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "tnpsctl: cannot open %s\n", input.c_str());
    return kExitFailed;
  }
  absl::StatusOr<Panel> panel = ReadPanelCsv(file, columns);
  if (!panel.ok()) {
    std::fprintf(stderr, "tnpsctl: %s: %s\n", input.c_str(),
                 std::string(panel.status().message()).c_str());
    return kExitFailed;
  }
  // did's own choice: a panel has one row per unit and period (att_gt
  // stops otherwise); a repeated cross-section may have any number.
  const std::optional<std::pair<int, int64_t>> repeated = RepeatedCell(panel->rows);
  if (design_flag == "panel" && repeated) {
    std::fprintf(stderr,
                 "tnpsctl: %s: unit %s has more than one row in period %lld; a panel has one "
                 "row per unit and period (use --design repeated-cross-section)\n",
                 input.c_str(), panel->unit_names[repeated->first].c_str(),
                 static_cast<long long>(repeated->second));
    return kExitFailed;
  }
  const bool cross_section =
      design_flag == "repeated-cross-section" || (design_flag == "auto" && repeated);
  const Design design = cross_section
                            ? Design{"repeated cross-section", core::GroupWeights::kObservations}
                            : Design{"panel", core::GroupWeights::kUnits};
  std::vector<core::PanelCell> cells;
  cells.reserve(panel->rows.size());
  for (const core::PanelRow& r : panel->rows) {
    cells.push_back({r.unit, r.period, r.group, r.outcome, 1});
  }
  core::DidOptions options;
  options.control = control == "never-treated" ? core::ControlGroup::kNeverTreated
                                               : core::ControlGroup::kNotYetTreated;
  options.group_weights = design.weights;
  absl::StatusOr<core::DidEstimates> estimates = core::EstimateGroupTimeAtt(cells, options);
  if (!estimates.ok()) {
    std::fprintf(stderr, "tnpsctl: %s\n", std::string(estimates.status().message()).c_str());
    return kExitFailed;
  }
  if (format == "json") {
    PrintJson(*estimates, control, design);
  } else {
    PrintTable(*estimates, control, design);
  }
  return kExitOk;
}

}  // namespace tnps::tools
