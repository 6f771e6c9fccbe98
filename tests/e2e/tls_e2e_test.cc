// TLS on the real server: a client must trust the server's CA; with mutual
// TLS the server must trust the client's; certificates rotate without a
// restart; plaintext stays on loopback unless asked for; tnpsctl connects
// with a CA file and a client certificate. Certificates come from
// deploy/tls-certs.sh, the script the quickstart uses.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "storage/api_key_store.h"
#include "storage/connection_pool.h"
#include "storage/tenant_store.h"
#include "tests/e2e/ingest_fixture.h"
#include "tests/e2e/server_process.h"
#include "tests/support/test_database.h"
#include "tnps/v1/analytics_service.grpc.pb.h"

namespace tnps::testing {
namespace {

using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A directory with a CA, a server certificate and a client certificate
// `crm`, made by deploy/tls-certs.sh.
std::string MakePki(const std::string& name) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/pki-", name, "-", getpid());
  std::filesystem::remove_all(dir);
  CommandResult server = RunCommand({TNPS_TLS_CERTS_SCRIPT, dir});
  EXPECT_EQ(server.exit_code, 0) << server.stderr_text;
  CommandResult client = RunCommand({TNPS_TLS_CERTS_SCRIPT, dir, "client", "crm"});
  EXPECT_EQ(client.exit_code, 0) << client.stderr_text;
  return dir;
}

class TlsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDatabase>();
    // Stores prepare their statements on connections opened after them.
    storage::ConnectionPool pool({.database_url = db_->owner_url(), .size = 1});
    storage::TenantStore tenants(pool);
    storage::ApiKeyStore keys(pool);
    absl::StatusOr<storage::Tenant> tenant = tenants.Create("acme", "UTC");
    ASSERT_TRUE(tenant.ok()) << tenant.status();
    absl::StatusOr<storage::IssuedKey> key = keys.Issue("acme", core::Role::kRead);
    ASSERT_TRUE(key.ok()) << key.status();
    read_key_ = key->key;
    pki_ = MakePki("ours");
  }

  std::vector<std::string> TlsFlags(bool mutual) const {
    std::vector<std::string> flags = {"--tls_cert_file=" + pki_ + "/server.pem",
                                      "--tls_key_file=" + pki_ + "/server.key",
                                      "--tls_reload_interval=1s"};
    if (mutual) flags.push_back("--tls_client_ca_file=" + pki_ + "/ca.pem");
    return flags;
  }

  // Credentials trusting `ca_dir`'s CA, presenting `client_dir`'s crm
  // certificate if given.
  static std::shared_ptr<grpc::ChannelCredentials> Credentials(const std::string& ca_dir,
                                                               const std::string& client_dir = "") {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(ca_dir + "/ca.pem");
    if (!client_dir.empty()) {
      options.pem_cert_chain = ReadFile(client_dir + "/crm.pem");
      options.pem_private_key = ReadFile(client_dir + "/crm.key");
    }
    return grpc::SslCredentials(options);
  }

  // GetNps over a new connection; `peer_cert` receives the certificate the
  // server presented.
  grpc::Status CallGetNps(const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                          std::string* peer_cert = nullptr) {
    grpc::ChannelArguments args;
    args.SetInt("tnps.test.connection", ++connections_);  // never reuse a connection
    auto stub = tnps::v1::AnalyticsService::NewStub(
        grpc::CreateCustomChannel(server_->address(), credentials, args));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + read_key_);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter()->mutable_start_date() = ProtoDate(absl::CivilDay(2026, 1, 1));
    *request.mutable_filter()->mutable_end_date() = ProtoDate(absl::CivilDay(2026, 1, 31));
    tnps::v1::GetNpsResponse response;
    grpc::Status status = stub->GetNps(&context, request, &response);
    if (peer_cert != nullptr && status.ok()) {
      const auto values = context.auth_context()->FindPropertyValues("x509_pem_cert");
      *peer_cert = values.empty() ? "" : std::string(values.front().data(), values.front().size());
    }
    return status;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
  std::string read_key_;
  std::string pki_;
  int connections_ = 0;
};

