// Defaults for Abseil flags that fall back to environment variables, so that
// every `--flag` can also be set as `TNPS_FLAG` (the command line wins).
#ifndef TNPS_SERVICES_COMMON_ENV_DEFAULT_H_
#define TNPS_SERVICES_COMMON_ENV_DEFAULT_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"

namespace tnps::services {

// The value of environment variable `name` parsed as T, or `fallback` when it
// is unset. A value that does not parse is reported and ignored.
template <typename T>
T EnvDefault(const char* name, T fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  T value;
  std::string error;
  if (!absl::ParseFlag<T>(absl::string_view(text), &value, &error)) {
    std::fprintf(stderr, "ignoring %s=%s: %s\n", name, text, error.c_str());
    return fallback;
  }
  return value;
}

inline std::string EnvDefault(const char* name, const char* fallback) {
  return EnvDefault<std::string>(name, fallback);
}

// For flags that hold secrets (a database URL with its password, an API
// key): `--help` prints every flag's default, so the environment variable is
// not the default but is read after parsing, when the flag was left empty.
// Call it after absl::ParseCommandLine.
inline void SecretFromEnv(absl::Flag<std::string>& flag, const char* name) {
  if (!absl::GetFlag(flag).empty()) return;
  if (const char* text = std::getenv(name); text != nullptr) absl::SetFlag(&flag, text);
}

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_ENV_DEFAULT_H_
