// The server's log format: one JSON object per line, for log shippers
// (Loki, Elasticsearch, journald's JSON export) to index without parsing
// rules:
//
//   {"time":"2026-11-30T06:01:02.123456Z","level":"info","msg":"...","method":"...","ms":4.2}
//
// `time` is UTC with microseconds, `level` one of info, warning, error;
// fields follow in the order given. Text is escaped as JSON requires, and
// bytes that are not UTF-8 become U+FFFD, so no value (a client's, a
// database's) can end a line, forge a field or break the parser.
#ifndef TNPS_CORE_LOG_LINE_H_
#define TNPS_CORE_LOG_LINE_H_

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace tnps::core {

enum class LogLevel { kInfo, kWarning, kError };

// A field's value: text, an integer, a real number or a boolean.
class LogValue {
 public:
  enum class Kind { kText, kInteger, kReal, kBool };

  // Text is referred to, not copied: the value must outlive the field.
  LogValue(absl::string_view text ABSL_ATTRIBUTE_LIFETIME_BOUND)
      : kind_(Kind::kText), text_(text) {}
  LogValue(const char* text ABSL_ATTRIBUTE_LIFETIME_BOUND) : kind_(Kind::kText), text_(text) {}
  LogValue(const std::string& text ABSL_ATTRIBUTE_LIFETIME_BOUND)
      : kind_(Kind::kText), text_(text) {}
  LogValue(bool value) : kind_(Kind::kBool), integer_(value ? 1 : 0) {}
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  LogValue(T value) : kind_(Kind::kInteger), integer_(static_cast<int64_t>(value)) {}
  LogValue(double value) : kind_(Kind::kReal), real_(value) {}

  Kind kind() const { return kind_; }
  absl::string_view text() const { return text_; }
  int64_t integer() const { return integer_; }
  double real() const { return real_; }

 private:
  Kind kind_;
  absl::string_view text_;
  int64_t integer_ = 0;
  double real_ = 0;
};

using LogField = std::pair<absl::string_view, LogValue>;

// `text` as the inside of a JSON string (without the quotes).
std::string JsonEscape(absl::string_view text);

// One line, ending in "\n". Reals are written with up to 6 significant
// digits; NaN and infinities as null. A text value longer than
// kMaxLogTextBytes is cut there (at a character boundary) and ends in
// "...(N bytes)", so that a line stays one write(2) that no other can
// interleave with (a pipe guarantees that up to 4096 bytes).
inline constexpr size_t kMaxLogTextBytes = 2048;
std::string FormatLogLine(absl::Time time, LogLevel level, absl::string_view message,
                          absl::Span<const LogField> fields);

}  // namespace tnps::core

#endif  // TNPS_CORE_LOG_LINE_H_
