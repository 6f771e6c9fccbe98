// --help of both binaries: the program's own flags and, for tnpsctl, each
// command's usage and flags; never a source or build path.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/server_process.h"

namespace tnps::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(CommandHelp, ServerListsItsFlagsWithoutSourcePaths) {
  CommandResult help = RunCommand({TNPS_SERVER_BIN, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.stdout_text, HasSubstr("--database_url\n"));
  EXPECT_THAT(help.stdout_text, HasSubstr("--shutdown_grace\n"));
  EXPECT_THAT(help.stdout_text, HasSubstr("--alert_timeout\n"));
  EXPECT_THAT(help.stdout_text, Not(HasSubstr(".cc")));
  EXPECT_THAT(help.stdout_text, Not(HasSubstr("No flags matched")));
}

TEST(CommandHelp, EveryTnpsctlCommandHasItsOwnHelp) {
  for (const std::string command :
       {"db-setup", "migrate", "tenant", "key", "import", "reporting-role", "audit", "rate-limit",
        "erase", "exclude", "include", "exclusions", "retention", "did", "demo", "report"}) {
    CommandResult help = RunCommand({TNPSCTL_BIN, command, "--help"});
    EXPECT_EQ(help.exit_code, 0) << command;
    EXPECT_THAT(help.stdout_text, StartsWith("tnpsctl " + command + ":\n")) << command;
    EXPECT_THAT(help.stdout_text, HasSubstr("\n  " + command)) << command;
    EXPECT_THAT(help.stdout_text, Not(HasSubstr(".cc"))) << command;
  }
  CommandResult report = RunCommand({TNPSCTL_BIN, "report", "--help"});
  EXPECT_THAT(report.stdout_text, HasSubstr("  --program\n"));
  EXPECT_THAT(report.stdout_text, HasSubstr("  --washout-days\n"));
  EXPECT_THAT(report.stdout_text, Not(HasSubstr("--calls-per-second")));
}

TEST(CommandHelp, TnpsctlHelpListsCommandsAndUnknownOnesAreUsageErrors) {
  CommandResult help = RunCommand({TNPSCTL_BIN, "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.stdout_text, HasSubstr("tnpsctl COMMAND --help shows a command's flags."));
  EXPECT_THAT(help.stdout_text, Not(HasSubstr(".cc")));
  EXPECT_EQ(RunCommand({TNPSCTL_BIN, "nosuch", "--help"}).exit_code, 2);
}

}  // namespace
}  // namespace tnps::testing
