// The access log (--access_log): one line per call on the server's log,
// written when the call ends:
//
//   access method=/tnps.v1.IngestService/SubmitResponses peer=ipv4:127.0.0.1:41234
//          tenant=3 key=0e4b063132d70219 code=OK ms=4.21 rows=500
//
// `key` is the key id (never the secret) the call presented, `tenant` the
// tenant of that key if this server has verified it, `rows` the responses
// an ingest call stored or found stored (accepted plus duplicates). Every
// value a client chose is escaped (core::EscapeControls), so no call can
// forge a line.
#ifndef TNPS_SERVICES_COMMON_ACCESS_LOG_H_
#define TNPS_SERVICES_COMMON_ACCESS_LOG_H_

#include <grpcpp/support/server_interceptor.h>

#include <cstdio>
#include <memory>

#include "services/common/authenticator.h"

namespace tnps::services {

class AccessLogFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Lines go to `out` (the server's stderr).
  AccessLogFactory(Authenticator& authenticator, std::FILE* out)
      : authenticator_(authenticator), out_(out) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Authenticator& authenticator_;
  std::FILE* out_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_ACCESS_LOG_H_
