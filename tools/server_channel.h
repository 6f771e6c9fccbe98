// The connection from tnpsctl's client commands (import, demo, report) to
// tnps-server: plaintext, or TLS verified against --tls_ca_file, with a
// client certificate (--tls_client_cert_file, --tls_client_key_file) for a
// server that requires mutual TLS.
#ifndef TNPS_TOOLS_SERVER_CHANNEL_H_
#define TNPS_TOOLS_SERVER_CHANNEL_H_

#include <grpcpp/grpcpp.h>

#include <memory>

#include "absl/status/statusor.h"

namespace tnps::tools {

// A channel to --server; an error names a TLS file that cannot be read or a
// client certificate without its key.
absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenServerChannel();

}  // namespace tnps::tools

#endif  // TNPS_TOOLS_SERVER_CHANNEL_H_
