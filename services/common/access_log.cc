#include "services/common/access_log.h"

#include <grpcpp/support/interceptor.h>

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/api_key.h"
#include "core/text_rules.h"
#include "tnps/v1/ingest_service.pb.h"

namespace tnps::services {
namespace {

using grpc::experimental::InterceptionHookPoints;

const char* CodeName(grpc::StatusCode code) {
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

// Responses an ingest reply says were stored or found stored; nullopt for
// other methods.
std::optional<int64_t> RowsOf(const std::string& method, const grpc::ByteBuffer& reply) {
  std::vector<grpc::Slice> slices;
  if (!reply.Dump(&slices).ok()) return std::nullopt;
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  if (method == "/tnps.v1.IngestService/SubmitResponse") return 1;
  if (method == "/tnps.v1.IngestService/SubmitResponses") {
    tnps::v1::SubmitResponsesResponse r;
    if (!r.ParseFromString(bytes)) return std::nullopt;
    return r.accepted_count() + r.duplicate_count();
  }
  if (method == "/tnps.v1.IngestService/StreamResponses") {
    tnps::v1::StreamResponsesResponse r;
    if (!r.ParseFromString(bytes)) return std::nullopt;
    return r.accepted_count() + r.duplicate_count();
  }
  return std::nullopt;
}

class AccessLog : public grpc::experimental::Interceptor {
 public:
  AccessLog(grpc::experimental::ServerRpcInfo* info, Authenticator& authenticator, std::FILE* out)
      : info_(info), authenticator_(authenticator), out_(out), start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      const auto* metadata = methods->GetRecvInitialMetadata();
      auto it = metadata->find("authorization");
      if (it != metadata->end()) {
        absl::string_view value(it->second.data(), it->second.size());
        if (absl::ConsumePrefix(&value, "Bearer ")) {
          absl::StatusOr<core::ApiKeyParts> parts = core::ParseApiKey(value);
          if (parts.ok()) key_id_ = parts->key_id;
        }
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE) &&
        absl::StartsWith(info_->method(), "/tnps.v1.IngestService/")) {
      if (const grpc::ByteBuffer* reply = methods->GetSerializedSendMessage()) {
        rows_ = RowsOf(info_->method(), *reply);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      std::optional<int64_t> tenant;
      if (!key_id_.empty()) tenant = authenticator_.TenantOfKeyId(key_id_);
      const std::string line = absl::StrFormat(
          "access method=%s peer=%s tenant=%s key=%s code=%s ms=%.2f rows=%s\n",
          core::EscapeControls(info_->method()),
          core::EscapeControls(info_->server_context()->peer()),
          tenant ? absl::StrCat(*tenant) : "-", key_id_.empty() ? "-" : key_id_,
          CodeName(status.error_code()), absl::ToDoubleMilliseconds(absl::Now() - start_),
          rows_ ? absl::StrCat(*rows_) : "-");
      std::fputs(line.c_str(), out_);
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  Authenticator& authenticator_;
  std::FILE* out_;
  const absl::Time start_;
  std::string key_id_;  // a parsed key id: 16 hex digits
  std::optional<int64_t> rows_;
};

}  // namespace

grpc::experimental::Interceptor* AccessLogFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new AccessLog(info, authenticator_, out_);
}

}  // namespace tnps::services
