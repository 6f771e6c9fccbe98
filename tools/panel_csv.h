// Reads a panel or repeated cross-section from CSV for the estimator:
// named columns for unit, period, group (first treated period, 0 never)
// and outcome; every other column is ignored.
#ifndef TNPS_TOOLS_PANEL_CSV_H_
#define TNPS_TOOLS_PANEL_CSV_H_

#include <istream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/group_time_att.h"

namespace tnps::tools {

struct PanelColumns {
  std::string unit;
  std::string period;
  std::string group;
  std::string outcome;
};

struct Panel {
  std::vector<core::PanelRow> rows;
  // The original unit identifiers, by dense index.
  std::vector<std::string> unit_names;
};

// INVALID_ARGUMENT naming the line and column of the first value that
// cannot be read, or a column the header lacks.
absl::StatusOr<Panel> ReadPanelCsv(std::istream& in, const PanelColumns& columns);

}  // namespace tnps::tools

#endif  // TNPS_TOOLS_PANEL_CSV_H_
