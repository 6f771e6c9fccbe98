// Watches every call as it ends: counts it in the metrics
// (services/common/server_metrics.h) and, with --access_log, writes a
// sampled share of calls to the log as JSON lines:
//
//   {"time":"...","level":"info","msg":"call","method":"/tnps.v1.IngestService/SubmitResponses",
//    "peer":"ipv4:127.0.0.1:41234","tenant":3,"key_id":"0e4b063132d70219","code":"OK",
//    "ms":4.21,"rows":500}
//
// `key_id` is the key id (never the secret) the call presented, `tenant` the
// tenant of that key if this server has verified it, `rows` the responses
// an ingest call stored or found stored (accepted plus duplicates). A call
// that ended INTERNAL carries the `correlation_id` its caller was given.
// Values a client chose are escaped (core/log_line.h), so no call can forge
// a line.
#ifndef TNPS_SERVICES_COMMON_CALL_OBSERVER_H_
#define TNPS_SERVICES_COMMON_CALL_OBSERVER_H_

#include <grpcpp/support/server_interceptor.h>

#include "services/common/authenticator.h"
#include "services/common/server_metrics.h"

namespace tnps::services {

struct CallObserverOptions {
  // Null: no metrics.
  ServerMetrics* metrics = nullptr;
  // The share of calls written to the log, from 0 (none) to 1 (every one).
  double log_sample_rate = 0;
};

class CallObserverFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  CallObserverFactory(Authenticator& authenticator, CallObserverOptions options)
      : authenticator_(authenticator), options_(options) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Authenticator& authenticator_;
  const CallObserverOptions options_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_CALL_OBSERVER_H_
