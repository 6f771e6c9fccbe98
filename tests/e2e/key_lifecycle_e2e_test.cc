// API keys over their life, through tnpsctl and the real server: expiry
// (never trusted from the server's key cache past it), rotation with a
// grace period, and the coarse record of last use.
#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "core/role.h"
#include "storage/api_key_store.h"
#include "tests/e2e/ingest_fixture.h"

namespace tnps::testing {
namespace {

class KeyLifecycleE2eTest : public IngestFixture {
 protected:
  // The server's default key cache (10 s): expiry must cut it short.
  std::vector<std::string> ServerFlags() const override { return {"--refusal_delay=0s"}; }

  CommandResult Tnpsctl(std::vector<std::string> args) {
    args.insert(args.begin(), TNPSCTL_BIN);
    return RunCommand(args, {"TNPS_DATABASE_URL=" + db_->owner_url()});
  }

  // The rows of `tnpsctl key list --tenant tenant-a`, split at tabs,
  // without the header.
  std::vector<std::vector<std::string>> KeyList() {
    CommandResult listed = Tnpsctl({"key", "list", "--tenant", "tenant-a"});
    EXPECT_EQ(listed.exit_code, 0) << listed.stderr_text;
    std::vector<std::vector<std::string>> rows;
    for (absl::string_view line : absl::StrSplit(listed.stdout_text, '\n', absl::SkipEmpty())) {
      rows.push_back(absl::StrSplit(line, '\t'));
    }
    EXPECT_FALSE(rows.empty());
    if (!rows.empty()) rows.erase(rows.begin());
    return rows;
  }
};

TEST_F(KeyLifecycleE2eTest, AnExpiredKeyIsRefusedEvenWhileCached) {
  storage::ApiKeyStore keys(*pool_);
  absl::StatusOr<storage::IssuedKey> key =
      keys.Issue("tenant-a", core::Role::kIngest, absl::Now() + absl::Seconds(2));
  ASSERT_TRUE(key.ok()) << key.status();
  EXPECT_TRUE(Submit(key->key, ValidResponse("before-expiry")).ok());
  absl::SleepFor(absl::Milliseconds(2500));
  grpc::Status after = Submit(key->key, ValidResponse("after-expiry"));
  EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAUTHENTICATED) << after.error_message();
  EXPECT_EQ(ResponseCount(), 1);
}

TEST_F(KeyLifecycleE2eTest, TnpsctlCreatesListsAndRotatesKeys) {
  CommandResult created =
      Tnpsctl({"key", "create", "--tenant", "tenant-a", "--role", "ingest", "--expires-in", "90d"});
  ASSERT_EQ(created.exit_code, 0) << created.stderr_text;
  // The key alone on stdout, so that `> file` keeps it off the terminal.
  const std::string key(absl::StripTrailingAsciiWhitespace(created.stdout_text));
  ASSERT_EQ(key.find('\n'), std::string::npos);
  EXPECT_NE(created.stderr_text.find("expires "), std::string::npos) << created.stderr_text;
  const std::string key_id = key.substr(5, 16);

  auto row_of = [&](const std::string& id) {
    for (const auto& row : KeyList()) {
      if (row[0] == id) return row;
    }
    ADD_FAILURE() << "key " << id << " not listed";
    return std::vector<std::string>(6);
  };
  std::vector<std::string> row = row_of(key_id);
  ASSERT_EQ(row.size(), 6u);
  EXPECT_EQ(row[1], "ingest");
  EXPECT_EQ(row[3], "never");  // last used
  EXPECT_NE(row[4], "never");  // expires
  EXPECT_EQ(row[5], "active");
  ASSERT_TRUE(Submit(key, ValidResponse("used")).ok());
  EXPECT_NE(row_of(key_id)[3], "never");

  CommandResult rotated = Tnpsctl({"key", "rotate", key_id, "--grace", "1h"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.stderr_text;
  const std::string new_key(absl::StripTrailingAsciiWhitespace(rotated.stdout_text));
  EXPECT_TRUE(Submit(key, ValidResponse("old-in-grace")).ok());
  EXPECT_TRUE(Submit(new_key, ValidResponse("new")).ok());
  EXPECT_EQ(row_of(new_key.substr(5, 16))[4], "never");

  CommandResult bad =
      Tnpsctl({"key", "create", "--tenant", "tenant-a", "--role", "read", "--expires-in", "soon"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.stderr_text.find("--expires-in"), std::string::npos) << bad.stderr_text;
}

}  // namespace
}  // namespace tnps::testing
