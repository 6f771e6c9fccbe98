#include "core/time_zone_name.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace tnps::core {

absl::Status ValidateTimeZoneName(absl::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("time zone is empty");
  if (name.size() > 64) return absl::InvalidArgumentError("time zone name is too long");
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+') {
      return absl::InvalidArgumentError(absl::StrCat("invalid time zone name \"", name, "\""));
    }
  }
  absl::TimeZone zone;
  if (name.front() == '+' || name.front() == '-' || !absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown time zone \"", name, "\"; use an IANA name such as Europe/Zurich"));
  }
  return absl::OkStatus();
}

}  // namespace tnps::core
