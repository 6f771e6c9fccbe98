// The documented clients (examples/clients/, docs/clients.md), in Python and
// Node, against the real server over TLS with a tenant and keys made by
// tnpsctl as the quickstart makes them: each client submits a response,
// sends it again and is told it is a duplicate, is told which field of a bad
// response is wrong, and reads the NPS, which the test knows exactly because
// the tenant is fresh and it seeded the rest itself.
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/e2e/server_process.h"
#include "tests/support/test_database.h"
#include "tnps/v1/ingest_service.grpc.pb.h"

namespace tnps::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPython[] = "/usr/bin/python3";  // Debian's, with python3-grpcio
constexpr char kTenant[] = "clients";
constexpr char kTimeZone[] = "Europe/Zurich";
// The seeded scores: with the clients' 9, two promoters, a passive and a
// detractor of four, NPS 25.
constexpr int kSeedScores[] = {10, 3, 7};
constexpr char kExpectedNps[] = "nps=25.0 responses=4 promoters=2 passives=1 detractors=1";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The key=value words of the first line of `output` that starts with
// `first_word` and a space; empty if there is none.
std::map<std::string, std::string> LineFields(const std::string& output,
                                              absl::string_view first_word) {
  std::map<std::string, std::string> fields;
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    if (!absl::ConsumePrefix(&line, absl::StrCat(first_word, " "))) continue;
    for (absl::string_view word : absl::StrSplit(line, ' ')) {
      std::vector<std::string> kv = absl::StrSplit(word, absl::MaxSplits('=', 1));
      if (kv.size() == 2) fields[kv[0]] = kv[1];
    }
    break;
  }
  return fields;
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

