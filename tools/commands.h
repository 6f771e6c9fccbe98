// The tnpsctl subcommands. Each takes its positional arguments (after the
// subcommand name) and returns the process exit code; flags are global.
#ifndef TNPS_TOOLS_COMMANDS_H_
#define TNPS_TOOLS_COMMANDS_H_

#include <string>
#include <vector>

namespace tnps::tools {

using Args = std::vector<std::string>;

// Exit codes shared by the subcommands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
// The command ran to the end, but some input rows were not stored.
inline constexpr int kExitPartial = 3;

int RunDbSetup(const Args& args);
int RunAudit(const Args& args);
int RunMigrate(const Args& args);
int RunTenant(const Args& args);
int RunKey(const Args& args);
int RunImport(const Args& args);
int RunReportingRole(const Args& args);
int RunRateLimit(const Args& args);
int RunAttributes(const Args& args);
int RunErase(const Args& args);
// `verb` is exclude, include or exclusions.
int RunExclusion(const std::string& verb, const Args& args);
int RunRetention(const Args& args);
int RunDid(const Args& args);
int RunDemo(const Args& args);
int RunReport(const Args& args);

}  // namespace tnps::tools

#endif  // TNPS_TOOLS_COMMANDS_H_
