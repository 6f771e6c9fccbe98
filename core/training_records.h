// What the training estimators read: agents' enrolments in a programme and
// their response counts per period, as storage returns them.
#ifndef TNPS_CORE_TRAINING_RECORDS_H_
#define TNPS_CORE_TRAINING_RECORDS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/nps_statistics.h"

namespace tnps::core {

// An agent's place in one cohort of a training programme (an agent is in at
// most one cohort per programme).
struct Enrollment {
  std::string agent_id;
  int64_t cohort_id = 0;
  absl::Time enrolled_at;
  // Unset until the completion is recorded.
  std::optional<absl::Time> completed_at;
  // completed_at's day in the tenant's time zone.
  std::optional<absl::CivilDay> completed_day;
};

// One agent's counts in one day, week or month.
struct AgentPeriodCounts {
  std::string agent_id;
  // The day, or the first day of the week or month.
  absl::CivilDay day;
  NpsCounts counts;
};

// One agent's counts over some range of days. An agent may appear more than
// once (once per team it answered for); its entries add up.
struct AgentTotal {
  std::string agent_id;
  NpsCounts counts;
};

}  // namespace tnps::core

#endif  // TNPS_CORE_TRAINING_RECORDS_H_
