#include "tools/report_html.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"

namespace tnps::tools {
namespace {

constexpr double kWidth = 900;
constexpr double kHeight = 320;
constexpr double kLeft = 56, kRight = 16, kTop = 16, kBottom = 40;

std::string Escape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

absl::CivilDay Day(const tnps::v1::Date& d) { return absl::CivilDay(d.year(), d.month(), d.day()); }

std::string DayText(absl::CivilDay d) {
  return absl::StrFormat("%04d-%02d-%02d", d.year(), d.month(), d.day());
}

std::string Points(double v) { return absl::StrFormat("%+.1f", v); }

std::string Months(double v) { return absl::StrFormat("%.1f", v); }

// Maps data coordinates onto the plot area of one chart.
struct Frame {
  double x_min, x_max, y_min, y_max;
  double X(double x) const {
    return kLeft + (x - x_min) / std::max(1e-9, x_max - x_min) * (kWidth - kLeft - kRight);
  }
  double Y(double y) const {
    return kTop + (y_max - y) / std::max(1e-9, y_max - y_min) * (kHeight - kTop - kBottom);
  }
};

// y range covering `values` with a margin, widened to whole tens.
std::pair<double, double> NiceRange(const std::vector<double>& values) {
  double lo = 0, hi = 0;
  if (!values.empty()) {
    lo = *std::min_element(values.begin(), values.end());
    hi = *std::max_element(values.begin(), values.end());
  }
  lo = std::floor((lo - 2) / 10) * 10;
  hi = std::ceil((hi + 2) / 10) * 10;
  return {lo, hi};
}

// Horizontal grid lines and labels every `step` points.
std::string YAxis(const Frame& f, double step) {
  std::string out;
  for (double y = f.y_min; y <= f.y_max + 1e-9; y += step) {
    absl::StrAppendFormat(
        &out,
        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
        "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%g</text>",
        kLeft, kWidth - kRight, f.Y(y), f.Y(y), kLeft - 6, f.Y(y) + 4, y);
  }
  return out;
}

// A polyline through the points that have a value; gaps break the line.
std::string Line(const Frame& f, const std::vector<std::optional<double>>& ys, double x0,
                 const char* color) {
  std::string out;
  std::vector<std::string> run;
  auto flush = [&] {
    if (run.size() > 1) {
      absl::StrAppend(&out, "<polyline fill=\"none\" stroke=\"", color,
                      "\" stroke-width=\"2.5\" points=\"", absl::StrJoin(run, " "), "\"/>");
    }
    run.clear();
  };
  for (size_t i = 0; i < ys.size(); ++i) {
    if (!ys[i]) {
      flush();
      continue;
    }
    run.push_back(absl::StrFormat("%.1f,%.1f", f.X(x0 + static_cast<double>(i)), f.Y(*ys[i])));
  }
  flush();
  return out;
}

std::string Svg(const std::string& title, const std::string& body) {
  return absl::StrFormat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %g %g\" width=\"%g\" "
      "height=\"%g\" role=\"img\" aria-label=\"%s\">%s</svg>",
      kWidth, kHeight, kWidth, kHeight, Escape(title), body);
}

std::string Legend(const std::vector<std::pair<std::string, const char*>>& entries) {
  std::string out = "<p class=\"legend\">";
  for (const auto& [label, color] : entries) {
    absl::StrAppend(&out, "<span><i style=\"background:", color, "\"></i>", Escape(label),
                    "</span>");
  }
  return out + "</p>";
}

std::string CohortChart(const tnps::v1::GetCohortUpliftResponse& u, int washout_days) {
  if (u.daily_size() == 0) return "";
  const absl::CivilDay first = Day(u.daily(0).date());
  std::vector<std::optional<double>> cohort, comparison;
  std::vector<double> all;
  for (const auto& d : u.daily()) {
    cohort.push_back(d.cohort().empty() ? std::nullopt : std::optional(d.cohort().nps()));
    comparison.push_back(d.comparison().empty() ? std::nullopt
                                                : std::optional(d.comparison().nps()));
    if (cohort.back()) all.push_back(*cohort.back());
    if (comparison.back()) all.push_back(*comparison.back());
  }
  const auto [lo, hi] = NiceRange(all);
  const Frame f{0, static_cast<double>(u.daily_size() - 1), lo, hi};
  std::string body = YAxis(f, (hi - lo) > 60 ? 20 : 10);
  // The completion span: earliest to latest completion day.
  const double completion_first = static_cast<double>(Day(u.comparison_pre_end()) + 1 - first);
  const double completion_last =
      static_cast<double>(Day(u.comparison_post_start()) - 1 - washout_days - first);
  absl::StrAppendFormat(&body,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                        "class=\"completion\"/>",
                        f.X(completion_first), kTop,
                        std::max(2.0, f.X(completion_last) - f.X(completion_first)),
                        kHeight - kTop - kBottom);
  // Month labels on the x axis.
  for (absl::CivilDay day = first; day <= Day(u.daily(u.daily_size() - 1).date()); ++day) {
    if (day.day() != 1) continue;
    const double x = f.X(static_cast<double>(day - first));
    absl::StrAppendFormat(&body,
                          "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>"
                          "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" "
                          "text-anchor=\"middle\">%04d-%02d</text>",
                          x, x, kTop, kHeight - kBottom, x, kHeight - kBottom + 16,
                          static_cast<int>(day.year()), day.month());
  }
  absl::StrAppend(&body, Line(f, comparison, 0, kComparisonColor),
                  Line(f, cohort, 0, kCohortColor));
  const std::string title =
      absl::StrCat("Rolling 28-day NPS of ", u.cohort().name(), " and its comparison agents");
  return absl::StrCat(
      "<h3>", Escape(u.cohort().name()), "</h3>", Svg(title, body),
      Legend({{absl::StrCat(u.cohort().name(), " (", u.treated_agents(), " agents)"), kCohortColor},
              {absl::StrCat("comparison: ", Thousands(u.not_yet_trained_agents()),
                            " agents trained later, ", Thousands(u.never_trained_agents()),
                            " never trained"),
               kComparisonColor},
              {"completions", "#ffe8cc"}}));
}

// The event times the chart shows: those with enough trained agents behind
// them (the uniform band's, or 20 without a band).
int MinEventAgents(const tnps::v1::GetProgramImpactResponse& impact) {
  return impact.uniform_band().min_event_agents() > 0 ? impact.uniform_band().min_event_agents()
                                                      : 20;
}

bool Shown(const tnps::v1::GetProgramImpactResponse& impact, const tnps::v1::AggregateEffect& d) {
  if (!d.defined()) return false;
  if (impact.uniform_band().defined()) return d.in_uniform_band();
  return d.trained_agents() >= MinEventAgents(impact);
}

std::string EventStudyChart(const tnps::v1::GetProgramImpactResponse& impact) {
  std::vector<const tnps::v1::AggregateEffect*> points;
  for (const auto& d : impact.dynamic()) {
    if (Shown(impact, d)) points.push_back(&d);
  }
  if (points.empty()) return "<p>No event-time estimate is defined.</p>";
  const bool uniform = impact.uniform_band().defined();
  std::vector<double> all;
  for (const auto* p : points) {
    all.push_back(uniform ? p->uniform_ci_low() : p->ci_low());
    all.push_back(uniform ? p->uniform_ci_high() : p->ci_high());
  }
  const auto [lo, hi] = NiceRange(all);
  const Frame f{static_cast<double>(points.front()->event_time()),
                static_cast<double>(points.back()->event_time()), lo, hi};
  std::string body = YAxis(f, (hi - lo) > 60 ? 20 : 10);
  const auto band = [&](auto low, auto high, const char* color) {
    std::vector<std::string> upper, lower;
    for (const auto* p : points) {
      upper.push_back(absl::StrFormat("%.1f,%.1f", f.X(p->event_time()), f.Y(high(*p))));
      lower.insert(lower.begin(), absl::StrFormat("%.1f,%.1f", f.X(p->event_time()), f.Y(low(*p))));
    }
    absl::StrAppend(&body, "<polygon fill=\"", color, "\" stroke=\"none\" points=\"",
                    absl::StrJoin(upper, " "), " ", absl::StrJoin(lower, " "), "\"/>");
  };
  if (uniform) {
    band([](const auto& p) { return p.uniform_ci_low(); },
         [](const auto& p) { return p.uniform_ci_high(); }, kUniformBandColor);
  }
  band([](const auto& p) { return p.ci_low(); }, [](const auto& p) { return p.ci_high(); },
       kBandColor);
  absl::StrAppendFormat(&body,
                        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"zero\"/>",
                        kLeft, kWidth - kRight, f.Y(0), f.Y(0));
  const double start = f.X(-0.5);
  absl::StrAppendFormat(&body,
                        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"start\"/>",
                        start, start, kTop, kHeight - kBottom);
  std::vector<std::string> estimate;
  for (const auto* p : points) {
    estimate.push_back(absl::StrFormat("%.1f,%.1f", f.X(p->event_time()), f.Y(p->att())));
    if (p->event_time() % 4 == 0) {
      absl::StrAppendFormat(&body,
                            "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" "
                            "text-anchor=\"middle\">%d</text>",
                            f.X(p->event_time()), kHeight - kBottom + 16, p->event_time());
    }
  }
  absl::StrAppend(&body, "<polyline fill=\"none\" stroke=\"", kEstimateColor,
                  "\" stroke-width=\"2.5\" points=\"", absl::StrJoin(estimate, " "), "\"/>");
  const char* unit = impact.period() == tnps::v1::PERIOD_MONTH ? "months" : "weeks";
  absl::StrAppendFormat(&body,
                        "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%s "
                        "since training (0 = the %s of completion)</text>",
                        (kLeft + kWidth - kRight) / 2, kHeight - 6, unit,
                        impact.period() == tnps::v1::PERIOD_MONTH ? "month" : "week");
  std::vector<std::pair<std::string, const char*>> legend = {
      {"θ(e), NPS points", kEstimateColor},
      {absl::StrFormat("%.0f%% confidence band (each point)", 100 * impact.confidence_level()),
       kBandColor}};
  if (uniform) {
    legend.push_back({absl::StrFormat("%.0f%% band for the whole curve at once",
                                      100 * impact.confidence_level()),
                      kUniformBandColor});
  }
  int hidden = 0;
  for (const auto& d : impact.dynamic()) hidden += d.defined() && !Shown(impact, d);
  std::string note;
  if (hidden > 0) {
    note = absl::StrFormat(
        "<p class=\"note\">%d %s with fewer than %d trained agents behind the estimate %s "
        "not shown: there, θ(e) rests on too few agents to read.</p>",
        hidden, hidden == 1 ? (impact.period() == tnps::v1::PERIOD_MONTH ? "month" : "week") : unit,
        MinEventAgents(impact), hidden == 1 ? "is" : "are");
  }
  return absl::StrCat(Svg("Event study: effect by time since training", body), Legend(legend),
                      note);
}

std::string EffectRow(const std::string& label, const tnps::v1::AggregateEffect& e) {
  if (!e.defined()) {
    return absl::StrCat("<tr><td>", Escape(label), "</td><td colspan=\"4\">not defined</td></tr>");
  }
  return absl::StrFormat(
      "<tr><td>%s</td><td>%s</td><td>%.2f</td><td>%s to %s</td><td>%.2g</td></tr>", Escape(label),
      Points(e.att()), e.standard_error(), Points(e.ci_low()), Points(e.ci_high()), e.p_value());
}

std::string DeltaCells(double value, double low, double high, bool defined) {
  if (!defined) return "<td colspan=\"2\">not defined</td>";
  return absl::StrFormat("<td>%s</td><td>%s to %s</td>", Points(value), Points(low), Points(high));
}

constexpr char kStyle[] = R"css(
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:940px;color:#212529}
h1{font-size:1.6em;margin-bottom:0}h2{margin-top:2em}.sub{color:#495057}
table{border-collapse:collapse;margin:8px 0}td,th{padding:4px 10px;border-bottom:1px solid #dee2e6;
text-align:right}td:first-child,th:first-child{text-align:left}
.grid{stroke:#e9ecef;stroke-width:1}.zero{stroke:#495057;stroke-width:1}
.start{stroke:#868e96;stroke-dasharray:4 3}.completion{fill:#ffe8cc}
.tick{font-size:11px;fill:#495057}.legend span{margin-right:18px;font-size:.9em}
.legend i{display:inline-block;width:14px;height:10px;margin-right:6px}
.note{color:#495057;font-size:.9em}
.summary{background:#f1f3f5;padding:4px 18px;border-radius:6px}.summary h2{margin-top:.6em}
.howto{border:1px solid #dee2e6;padding:0 18px;border-radius:6px;margin-top:12px;font-size:.92em}
.howto h2{font-size:1.1em}
@media print{body{margin:0;max-width:none;font-size:9.5pt;-webkit-print-color-adjust:exact;
print-color-adjust:exact}h1{font-size:1.4em}
h2{break-after:avoid;margin-top:1.2em}svg,table,.summary,.howto{break-inside:avoid}}
@page{size:A4;margin:14mm})css";

// The page's opening: what changed, how sure, what it cost and is worth,
// and what to do, in words.
std::string Summary(const ReportInput& input) {
  const auto& impact = input.impact;
  const auto& s = impact.simple();
  const auto& cost = impact.cost();
  const std::string& currency = cost.currency_code();
  const std::string against = impact.control() == tnps::v1::CONTROL_GROUP_NEVER_TREATED
                                  ? "agents never trained"
                                  : "agents not yet trained at the time";
  std::vector<std::string> points;
  if (!s.defined()) {
    return "<div class=\"summary\"><h2>Summary</h2><p>There is not enough data before and after "
           "training to estimate an effect yet.</p></div>";
  }
  const bool above = s.ci_low() > 0, below = s.ci_high() < 0;
  points.push_back(absl::StrFormat(
      "<b>What changed.</b> After the training, the trained agents' TNPS moved by <b>%s "
      "points</b> compared with %s (%.0f%% confidence interval %s to %s).",
      Points(s.att()), Escape(against), 100 * impact.confidence_level(), Points(s.ci_low()),
      Points(s.ci_high())));
  const auto& leads = impact.pretrend_leads();
  const bool drifting = leads.defined() && leads.p_value() < 0.05;
  std::string sure =
      above   ? "The whole interval is above zero: the improvement is unlikely to be chance."
      : below ? "The whole interval is below zero: TNPS fell, and that is unlikely to be chance."
              : "The interval includes zero: the data cannot yet tell an effect from chance.";
  absl::StrAppend(&sure, drifting
                             ? " <b>But</b> before the training, trained and comparison agents "
                               "were already drifting apart, so part of the difference may "
                               "have happened anyway."
                             : " Before the training, trained and comparison agents moved "
                               "together, as this comparison needs.");
  points.push_back(absl::StrCat("<b>How sure we are.</b> ", sure));
  std::string paid =
      absl::StrFormat("<b>What it cost.</b> %s training hours, %s.",
                      Thousands(cost.training_hours()), Money(cost.total_cost_micros(), currency));
  if (cost.cost_per_nps_point_defined()) {
    absl::StrAppend(
        &paid, " That is ", Money(cost.cost_per_nps_point_micros(), currency),
        " per NPS point gained (",
        cost.cost_per_nps_point_high_defined()
            ? absl::StrCat(Money(cost.cost_per_nps_point_low_micros(), currency), " to ",
                           Money(cost.cost_per_nps_point_high_micros(), currency))
            : absl::StrCat("from ", Money(cost.cost_per_nps_point_low_micros(), currency),
                           ", with no upper bound since the effect may be zero"),
        ").");
  }
  points.push_back(paid);
  if (cost.value_per_nps_point_micros() > 0) {
    std::string worth = absl::StrFormat(
        "<b>What it is worth.</b> At %s per NPS point a year, the uplift is worth %s a year "
        "(%s to %s), %s net of the cost in the first year (%s to %s).",
        Money(cost.value_per_nps_point_micros(), currency),
        Money(cost.annual_value_micros(), currency),
        Money(cost.annual_value_low_micros(), currency),
        Money(cost.annual_value_high_micros(), currency),
        Money(cost.net_first_year_value_micros(), currency),
        Money(cost.net_first_year_value_low_micros(), currency),
        Money(cost.net_first_year_value_high_micros(), currency));
    if (cost.payback_defined()) {
      absl::StrAppend(&worth, " It pays for itself in ", Months(cost.payback_months()), " months (",
                      Months(cost.payback_months_low()), " to ",
                      cost.payback_months_high_defined()
                          ? absl::StrCat(Months(cost.payback_months_high()), " months)")
                          : "possibly never, since the effect may be zero)",
                      ".");
    }
    points.push_back(worth);
  } else {
    points.push_back(
        "<b>What it is worth.</b> Not computed: give a value per NPS point "
        "(<code>tnpsctl report --value-per-point</code>, or the programme's "
        "<code>value_per_nps_point_micros</code>) to see the value and the payback.");
  }
  std::string advice;
  const bool slow_payback =
      cost.value_per_nps_point_micros() > 0 && cost.payback_defined() && cost.payback_months() > 24;
  if (above && slow_payback) {
    advice = absl::StrCat(
        "The training works, but at ", Money(cost.value_per_nps_point_micros(), currency),
        " per point a year it takes ", Months(cost.payback_months()),
        " months to pay for itself: weigh it against cheaper ways to gain a point, or check "
        "the value per point.");
  } else if (above && !drifting) {
    advice = "The training works: keep it, and train the agents not yet trained.";
  } else if (above) {
    advice =
        "The training looks effective, but the drift before it makes the size uncertain: keep "
        "it, and check the next wave against agents trained later.";
  } else if (below) {
    advice = "TNPS fell after the training: review what the training teaches before more waves.";
  } else {
    advice = "Too early to judge: keep measuring, or train a larger wave";
    if (input.power && input.power->defined()) {
      absl::StrAppendFormat(&advice,
                            " (as run, the design could only detect effects of about %.1f points "
                            "or more)",
                            input.power->minimum_detectable_effect());
    }
    advice += ".";
  }
  points.push_back(absl::StrCat("<b>Recommendation.</b> ", advice));
  std::string out = "<div class=\"summary\"><h2>Summary</h2>";
  for (const std::string& p : points) absl::StrAppend(&out, "<p>", p, "</p>");
  return out + "</div>";
}

constexpr char kHowToRead[] =
    "<div class=\"howto\"><h2>How to read this page</h2><ul>"
    "<li><b>TNPS points</b>: % promoters (9–10) minus % detractors (0–6), from −100 to +100. "
    "+5 points is a clear improvement for a contact centre.</li>"
    "<li><b>The effect</b> is not a before/after difference: it is how much more the trained "
    "agents' TNPS moved than that of comparable agents over the same weeks, so seasons, "
    "campaigns and staffing changes that hit everyone cancel out.</li>"
    "<li><b>The confidence interval</b> is the range of effects the data are consistent with; "
    "the true effect is inside it 95 times in 100.</li>"
    "<li><b>The event study</b> shows the effect week by week since training. Before week 0 "
    "it should hover around zero: that says trained and comparison agents were alike "
    "before.</li></ul></div>";

// Cost, cost per point and, with a value per point, value and payback,
// each with its range.
std::string CostTable(const tnps::v1::TrainingCost& cost) {
  const std::string& currency = cost.currency_code();
  std::string out =
      "<h2>Cost and return</h2><table><tr><th></th><th>estimate</th><th>range (the effect's "
      "confidence interval)</th></tr>";
  absl::StrAppend(&out, "<tr><td>training hours</td><td>", Thousands(cost.training_hours()),
                  "</td><td></td></tr><tr><td>cost</td><td>",
                  Money(cost.total_cost_micros(), currency), "</td><td></td></tr>");
  if (cost.cost_per_nps_point_defined()) {
    absl::StrAppend(&out, "<tr><td>cost per NPS point</td><td>",
                    Money(cost.cost_per_nps_point_micros(), currency), "</td><td>",
                    Money(cost.cost_per_nps_point_low_micros(), currency), " to ",
                    cost.cost_per_nps_point_high_defined()
                        ? Money(cost.cost_per_nps_point_high_micros(), currency)
                        : "no upper bound",
                    "</td></tr>");
  }
  if (cost.value_per_nps_point_micros() > 0) {
    absl::StrAppend(&out, "<tr><td>value of one NPS point, a year</td><td>",
                    Money(cost.value_per_nps_point_micros(), currency),
                    "</td><td>given</td></tr><tr><td>value of the uplift, a year</td><td>",
                    Money(cost.annual_value_micros(), currency), "</td><td>",
                    Money(cost.annual_value_low_micros(), currency), " to ",
                    Money(cost.annual_value_high_micros(), currency),
                    "</td></tr><tr><td>net value, first year</td><td>",
                    Money(cost.net_first_year_value_micros(), currency), "</td><td>",
                    Money(cost.net_first_year_value_low_micros(), currency), " to ",
                    Money(cost.net_first_year_value_high_micros(), currency), "</td></tr>");
    if (cost.payback_defined()) {
      absl::StrAppend(&out, "<tr><td>payback</td><td>", Months(cost.payback_months()),
                      " months</td><td>", Months(cost.payback_months_low()), " to ",
                      cost.payback_months_high_defined()
                          ? absl::StrCat(Months(cost.payback_months_high()), " months")
                          : "never, if the effect is zero",
                      "</td></tr>");
    }
  }
  return out + "</table>";
}

// The programme's effect within each team: where it worked, and where a
// team is too small to say.
std::string TeamTable(const ReportInput& input) {
  if (input.teams.empty()) return "";
  std::string out = absl::StrFormat(
      "<h2>By team</h2><p class=\"note\">The same estimate within each team, from its own "
      "trained and comparison agents: small teams give wide intervals. %.0f%% confidence "
      "intervals.</p><table><tr><th>team</th><th>trained agents</th><th>never trained</th>"
      "<th>effect, NPS points</th><th>interval</th></tr>",
      100 * input.impact.confidence_level());
  for (const auto& t : input.teams) {
    absl::StrAppend(&out, "<tr><td>", Escape(t.team_id), "</td>");
    if (!t.impact || !t.impact->simple().defined()) {
      absl::StrAppend(&out, "<td colspan=\"4\">not estimable: ",
                      Escape(t.problem.empty() ? "no trained agents with responses before and "
                                                 "after training"
                                               : t.problem),
                      "</td></tr>");
      continue;
    }
    const auto& e = t.impact->simple();
    absl::StrAppend(&out, "<td>", Thousands(t.impact->treated_agents()), "</td><td>",
                    Thousands(t.impact->never_treated_agents()), "</td><td>", Points(e.att()),
                    "</td><td>", Points(e.ci_low()), " to ", Points(e.ci_high()), "</td></tr>");
  }
  return out + "</table>";
}

// What the estimate cannot rule out, in words.
std::string Caveats(const ReportInput& input) {
  const auto& impact = input.impact;
  std::vector<std::string> items = {
      "<b>Waves were not assigned at random.</b> If the agents trained first differed in ways "
      "that also change TNPS (their teams, their experience), part of the difference may be "
      "theirs, not the training's. The flat curve before week 0 is the check.",
      "<b>Spill-over.</b> Trained agents can pass what they learned to colleagues not yet "
      "trained; the comparison then improves too, and the effect shown is smaller than the "
      "true one.",
      "<b>Anticipation.</b> Agents who know their training is coming may change before it; the "
      "weeks just before week 0 in the event study show whether they did."};
  const absl::CivilDay end = Day(impact.end_date());
  if (impact.period() == tnps::v1::PERIOD_MONTH) {
    if ((end + 1).month() == end.month()) {
      items.push_back(absl::StrFormat(
          "<b>The last month is partial</b>: it ends on %s, so its estimate rests on fewer "
          "responses.",
          DayText(end)));
    }
  } else if (absl::GetWeekday(end) != absl::Weekday::sunday) {
    const int days = static_cast<int>(absl::GetWeekday(end)) + 1;  // Monday is 0
    items.push_back(absl::StrFormat(
        "<b>The last week is partial</b>: it has %d %s (to %s), so its estimate rests on fewer "
        "responses.",
        days, days == 1 ? "day" : "days", DayText(end)));
  }
  const auto& excluded = impact.exclusions();
  items.push_back(
      absl::StrFormat("<b>Left out</b>: %s %s and %s %s excluded from analysis (test traffic, QA; "
                      "<code>tnpsctl exclusions list</code>) are in no figure here.",
                      Thousands(excluded.agents()), excluded.agents() == 1 ? "agent" : "agents",
                      Thousands(static_cast<double>(excluded.responses())),
                      excluded.responses() == 1 ? "response" : "responses"));
  if (input.power && input.power->defined()) {
    items.push_back(absl::StrFormat(
        "<b>Sample size.</b> With %s trained agents and their response rate, this design "
        "detects a true effect of %.1f points or more 80%% of the time (PlanCohort's method, "
        "docs/training-impact.md); smaller effects may go unseen.",
        Thousands(impact.treated_agents()), input.power->minimum_detectable_effect()));
  }
  std::string out = "<h2>What this estimate cannot rule out</h2><ul>";
  for (const std::string& item : items) absl::StrAppend(&out, "<li>", item, "</li>");
  return out + "</ul>";
}

}  // namespace

std::string Thousands(double value) {
  const long long rounded = std::llround(value);
  std::string digits = absl::StrCat(rounded < 0 ? -rounded : rounded);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(i, ",");
  return rounded < 0 ? "-" + digits : digits;
}

std::string Money(double micros, const std::string& currency) {
  return absl::StrCat(Thousands(micros / 1e6), " ", Escape(currency));
}

std::string RenderReport(const ReportInput& input) {
  const auto& impact = input.impact;
  const auto& s = impact.simple();
  std::string html =
      absl::StrCat("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>",
                   Escape(impact.program().name()), " — training impact</title><style>", kStyle,
                   "</style></head><body>");
  absl::StrAppend(&html, "<h1>", Escape(impact.program().name()), "</h1><p class=\"sub\">",
                  Escape(impact.program().description()), "</p>");
  absl::StrAppendFormat(
      &html,
      "<p class=\"sub\">Responses %s to %s (%s): %s responses; %s agents trained, %s never "
      "trained in the range. Generated %s.</p>",
      DayText(Day(impact.start_date())), DayText(Day(impact.end_date())),
      Escape(impact.time_zone()), Thousands(static_cast<double>(impact.responses())),
      Thousands(impact.treated_agents()), Thousands(impact.never_treated_agents()),
      Escape(input.generated_at));
  // Page one for a reader in a hurry: the summary and the effect week by
  // week; then how to read them, the money, the cohorts, the caveats, and
  // the statistical detail for analysts.
  absl::StrAppend(&html, Summary(input));
  absl::StrAppend(&html, "<h2>The effect, week by week</h2><p class=\"note\">θ(e): the effect e ",
                  impact.period() == tnps::v1::PERIOD_MONTH ? "months" : "weeks",
                  " after training, averaged over cohorts. Before 0 it should hover around "
                  "zero: trained and comparison agents were alike then.</p>",
                  EventStudyChart(impact));
  absl::StrAppend(&html, kHowToRead, CostTable(impact.cost()));
  absl::StrAppend(&html,
                  "<h2>Trained and comparison agents</h2><p class=\"note\">Rolling 28-day "
                  "NPS per cohort. The shaded span runs from the first to the last "
                  "completion; comparison agents were not trained in this programme "
                  "by the end of the cohort's post window.</p>");
  for (const auto& u : input.cohorts) absl::StrAppend(&html, CohortChart(u, input.washout_days));
  absl::StrAppend(&html, TeamTable(input));
  absl::StrAppend(&html, Caveats(input),
                  "<h2>Statistical detail</h2><p class=\"note\">For analysts: every figure "
                  "above, with its standard error; docs/training-impact.md explains each "
                  "term.</p>");

  const std::string weights = impact.group_weights() == tnps::v1::GROUP_WEIGHTS_RESPONSES
                                  ? "by their responses"
                                  : "by their agents";
  absl::StrAppend(
      &html,
      "<h2>Estimates</h2><table><tr><th>aggregation</th><th>NPS points</th>"
      "<th>SE</th><th>CI</th><th>p</th></tr>",
      EffectRow(absl::StrCat("simple (post-training cells, groups weighted ", weights, ")"), s),
      EffectRow("event study, mean over e ≥ 0", impact.dynamic_overall()),
      EffectRow(absl::StrCat("by cohort, weighted ", weights), impact.group_overall()),
      EffectRow("by calendar period, mean", impact.calendar_overall()));
  for (const auto& g : impact.group()) {
    absl::StrAppend(&html, EffectRow(absl::StrCat("group trained in the period from ",
                                                  DayText(Day(g.period_start()))),
                                     g));
  }
  absl::StrAppend(&html, "</table>");
  for (const auto* t : {&impact.pretrend_leads(), &impact.pretrend_cells()}) {
    if (t->defined()) {
      absl::StrAppendFormat(&html, "<p class=\"note\">Pre-trend: %s: χ² %.1f, df %d, p = %.2g.</p>",
                            Escape(t->description()), t->chi_squared(), t->degrees_of_freedom(),
                            t->p_value());
    } else {
      absl::StrAppendFormat(&html, "<p class=\"note\">Pre-trend: %s: not computed.</p>",
                            Escape(t->description()));
    }
  }
  absl::StrAppend(&html,
                  "<h2>Cohorts: naive before/after against the comparison</h2><table><tr>"
                  "<th>cohort</th><th>agents</th><th>naive Δ</th><th>CI</th><th>DiD</th>"
                  "<th>CI</th></tr>");
  for (const auto& u : input.cohorts) {
    absl::StrAppend(&html, "<tr><td>", Escape(u.cohort().name()), "</td><td>", u.treated_agents(),
                    "</td>",
                    DeltaCells(u.naive_delta().delta(), u.naive_delta().ci_low(),
                               u.naive_delta().ci_high(), u.naive_delta().defined()),
                    DeltaCells(u.uplift().estimate(), u.uplift().ci_low(), u.uplift().ci_high(),
                               u.uplift().defined()),
                    "</tr>");
  }
  absl::StrAppend(&html,
                  "</table><p class=\"note\">The naive delta compares each agent's own before "
                  "and after and credits the training with every other change over that time "
                  "(trend, season, staffing). The DiD column subtracts the comparison agents' "
                  "change over the same calendar windows.</p>");
  absl::StrAppend(&html, "<p class=\"note\">Method: ", Escape(impact.method()),
                  ". See docs/training-impact.md.</p></body></html>\n");
  return html;
}

}  // namespace tnps::tools
