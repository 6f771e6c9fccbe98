#include "tools/panel_csv.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tools/csv_reader.h"

namespace tnps::tools {
namespace {

// Periods and groups are whole numbers, possibly written as 2004.0.
bool ParseWhole(const std::string& text, int64_t* out) {
  if (absl::SimpleAtoi(text, out)) return true;
  double d;
  if (!absl::SimpleAtod(text, &d) || d != std::floor(d) || std::fabs(d) > 9e15) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

}  // namespace

absl::StatusOr<Panel> ReadPanelCsv(std::istream& in, const PanelColumns& columns) {
  CsvReader reader(in);
  std::vector<std::string> record;
  std::string error;
  if (!reader.Next(record, error) || !error.empty()) {
    return absl::InvalidArgumentError("no header row");
  }
  auto find = [&](const std::string& name) -> absl::StatusOr<size_t> {
    auto it = std::find(record.begin(), record.end(), name);
    if (it == record.end()) {
      return absl::InvalidArgumentError(absl::StrCat("the header has no column \"", name, "\""));
    }
    return static_cast<size_t>(it - record.begin());
  };
  absl::StatusOr<size_t> unit = find(columns.unit), period = find(columns.period),
                         group = find(columns.group), outcome = find(columns.outcome);
  for (const auto* c : {&unit, &period, &group, &outcome}) {
    if (!c->ok()) return c->status();
  }
  const size_t width = record.size();
  Panel panel;
  absl::flat_hash_map<std::string, int> unit_index;
  while (reader.Next(record, error)) {
    const int64_t line = reader.record_line();
    if (!error.empty()) return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", error));
    if (record.size() == 1 && record[0].empty()) continue;
    if (record.size() != width) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line, ": ", record.size(), " fields; the header has ", width));
    }
    core::PanelRow row;
    if (!ParseWhole(record[*period], &row.period)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", columns.period, " \"",
                                                     record[*period], "\" is not a whole number"));
    }
    if (!ParseWhole(record[*group], &row.group) || row.group < 0) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", columns.group, " \"",
                                                     record[*group],
                                                     "\" is not a period or 0 (never treated)"));
    }
    if (!absl::SimpleAtod(record[*outcome], &row.outcome) || !std::isfinite(row.outcome)) {
      return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", columns.outcome, " \"",
                                                     record[*outcome], "\" is not a number"));
    }
    auto [it, inserted] =
        unit_index.emplace(record[*unit], static_cast<int>(panel.unit_names.size()));
    if (inserted) panel.unit_names.push_back(record[*unit]);
    row.unit = it->second;
    panel.rows.push_back(row);
  }
  if (panel.rows.empty()) return absl::InvalidArgumentError("no data rows");
  return panel;
}

}  // namespace tnps::tools
