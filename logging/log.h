// Writes the server's log: JSON lines (core/log_line.h) on stderr.
#ifndef TNPS_LOGGING_LOG_H_
#define TNPS_LOGGING_LOG_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "core/log_line.h"

namespace tnps::logging {

using core::LogField;
using core::LogLevel;

// One line, written with a single write(2) so that lines of concurrent
// threads never interleave.
void Log(LogLevel level, absl::string_view message, absl::Span<const LogField> fields = {});

// A random id for an internal error: 16 hex digits, logged with the error's
// detail and returned to the caller, who can quote it to the operator.
std::string NewCorrelationId();

}  // namespace tnps::logging

#endif  // TNPS_LOGGING_LOG_H_
