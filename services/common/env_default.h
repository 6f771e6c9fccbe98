// Defaults for Abseil flags that fall back to environment variables, so that
// every `--flag` can also be set as `TNPS_FLAG` (the command line wins).
#ifndef TNPS_SERVICES_COMMON_ENV_DEFAULT_H_
#define TNPS_SERVICES_COMMON_ENV_DEFAULT_H_

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

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

// The secret in the file `path`, without trailing whitespace such as the
// final newline. INVALID_ARGUMENT when the file is unreadable or empty.
inline absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  if (!file) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::string secret(absl::StripTrailingAsciiWhitespace(text.str()));
  if (secret.empty()) return absl::InvalidArgumentError(absl::StrCat(path, " is empty"));
  return secret;
}

// Fills a secret flag from the file `path` (its `--*_file` flag; trailing
// whitespace such as the final newline is dropped), so that the secret
// never appears on a command line or in the environment. With no path, the
// environment variable `env_name` as SecretFromEnv. INVALID_ARGUMENT when
// both the flag and a file are given, or the file is unreadable or empty.
inline absl::Status LoadSecret(absl::Flag<std::string>& flag, const char* env_name,
                               const std::string& path) {
  if (path.empty()) {
    SecretFromEnv(flag, env_name);
    return absl::OkStatus();
  }
  if (!absl::GetFlag(flag).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("give the secret or a file holding it, not both (", path, ")"));
  }
  absl::StatusOr<std::string> secret = ReadSecretFile(path);
  if (!secret.ok()) return secret.status();
  absl::SetFlag(&flag, *std::move(secret));
  return absl::OkStatus();
}

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_ENV_DEFAULT_H_
