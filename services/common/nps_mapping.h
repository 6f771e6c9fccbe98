// Between the tnps.v1 messages every read service uses (filters, summaries,
// deltas, dates) and their core and storage forms, with the checks only
// requests need.
#ifndef TNPS_SERVICES_COMMON_NPS_MAPPING_H_
#define TNPS_SERVICES_COMMON_NPS_MAPPING_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "core/field_violation.h"
#include "core/nps_statistics.h"
#include "services/common/api_limits.h"
#include "storage/analytics_store.h"
#include "tnps/v1/nps.pb.h"

namespace tnps::services {

struct IntervalOptions {
  core::IntervalMethod method = core::IntervalMethod::kWald;
  double confidence_level = 0.95;
};

// A real calendar day from year 2000 on; a violation on `field` if absent
// (when `present` is false) or invalid.
std::optional<absl::CivilDay> MapDate(bool present, const tnps::v1::Date& date,
                                      const std::string& field,
                                      std::vector<core::FieldViolation>& violations);

// Violations are appended with field paths under `prefix` ("filter.").
std::optional<storage::RollupFilter> MapFilter(const tnps::v1::NpsFilter& filter, int64_t tenant_id,
                                               const std::string& prefix,
                                               std::vector<core::FieldViolation>& violations);

IntervalOptions MapIntervalOptions(tnps::v1::IntervalMethod method, double confidence_level,
                                   std::vector<core::FieldViolation>& violations);

tnps::v1::Date DateToProto(absl::CivilDay day);
void SummaryToProto(const core::NpsSummary& summary, tnps::v1::NpsSummary* out);
void DeltaToProto(const core::NpsDifference& delta, tnps::v1::NpsDelta* out);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_NPS_MAPPING_H_
