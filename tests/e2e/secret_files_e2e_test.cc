// Secrets from files: tnps-server's --database_url_file and tnpsctl's
// --api_key_file and --database_url_file, so that no secret needs to be on a
// command line or in the environment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "tests/e2e/ingest_fixture.h"

namespace tnps::testing {
namespace {

using ::testing::HasSubstr;

// A file of `content` in the test's temporary directory.
std::string WriteFile(const std::string& name, const std::string& content) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << content;
  return path;
}

TEST_F(IngestFixture, ServerReadsItsDatabaseUrlFromAFile) {
  const std::string url_file = WriteFile("database-url", db_->url() + "\n");
  ServerProcess server("", {"--database_url_file=" + url_file});
  auto stub = tnps::v1::IngestService::NewStub(server.NewChannel());
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + ingest_key_a_);
  tnps::v1::SubmitResponseRequest request;
  *request.mutable_response() = ValidResponse("from-url-file");
  tnps::v1::SubmitResponseResponse response;
  const grpc::Status status = stub->SubmitResponse(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(ResponseCount(), 1);
}

TEST_F(IngestFixture, TnpsctlReadsItsSecretsFromFiles) {
  const std::string csv = WriteFile(
      "one.csv",
      "external_id,interaction_id,agent_id,team_id,channel,score,interaction_time,response_time\n"
      "file-1,call-1,agent-1,team-1,chat,9,2026-01-05T10:00:00Z,2026-01-05T10:20:00Z\n");
  const std::string key_file = WriteFile("api-key", ingest_key_a_ + "\n");
  CommandResult imported = RunCommand(
      {TNPSCTL_BIN, "import", csv, "--server=" + server_->address(), "--api-key-file=" + key_file});
  EXPECT_EQ(imported.exit_code, 0) << imported.stderr_text;
  EXPECT_EQ(ResponseCount(), 1);

  const std::string url_file = WriteFile("ctl-database-url", db_->owner_url());
  CommandResult listed =
      RunCommand({TNPSCTL_BIN, "tenant", "list", "--database-url-file=" + url_file});
  EXPECT_EQ(listed.exit_code, 0) << listed.stderr_text;
  EXPECT_THAT(listed.stdout_text, HasSubstr("tenant-a"));
}

TEST_F(IngestFixture, ASecretAndItsFileTogetherIsAUsageError) {
  const std::string key_file = WriteFile("api-key-both", ingest_key_a_);
  CommandResult both = RunCommand({TNPSCTL_BIN, "import", "/dev/null", "--api-key=" + ingest_key_a_,
                                   "--api-key-file=" + key_file});
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_THAT(both.stderr_text, HasSubstr("not both"));
  // The message names the file, never the secret.
  EXPECT_THAT(both.stderr_text, ::testing::Not(HasSubstr(ingest_key_a_)));
  CommandResult empty = RunCommand(
      {TNPSCTL_BIN, "tenant", "list", "--database-url-file=" + WriteFile("empty-url", "\n")});
  EXPECT_EQ(empty.exit_code, 2);
  EXPECT_THAT(empty.stderr_text, HasSubstr("is empty"));
}

}  // namespace
}  // namespace tnps::testing
