// --help for tnps-server and tnpsctl: the program's own flags with their
// help and defaults, without the source paths Abseil's --help prints, and
// (for tnpsctl) the help of one command. Header only, with the env flags.
#ifndef TNPS_SERVICES_COMMON_FLAG_HELP_H_
#define TNPS_SERVICES_COMMON_FLAG_HELP_H_

#include <algorithm>
#include <string>
#include <vector>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace tnps::services {

// Whether `args` asks for help (--help, -h, or a bare "help").
inline bool AsksForHelp(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& a) {
    return a == "--help" || a == "-h" || a == "help";
  });
}

// "  --name  help (default: value)" for every flag defined in a source file
// whose path contains one of `sources` and for which `wanted` holds, sorted
// by name; `dashes` writes names as tnpsctl accepts them (--time-zone).
template <typename Wanted>
std::string FlagList(const std::vector<absl::string_view>& sources, bool dashes, Wanted wanted) {
  std::vector<const absl::CommandLineFlag*> flags;
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    const std::string file = flag->Filename();
    if (std::none_of(sources.begin(), sources.end(),
                     [&](absl::string_view s) { return absl::StrContains(file, s); })) {
      continue;
    }
    if (wanted(*flag)) flags.push_back(flag);
  }
  std::sort(flags.begin(), flags.end(),
            [](const auto* a, const auto* b) { return a->Name() < b->Name(); });
  std::string out;
  for (const absl::CommandLineFlag* flag : flags) {
    std::string name(flag->Name());
    if (dashes) name = absl::StrReplaceAll(name, {{"_", "-"}});
    const std::string value = flag->DefaultValue();
    absl::StrAppend(&out, "  --", name, "\n      ", flag->Help(),
                    value.empty() ? "" : absl::StrCat(" (default: ", value, ")"), "\n");
  }
  return out;
}

// The lines of `usage` (tnpsctl's) about `command`: those that start with
// it, with their continuation lines.
inline std::string CommandUsage(absl::string_view usage, absl::string_view command) {
  std::string out;
  bool in_command = false;
  for (absl::string_view line : absl::StrSplit(usage, '\n')) {
    const bool starts_entry = absl::StartsWith(line, "  ") && line.size() > 2 && line[2] != ' ';
    if (starts_entry) {
      in_command =
          absl::StartsWith(line.substr(2), absl::StrCat(command, " ")) || line.substr(2) == command;
    } else if (!absl::StartsWith(line, "   ")) {
      in_command = false;
    }
    if (in_command) absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_FLAG_HELP_H_
