// `tnpsctl did` as a user runs it on the did package's example panel.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/server_process.h"

namespace tnps::testing {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kMpdtaArgs = {
    TNPSCTL_BIN, "did",        "--input=" TNPS_TEST_DATA_DIR "/mpdta.csv",
    "--unit",    "countyreal", "--period",
    "year",      "--group",    "first.treat",
    "--outcome", "lemp"};

TEST(TnpsctlDid, PrintsTheDidTableForMpdta) {
  std::vector<std::string> args = kMpdtaArgs;
  args.push_back("--control=never-treated");
  CommandResult result = RunCommand(args);
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("    2004    2004  2003    -0.0105    0.0233"));
  EXPECT_THAT(result.stdout_text, HasSubstr("  simple            -0.0400"));
  EXPECT_THAT(result.stdout_text, HasSubstr("  dynamic           -0.0772"));
  EXPECT_THAT(result.stdout_text, HasSubstr("  group             -0.0310"));
  EXPECT_THAT(result.stdout_text, HasSubstr("  calendar          -0.0417"));
  EXPECT_THAT(result.stdout_text, HasSubstr("p = 0.1681"));
}

TEST(TnpsctlDid, WritesJsonWithEveryCell) {
  std::vector<std::string> args = kMpdtaArgs;
  args.push_back("--control=never-treated");
  args.push_back("--format=json");
  CommandResult result = RunCommand(args);
  ASSERT_EQ(result.exit_code, 0) << result.stderr_text;
  EXPECT_THAT(result.stdout_text, HasSubstr("\"control_group\": \"never-treated\""));
  EXPECT_THAT(result.stdout_text,
              HasSubstr("{\"group\": 2004, \"period\": 2004, \"base_period\": 2003, \"att\": "
                        "-0.0105032"));
  EXPECT_THAT(result.stdout_text, HasSubstr("\"se\": 0.02325"));
}

TEST(TnpsctlDid, BadColumnsAndUsageAreReported) {
  std::vector<std::string> args = kMpdtaArgs;
  args[args.size() - 1] = "no_such_column";
  CommandResult missing = RunCommand(args);
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.stderr_text, HasSubstr("the header has no column \"no_such_column\""));
  CommandResult usage = RunCommand({TNPSCTL_BIN, "did", "--input=x.csv"});
  EXPECT_EQ(usage.exit_code, 2);
}

}  // namespace
}  // namespace tnps::testing