class ClientsE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDatabase>();
    dir_ = absl::StrCat(::testing::TempDir(), "/clients-",
                        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "-",
                        getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const CommandResult pki = RunCommand({TNPS_TLS_CERTS_SCRIPT, dir_ + "/tls"});
    ASSERT_EQ(pki.exit_code, 0) << pki.stderr_text;
    const CommandResult tenant =
        Tnpsctl({"tenant", "create", kTenant, absl::StrCat("--time-zone=", kTimeZone)});
    ASSERT_EQ(tenant.exit_code, 0) << tenant.stderr_text;
    // Key files as the quickstart writes them: tnpsctl's output, newline included.
    for (const char* role : {"ingest", "read"}) {
      const CommandResult key =
          Tnpsctl({"key", "create", absl::StrCat("--tenant=", kTenant), "--role", role});
      ASSERT_EQ(key.exit_code, 0) << key.stderr_text;
      std::ofstream(KeyFile(role)) << key.stdout_text;
    }
    // Its own key, so that seeding spends nothing of the clients' rate.
    const CommandResult seed_key =
        Tnpsctl({"key", "create", absl::StrCat("--tenant=", kTenant), "--role", "ingest"});
    ASSERT_EQ(seed_key.exit_code, 0) << seed_key.stderr_text;
    seed_key_ = std::string(absl::StripAsciiWhitespace(seed_key.stdout_text));
  }

  void TearDown() override {
    server_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  CommandResult Tnpsctl(std::vector<std::string> args) const {
    args.insert(args.begin(), TNPSCTL_BIN);
    args.push_back("--database_url=" + db_->owner_url());
    return RunCommand(args);
  }

  std::string KeyFile(const std::string& role) const { return dir_ + "/" + role + ".key"; }

  // Starts the server over TLS and stores kSeedScores through it.
  void StartServerAndSeed(std::vector<std::string> flags = {}) {
    flags.push_back("--tls_cert_file=" + dir_ + "/tls/server.pem");
    flags.push_back("--tls_key_file=" + dir_ + "/tls/server.key");
    server_ = std::make_unique<ServerProcess>(db_->url(), flags);
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(dir_ + "/tls/ca.pem");
    auto stub = tnps::v1::IngestService::NewStub(
        grpc::CreateChannel(server_->address(), grpc::SslCredentials(tls)));
    const absl::Time now = absl::Now();
    tnps::v1::SubmitResponsesRequest request;
    for (size_t i = 0; i < std::size(kSeedScores); ++i) {
      tnps::v1::SurveyResponse* r = request.add_responses();
      r->set_external_id(absl::StrCat("seed-", i));
      r->set_interaction_id(absl::StrCat("call-seed-", i));
      r->set_agent_id("agent-seed");
      r->set_team_id("team-seed");
      r->set_channel(tnps::v1::CHANNEL_CHAT);
      r->set_score(kSeedScores[i]);
      *r->mutable_interaction_time() = ToProto(now - absl::Hours(1));
      *r->mutable_response_time() = ToProto(now - absl::Minutes(30));
    }
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + seed_key_);
    tnps::v1::SubmitResponsesResponse out;
    const grpc::Status status = stub->SubmitResponses(&context, request, &out);
    ASSERT_TRUE(status.ok()) << status.error_message();
    ASSERT_EQ(out.accepted_count(), static_cast<int>(std::size(kSeedScores)));
  }

  // Runs an example with `env` and the server's address, CA and key files
  // in its environment (through env(1), which replaces what the test's own
  // environment holds).
  CommandResult RunExample(std::vector<std::string> argv, const std::vector<std::string>& env) {
    std::vector<std::string> full = {"/usr/bin/env", "TNPS_SERVER=" + server_->address(),
                                     "TNPS_TLS_CA_FILE=" + dir_ + "/tls/ca.pem",
                                     "TNPS_INGEST_KEY_FILE=" + KeyFile("ingest"),
                                     "TNPS_READ_KEY_FILE=" + KeyFile("read")};
    full.insert(full.end(), env.begin(), env.end());
    full.insert(full.end(), argv.begin(), argv.end());
    return RunCommand(full);
  }

  // Generates the Python stubs with the documented script and runs the
  // Python example.
  CommandResult RunPythonExample() {
    const std::string stubs = absl::StrCat(TNPS_BUILD_DIR, "/clients/python-e2e-", getpid());
    const CommandResult generated =
        RunCommand({absl::StrCat(TNPS_EXAMPLES_DIR, "/clients/python/generate_stubs.sh"), stubs});
    EXPECT_EQ(generated.exit_code, 0) << generated.stderr_text;
    CommandResult result =
        RunExample({kPython, absl::StrCat(TNPS_EXAMPLES_DIR, "/clients/python/submit_and_read.py")},
                   {"PYTHONPATH=" + stubs});
    std::filesystem::remove_all(stubs);
    return result;
  }

  // Installs the Node packages (tests/install_node_client.sh; a no-op when
  // tests/run.sh did); false, with the reason in node_skip_reason_, when
  // node or npm is missing or the registry unreachable.
  bool InstallNodePackages() {
    const CommandResult installed = RunCommand({TNPS_INSTALL_NODE_CLIENT, TNPS_BUILD_DIR});
    if (installed.exit_code == 77) {
      node_skip_reason_ = installed.stdout_text;
      return false;
    }
    EXPECT_EQ(installed.exit_code, 0) << installed.stdout_text << installed.stderr_text;
    return true;
  }

  CommandResult RunNodeExample() {
    return RunExample({"node", absl::StrCat(TNPS_EXAMPLES_DIR, "/clients/node/submit_and_read.js")},
                      {absl::StrCat("NODE_PATH=", TNPS_BUILD_DIR, "/clients/node/node_modules")});
  }

  // Every step of the example behaved as documented, and the tenant holds
  // the seeded responses and the example's one, once.
  void ExpectEveryStep(const CommandResult& run) {
    const std::string& out = run.stdout_text;
    EXPECT_EQ(run.exit_code, 0) << out << run.stderr_text;
    const auto submitted = LineFields(out, "submitted");
    const auto resubmitted = LineFields(out, "resubmitted");
    ASSERT_TRUE(submitted.count("external_id")) << out;
    EXPECT_EQ(submitted.at("duplicate"), "false") << out;
    EXPECT_FALSE(submitted.at("response_id").empty()) << out;
    ASSERT_TRUE(resubmitted.count("external_id")) << out;
    EXPECT_EQ(resubmitted.at("external_id"), submitted.at("external_id"));
    EXPECT_EQ(resubmitted.at("response_id"), submitted.at("response_id"));
    EXPECT_EQ(resubmitted.at("duplicate"), "true") << out;
    EXPECT_THAT(out,
                HasSubstr("rejected code=INVALID_ARGUMENT field=response.score description=is 11"));
    EXPECT_THAT(out, HasSubstr(absl::StrCat("time_zone=", kTimeZone, " ", kExpectedNps)));
    EXPECT_THAT(out, HasSubstr("ok: every step behaved as expected"));
    // The retry stored nothing, the bad response nothing.
    EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM responses"), 4);
    EXPECT_EQ(db_->QueryInt(absl::StrCat("SELECT count(*) FROM responses WHERE external_id = '",
                                         submitted.at("external_id"), "'")),
              1);
  }

  // Over its key's rate the example waited as RetryInfo said, and only so.
  static void ExpectRetriesAsRetryInfoSays(const CommandResult& run) {
    EXPECT_THAT(run.stdout_text, HasSubstr("code=RESOURCE_EXHAUSTED"));
    EXPECT_THAT(run.stdout_text, HasSubstr("(RetryInfo)"));
    EXPECT_THAT(run.stdout_text, Not(HasSubstr("(backoff)")));
  }

  // Two calls a second per key, no burst: the example's second call at once
  // is over its rate.
  static std::vector<std::string> RateLimitedFlags() {
    return {"--default_calls_per_second=2", "--default_call_burst=1"};
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
  std::string dir_;
  std::string seed_key_;
  std::string node_skip_reason_;
};

TEST_F(ClientsE2eTest, PythonClientRetriesAsADuplicateNamesTheBadFieldAndReadsTheNps) {
  ASSERT_NO_FATAL_FAILURE(StartServerAndSeed());
  ExpectEveryStep(RunPythonExample());
}

TEST_F(ClientsE2eTest, PythonClientOverItsRateWaitsAsRetryInfoSays) {
  ASSERT_NO_FATAL_FAILURE(StartServerAndSeed(RateLimitedFlags()));
  const CommandResult run = RunPythonExample();
  ExpectEveryStep(run);
  ExpectRetriesAsRetryInfoSays(run);
}

TEST_F(ClientsE2eTest, NodeClientRetriesAsADuplicateNamesTheBadFieldAndReadsTheNps) {
  if (!InstallNodePackages()) GTEST_SKIP() << node_skip_reason_;
  ASSERT_NO_FATAL_FAILURE(StartServerAndSeed());
  ExpectEveryStep(RunNodeExample());
}

TEST_F(ClientsE2eTest, NodeClientOverItsRateWaitsAsRetryInfoSays) {
  if (!InstallNodePackages()) GTEST_SKIP() << node_skip_reason_;
  ASSERT_NO_FATAL_FAILURE(StartServerAndSeed(RateLimitedFlags()));
  const CommandResult run = RunNodeExample();
  ExpectEveryStep(run);
  ExpectRetriesAsRetryInfoSays(run);
}

}  // namespace
}  // namespace tnps::testing
