// `tnpsctl did` as a user runs it: on the did package's example panel, and
// on a repeated cross-section.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

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

// A repeated cross-section small enough to check by hand (never-treated
// controls): agent A trained in period 2 with one response a period, B in
// period 3 with two, C never. Post cells: ATT(2,2) = ATT(2,3) = 10,
// ATT(3,3) = 20. By agents each group weighs 1/3: simple 40/3 = 13.33,
// group (10 + 20)/2 = 15. By rows (A 3 of 12, B 6 of 12): simple
// (0.25·10 + 0.25·10 + 0.5·20) / 1 = 15, group (0.25·10 + 0.5·20) / 0.75
// = 16.67, as did gives with panel = FALSE.
std::string WriteCrossSection() {
  const std::string path = ::testing::TempDir() + "/tnpsctl_did_cross_section.csv";
  std::ofstream out(path);
  out << "agent,week,trained,y\n"
         "A,1,2,0\nA,2,2,10\nA,3,2,10\n"
         "B,1,3,0\nB,1,3,0\nB,2,3,0\nB,2,3,0\nB,3,3,20\nB,3,3,20\n"
         "C,1,0,0\nC,2,0,0\nC,3,0,0\n";
  return path;
}

std::vector<std::string> CrossSectionArgs(const std::string& path) {
  return {
      TNPSCTL_BIN,       "did",         "--input=" + path,        "--unit=agent", "--period=week",
      "--group=trained", "--outcome=y", "--control=never-treated"};
}

TEST(TnpsctlDid, WeightsGroupsByRowsOnARepeatedCrossSection) {
  const std::string path = WriteCrossSection();
  CommandResult automatic = RunCommand(CrossSectionArgs(path));
  ASSERT_EQ(automatic.exit_code, 0) << automatic.stderr_text;
  EXPECT_THAT(automatic.stdout_text,
              HasSubstr("(repeated cross-section, never-treated controls, 3 units, 12 rows"));
  EXPECT_THAT(automatic.stdout_text, HasSubstr("groups weighted by rows"));
  EXPECT_THAT(automatic.stdout_text, HasSubstr("  simple            15.0000"));
  EXPECT_THAT(automatic.stdout_text, HasSubstr("  group             16.6667"));

  std::vector<std::string> json = CrossSectionArgs(path);
  json.push_back("--design=repeated-cross-section");
  json.push_back("--format=json");
  CommandResult explicit_design = RunCommand(json);
  ASSERT_EQ(explicit_design.exit_code, 0) << explicit_design.stderr_text;
  EXPECT_THAT(explicit_design.stdout_text, HasSubstr("\"group_weights\": \"rows\""));
  EXPECT_THAT(explicit_design.stdout_text, HasSubstr("\"simple\": {\"att\": 15, "));
}

TEST(TnpsctlDid, RefusesAPanelWithTwoRowsInAPeriod) {
  std::vector<std::string> args = CrossSectionArgs(WriteCrossSection());
  args.push_back("--design=panel");
  CommandResult result = RunCommand(args);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.stderr_text, HasSubstr("unit B has more than one row in period 1"));
  args.back() = "--design=pooled";
  EXPECT_EQ(RunCommand(args).exit_code, 2);
}

}  // namespace
}  // namespace tnps::testing
