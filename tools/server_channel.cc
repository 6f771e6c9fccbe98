#include "tools/server_channel.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"

ABSL_DECLARE_FLAG(std::string, server);
ABSL_DECLARE_FLAG(std::string, tls_ca_file);
ABSL_DECLARE_FLAG(std::string, tls_client_cert_file);
ABSL_DECLARE_FLAG(std::string, tls_client_key_file);

namespace tnps::tools {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path, const char* flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", flag, " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> OpenServerChannel() {
  const std::string ca = absl::GetFlag(FLAGS_tls_ca_file);
  const std::string cert = absl::GetFlag(FLAGS_tls_client_cert_file);
  const std::string key = absl::GetFlag(FLAGS_tls_client_key_file);
  if (cert.empty() != key.empty()) {
    return absl::InvalidArgumentError(
        "--tls_client_cert_file and --tls_client_key_file go together");
  }
  if (ca.empty()) {
    if (!cert.empty()) {
      return absl::InvalidArgumentError("a client certificate needs TLS: set --tls_ca_file too");
    }
    return grpc::CreateChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials());
  }
  grpc::SslCredentialsOptions options;
  absl::StatusOr<std::string> roots = ReadPem(ca, "--tls_ca_file");
  if (!roots.ok()) return roots.status();
  options.pem_root_certs = *std::move(roots);
  if (!cert.empty()) {
    absl::StatusOr<std::string> chain = ReadPem(cert, "--tls_client_cert_file");
    if (!chain.ok()) return chain.status();
    absl::StatusOr<std::string> private_key = ReadPem(key, "--tls_client_key_file");
    if (!private_key.ok()) return private_key.status();
    options.pem_cert_chain = *std::move(chain);
    options.pem_private_key = *std::move(private_key);
  }
  return grpc::CreateChannel(absl::GetFlag(FLAGS_server), grpc::SslCredentials(options));
}

}  // namespace tnps::tools