TEST_F(TlsE2eTest, ClientTrustingTheServersCaIsServed) {
  server_ = std::make_unique<ServerProcess>(db_->url(), TlsFlags(false));
  EXPECT_TRUE(CallGetNps(Credentials(pki_)).ok());
  // A plaintext client cannot talk to a TLS port.
  EXPECT_EQ(CallGetNps(grpc::InsecureChannelCredentials()).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsE2eTest, ClientTrustingAnotherCaRefusesTheServer) {
  server_ = std::make_unique<ServerProcess>(db_->url(), TlsFlags(false));
  const std::string other = MakePki("other");
  EXPECT_EQ(CallGetNps(Credentials(other)).error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsE2eTest, MutualTlsAdmitsOnlyClientsWithACertificateOfItsCa) {
  server_ = std::make_unique<ServerProcess>(db_->url(), TlsFlags(true));
  const std::string other = MakePki("other");
  EXPECT_EQ(CallGetNps(Credentials(pki_)).error_code(), grpc::StatusCode::UNAVAILABLE)
      << "no client certificate";
  EXPECT_EQ(CallGetNps(Credentials(pki_, other)).error_code(), grpc::StatusCode::UNAVAILABLE)
      << "a client certificate of another CA";
  EXPECT_TRUE(CallGetNps(Credentials(pki_, pki_)).ok());
}

TEST_F(TlsE2eTest, ARenewedCertificateIsServedWithoutARestart) {
  server_ = std::make_unique<ServerProcess>(db_->url(), TlsFlags(false));
  std::string before;
  ASSERT_TRUE(CallGetNps(Credentials(pki_), &before).ok());
  EXPECT_EQ(before, ReadFile(pki_ + "/server.pem"));
  ASSERT_EQ(RunCommand({TNPS_TLS_CERTS_SCRIPT, pki_}).exit_code, 0);  // a new server certificate
  const std::string renewed = ReadFile(pki_ + "/server.pem");
  ASSERT_NE(renewed, before);
  // The server checks its files every second (--tls_reload_interval=1s).
  std::string after;
  for (int i = 0; i < 50 && after != renewed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(CallGetNps(Credentials(pki_), &after).ok());
  }
  EXPECT_EQ(after, renewed);
}

TEST_F(TlsE2eTest, PlaintextBeyondLoopbackAndMismatchedFilesStopTheServer) {
  // Nothing listens: the server refuses before it binds.
  CommandResult open =
      RunCommand({TNPS_SERVER_BIN, "--listen=0.0.0.0:0", "--database_url=" + db_->url()});
  EXPECT_EQ(open.exit_code, 2);
  EXPECT_THAT(open.stderr_text, HasSubstr("refusing to serve plaintext on 0.0.0.0:0"));
  CommandResult mismatched = RunCommand(
      {TNPS_SERVER_BIN, "--listen=127.0.0.1:0", "--database_url=" + db_->url(),
       "--tls_cert_file=" + pki_ + "/server.pem", "--tls_key_file=" + pki_ + "/crm.key"});
  EXPECT_EQ(mismatched.exit_code, 2);
  EXPECT_THAT(mismatched.stderr_text, HasSubstr("is not the key of --tls_cert_file"));
  // The key's contents never reach the output.
  EXPECT_THAT(mismatched.stderr_text, ::testing::Not(HasSubstr("PRIVATE KEY")));
}

TEST_F(TlsE2eTest, BufCurlWithTheCaFileCallsThroughReflection) {
  // The form of the buf curl lines the quickstart prints and docs/api.md shows.
  if (access(TNPS_BUF_BIN, X_OK) != 0) GTEST_SKIP() << "buf is not installed (needs npm)";
  server_ = std::make_unique<ServerProcess>(db_->url(), TlsFlags(false));
  CommandResult result =
      RunCommand({TNPS_BUF_BIN, "curl", "--protocol", "grpc", "--cacert", pki_ + "/ca.pem", "-H",
                  "authorization: Bearer " + read_key_, "-d",
                  R"({"filter": {"startDate": {"year": 2026, "month": 1, "day": 1},
                      "endDate": {"year": 2026, "month": 1, "day": 31}}})",
                  "https://" + server_->address() + "/tnps.v1.AnalyticsService/GetNps"});
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("\"summary\""));
  // Without the CA, buf refuses the server's certificate.
  CommandResult untrusted = RunCommand(
      {TNPS_BUF_BIN, "curl", "--protocol", "grpc", "-H", "authorization: Bearer " + read_key_, "-d",
       "{}", "https://" + server_->address() + "/tnps.v1.AnalyticsService/GetNps"});
  EXPECT_NE(untrusted.exit_code, 0);
}

TEST_F(TlsE2eTest, TnpsctlImportsOverMutualTls) {
  server_ = std::make_unique<ServerProcess>(db_->url(), TlsFlags(true));
  storage::ConnectionPool pool({.database_url = db_->owner_url(), .size = 1});
  absl::StatusOr<storage::IssuedKey> ingest =
      storage::ApiKeyStore(pool).Issue("acme", core::Role::kIngest);
  ASSERT_TRUE(ingest.ok());
  const std::string csv = pki_ + "/import.csv";
  {
    std::ofstream out(csv);
    out << "external_id,interaction_id,agent_id,team_id,channel,customer_ref,score,comment,"
           "interaction_time,response_time\n"
           "tls-1,call-1,agent-1,team-1,chat,c1,9,,2026-01-05T10:00:00Z,2026-01-05T10:20:00Z\n";
  }
  const std::vector<std::string> base = {TNPSCTL_BIN, "import", csv,
                                         "--server=" + server_->address(),
                                         "--tls_ca_file=" + pki_ + "/ca.pem"};
  const std::vector<std::string> env = {"TNPS_API_KEY=" + ingest->key};
  CommandResult without = RunCommand(base, env);
  EXPECT_EQ(without.exit_code, 1) << "no client certificate: " << without.stderr_text;
  std::vector<std::string> with = base;
  with.push_back("--tls_client_cert_file=" + pki_ + "/crm.pem");
  with.push_back("--tls_client_key_file=" + pki_ + "/crm.key");
  CommandResult result = RunCommand(with, env);
  EXPECT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text + result.stderr_text, HasSubstr("1 accepted"));
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM responses WHERE external_id = 'tls-1'"), 1);
}

}  // namespace
}  // namespace tnps::testing
