#include "services/common/grpc_status.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace tnps::services {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  if (absl::IsInternal(status) || absl::IsUnknown(status)) {
    std::fprintf(stderr, "internal error: %s\n", std::string(status.message()).c_str());
    return grpc::Status(grpc::StatusCode::INTERNAL, "internal error; see the server log");
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
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
