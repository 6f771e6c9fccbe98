#include "services/common/call_observer.h"

#include <grpcpp/support/interceptor.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/bernoulli_distribution.h"
#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/api_key.h"
#include "logging/log.h"
#include "services/common/grpc_status.h"
#include "tnps/v1/ingest_service.pb.h"

namespace tnps::services {
namespace {

using grpc::experimental::InterceptionHookPoints;

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

class CallObserver : public grpc::experimental::Interceptor {
 public:
  CallObserver(grpc::experimental::ServerRpcInfo* info, Authenticator& authenticator,
               const CallObserverOptions& options, bool logged)
      : info_(info),
        authenticator_(authenticator),
        metrics_(options.metrics),
        logged_(logged),
        start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (logged_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
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
    if (logged_ && methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE) &&
        absl::StartsWith(info_->method(), "/tnps.v1.IngestService/")) {
      if (const grpc::ByteBuffer* reply = methods->GetSerializedSendMessage()) {
        rows_ = RowsOf(info_->method(), *reply);
      }
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const absl::Duration took = absl::Now() - start_;
      if (metrics_ != nullptr) metrics_->ObserveCall(info_->method(), status.error_code(), took);
      if (logged_) WriteLine(status, took);
    }
    methods->Proceed();
  }

 private:
  void WriteLine(const grpc::Status& status, absl::Duration took) {
    std::optional<int64_t> tenant;
    if (!key_id_.empty()) tenant = authenticator_.TenantOfKeyId(key_id_);
    const std::string peer = info_->server_context()->peer();
    std::vector<core::LogField> fields = {{"method", info_->method()},
                                          {"peer", peer},
                                          {"code", StatusCodeName(status.error_code())},
                                          {"ms", absl::ToDoubleMilliseconds(took)}};
    if (tenant) fields.emplace_back("tenant", *tenant);
    if (!key_id_.empty()) fields.emplace_back("key_id", key_id_);
    if (rows_) fields.emplace_back("rows", *rows_);
    std::string correlation_id;
    if (status.error_code() == grpc::StatusCode::INTERNAL &&
        absl::StartsWith(status.error_message(), kInternalMessagePrefix)) {
      correlation_id = status.error_message().substr(std::strlen(kInternalMessagePrefix), 16);
      fields.emplace_back("correlation_id", correlation_id);
    }
    logging::Log(logging::LogLevel::kInfo, "call", fields);
  }

  grpc::experimental::ServerRpcInfo* info_;
  Authenticator& authenticator_;
  ServerMetrics* const metrics_;
  const bool logged_;
  const absl::Time start_;
  std::string key_id_;  // a parsed key id: 16 hex digits
  std::optional<int64_t> rows_;
};

}  // namespace

grpc::experimental::Interceptor* CallObserverFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  thread_local absl::InsecureBitGen random;
  const bool logged =
      options_.log_sample_rate >= 1 ||
      (options_.log_sample_rate > 0 && absl::Bernoulli(random, options_.log_sample_rate));
  return new CallObserver(info, authenticator_, options_, logged);
}

}  // namespace tnps::services
