#include "services/common/server_credentials.h"

#include <arpa/inet.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tnps::services {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError(absl::StrCat("cannot read ", what, " ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<BIO, BioFree> MemoryBio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The first certificate of a PEM file, or an error naming the file.
absl::StatusOr<std::unique_ptr<X509, X509Free>> FirstCertificate(const std::string& path,
                                                                 absl::string_view what) {
  absl::StatusOr<std::string> pem = ReadFile(path, what);
  if (!pem.ok()) return pem.status();
  std::unique_ptr<X509, X509Free> cert(
      PEM_read_bio_X509(MemoryBio(*pem).get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, " ", path, " holds no PEM certificate"));
  }
  return cert;
}

absl::Status CheckTlsFiles(const TlsFiles& files) {
  absl::StatusOr<std::unique_ptr<X509, X509Free>> cert =
      FirstCertificate(files.cert_file, "--tls_cert_file");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key_pem = ReadFile(files.key_file, "--tls_key_file");
  if (!key_pem.ok()) return key_pem.status();
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(MemoryBio(*key_pem).get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("--tls_key_file ", files.key_file, " holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert->get(), key.get()) != 1) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--tls_key_file ", files.key_file, " is not the key of --tls_cert_file ", files.cert_file));
  }
  if (!files.client_ca_file.empty()) {
    absl::StatusOr<std::unique_ptr<X509, X509Free>> ca =
        FirstCertificate(files.client_ca_file, "--tls_client_ca_file");
    if (!ca.ok()) return ca.status();
  }
  return absl::OkStatus();
}

// The host part of a gRPC listening address.
std::string HostOf(absl::string_view listen) {
  for (absl::string_view scheme : {"ipv4:", "ipv6:", "dns:"}) {
    if (absl::StartsWith(listen, scheme)) listen.remove_prefix(scheme.size());
  }
  if (absl::StartsWith(listen, "[")) {
    const size_t close = listen.find(']');
    return std::string(
        listen.substr(1, close == absl::string_view::npos ? listen.size() : close - 1));
  }
  const size_t colon = listen.rfind(':');
  return std::string(colon == absl::string_view::npos ? listen : listen.substr(0, colon));
}

}  // namespace

bool IsLoopbackAddress(absl::string_view listen) {
  if (absl::StartsWith(listen, "unix:") || absl::StartsWith(listen, "unix-abstract:")) return true;
  const std::string host = absl::AsciiStrToLower(HostOf(listen));
  if (host == "localhost") return true;
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  return inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

absl::StatusOr<ServerSecurity> MakeServerSecurity(const TlsFiles& files, absl::string_view listen,
                                                  bool allow_plaintext) {
  if (files.cert_file.empty() != files.key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert_file and --tls_key_file go together");
  }
  if (files.cert_file.empty()) {
    if (!files.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls_client_ca_file needs --tls_cert_file and --tls_key_file");
    }
    if (!IsLoopbackAddress(listen) && !allow_plaintext) {
      return absl::FailedPreconditionError(absl::StrCat(
          "refusing to serve plaintext on ", listen,
          ", which other machines can reach: set --tls_cert_file and --tls_key_file, or "
          "--allow_plaintext if something in front of the server encrypts the traffic"));
    }
    return ServerSecurity{grpc::InsecureServerCredentials(), "plaintext"};
  }
  if (absl::Status checked = CheckTlsFiles(files); !checked.ok()) return checked;
  const unsigned int reload_seconds =
      static_cast<unsigned int>(std::max<int64_t>(1, absl::ToInt64Seconds(files.reload_interval)));
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key_file, files.cert_file, files.client_ca_file, reload_seconds);
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  std::string description = "TLS";
  if (!files.client_ca_file.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    description = "mutual TLS";
  }
  return ServerSecurity{grpc::experimental::TlsServerCredentials(options), description};
}

}  // namespace tnps::services
