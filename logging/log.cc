#include "logging/log.h"

#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"

namespace tnps::logging {

void Log(LogLevel level, absl::string_view message, absl::Span<const LogField> fields) {
  const std::string line = core::FormatLogLine(absl::Now(), level, message, fields);
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to say it
    done += static_cast<size_t>(n);
  }
}

std::string NewCorrelationId() {
  unsigned char bytes[8];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Never an error path of its own: a time-based id still correlates.
    const uint64_t now = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(now >> (8 * i));
  }
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace tnps::logging
