// How tnps-server secures its listening port: TLS from PEM files that are
// re-read when they change (certificates rotate without a restart),
// optionally requiring client certificates signed by a given CA (mutual
// TLS), and the rule that plaintext stays on loopback unless the operator
// asks for it by name.
#ifndef TNPS_SERVICES_COMMON_SERVER_CREDENTIALS_H_
#define TNPS_SERVICES_COMMON_SERVER_CREDENTIALS_H_

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tnps::services {

struct TlsFiles {
  // The server's certificate chain and private key (PEM). Both or neither.
  std::string cert_file;
  std::string key_file;
  // With it, every client must present a certificate this CA signed.
  std::string client_ca_file;
  // How often the files are checked for a new version.
  absl::Duration reload_interval = absl::Minutes(1);
};

// True for addresses only this machine can reach: 127.0.0.0/8, ::1,
// localhost, and unix sockets. `listen` is a gRPC listening address
// ("host:port", "[v6]:port", "unix:path").
bool IsLoopbackAddress(absl::string_view listen);

struct ServerSecurity {
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // "TLS", "mutual TLS" or "plaintext", for the start-up log.
  std::string description;
};

// TLS when `files` name a certificate and key, after checking that they
// read, parse and belong together (and that the client CA parses); errors
// name the file, never its contents. Plaintext without them, which is
// FAILED_PRECONDITION on a non-loopback `listen` unless `allow_plaintext`.
absl::StatusOr<ServerSecurity> MakeServerSecurity(const TlsFiles& files, absl::string_view listen,
                                                  bool allow_plaintext);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_SERVER_CREDENTIALS_H_
