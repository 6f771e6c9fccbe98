// libFuzzer target: the panel reader of `tnpsctl did`, and the estimator on
// what it reads when the panel is small enough to estimate quickly.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "core/group_time_att.h"
#include "tools/panel_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  auto panel = tnps::tools::ReadPanelCsv(in, {"unit", "period", "group", "outcome"});
  if (!panel.ok() || panel->rows.size() > 400) return 0;
  for (auto control :
       {tnps::core::ControlGroup::kNotYetTreated, tnps::core::ControlGroup::kNeverTreated}) {
    tnps::core::EstimateGroupTimeAtt(panel->rows, control).IgnoreError();
  }
  return 0;
}
