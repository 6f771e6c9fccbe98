// Validation of the IANA time zone names that tenants bucket their days in.
#ifndef TNPS_CORE_TIME_ZONE_NAME_H_
#define TNPS_CORE_TIME_ZONE_NAME_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tnps::core {

// OK if `name` is an IANA zone such as "Europe/Zurich" or "UTC" known to the
// system's time zone database. Fixed offsets ("+02:00") are refused: they
// have no daylight-saving rules and would split local days wrongly.
absl::Status ValidateTimeZoneName(absl::string_view name);

}  // namespace tnps::core

#endif  // TNPS_CORE_TIME_ZONE_NAME_H_
