// Turns domain statuses and field violations into gRPC statuses with
// google.rpc error details.
#ifndef TNPS_SERVICES_COMMON_GRPC_STATUS_H_
#define TNPS_SERVICES_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/field_violation.h"

namespace tnps::services {

// "OK", "INVALID_ARGUMENT", ...: the code's name as gRPC spells it, for
// logs and metric labels; "UNKNOWN" for a value outside the enum.
const char* StatusCodeName(grpc::StatusCode code);

// The start of every INTERNAL message: "internal error (correlation id
// 0123456789abcdef); see the server log".
inline constexpr char kInternalMessagePrefix[] = "internal error (correlation id ";

// Same code and message. An INTERNAL (or UNKNOWN) status is logged with a
// new correlation id, and the caller gets INTERNAL with only that id, in the
// message and as a google.rpc.RequestInfo (the detail stays in the log). A status made by
// RetryAfter carries its google.rpc.RetryInfo.
grpc::Status ToGrpcStatus(const absl::Status& status);

// RESOURCE_EXHAUSTED that tells the caller when to try again, in the
// message and as a google.rpc.RetryInfo detail.
absl::Status RetryAfter(absl::string_view message, absl::Duration delay);

// INVALID_ARGUMENT with a google.rpc.BadRequest listing `violations`, each
// field prefixed with `field_prefix` ("response." → "response.score").
grpc::Status InvalidArgument(absl::string_view message,
                             const std::vector<core::FieldViolation>& violations,
                             absl::string_view field_prefix = "");

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_GRPC_STATUS_H_
