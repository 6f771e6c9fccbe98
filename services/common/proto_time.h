// google.protobuf.Timestamp to and from absl::Time, with the checks every
// request field of that type needs.
#ifndef TNPS_SERVICES_COMMON_PROTO_TIME_H_
#define TNPS_SERVICES_COMMON_PROTO_TIME_H_

#include <google/protobuf/timestamp.pb.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/field_violation.h"

namespace tnps::services {

// nullopt and a violation on `field` outside Timestamp's documented range
// (0001-01-01 to 9999-12-31) or with nanos outside 0..999,999,999.
std::optional<absl::Time> MapTimestamp(const google::protobuf::Timestamp& ts,
                                       const std::string& field,
                                       std::vector<core::FieldViolation>& violations);

// Microsecond precision, as PostgreSQL keeps it.
void TimeToProto(absl::Time time, google::protobuf::Timestamp* out);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_PROTO_TIME_H_
