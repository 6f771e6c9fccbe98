#include "services/common/grpc_status.h"

#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "logging/log.h"

namespace tnps::services {
namespace {

constexpr char kRetryInfoUrl[] = "type.googleapis.com/google.rpc.RetryInfo";

}  // namespace

const char* StatusCodeName(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "UNKNOWN";
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  if (absl::IsInternal(status) || absl::IsUnknown(status)) {
    // The detail (a database error can quote request data) goes to the log
    // only; the caller gets an id to quote to the operator, in the message
    // and as a google.rpc.RequestInfo.
    const std::string id = logging::NewCorrelationId();
    logging::Log(logging::LogLevel::kError, "internal error",
                 {{"correlation_id", id}, {"error", status.message()}});
    google::rpc::Status rich;
    rich.set_code(static_cast<int>(grpc::StatusCode::INTERNAL));
    rich.set_message(absl::StrCat(kInternalMessagePrefix, id, "); see the server log"));
    google::rpc::RequestInfo info;
    info.set_request_id(id);
    rich.add_details()->PackFrom(info);
    return grpc::Status(grpc::StatusCode::INTERNAL, rich.message(), rich.SerializeAsString());
  }
  const auto code = static_cast<grpc::StatusCode>(status.code());
  absl::optional<absl::Cord> retry = status.GetPayload(kRetryInfoUrl);
  if (!retry) return grpc::Status(code, std::string(status.message()));
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(code));
  rich.set_message(std::string(status.message()));
  google::protobuf::Any* detail = rich.add_details();
  detail->set_type_url(kRetryInfoUrl);
  detail->set_value(std::string(*retry));
  return grpc::Status(code, rich.message(), rich.SerializeAsString());
}

absl::Status RetryAfter(absl::string_view message, absl::Duration delay) {
  absl::Status status = absl::ResourceExhaustedError(
      absl::StrCat(message, "; retry in ", absl::FormatDuration(delay)));
  google::rpc::RetryInfo info;
  const int64_t millis = absl::ToInt64Milliseconds(delay);
  info.mutable_retry_delay()->set_seconds(millis / 1000);
  info.mutable_retry_delay()->set_nanos(static_cast<int32_t>(millis % 1000) * 1000000);
  status.SetPayload(kRetryInfoUrl, absl::Cord(info.SerializeAsString()));
  return status;
}

grpc::Status InvalidArgument(absl::string_view message,
                             const std::vector<core::FieldViolation>& violations,
                             absl::string_view field_prefix) {
  google::rpc::BadRequest bad_request;
  std::string text(message);
  for (const core::FieldViolation& v : violations) {
    auto* fv = bad_request.add_field_violations();
    fv->set_field(absl::StrCat(field_prefix, v.field));
    fv->set_description(v.description);
    absl::StrAppend(&text, text.empty() ? "" : "; ", fv->field(), " ", v.description);
  }
  google::rpc::Status rich;
  rich.set_code(static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  rich.set_message(text);
  rich.add_details()->PackFrom(bad_request);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, text, rich.SerializeAsString());
}

}  // namespace tnps::services
