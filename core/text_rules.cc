#include "core/text_rules.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/utf8.h"

namespace tnps::core {
namespace {

bool IsControl(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

bool IsBidiOverrideOrIsolate(char32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

bool IsBidiMark(char32_t c) { return c == 0x061C || c == 0x200E || c == 0x200F; }

bool IsInvisible(char32_t c) {
  return c == 0x00AD || c == 0x180E || (c >= 0x200B && c <= 0x200D) ||
         (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

std::string CodePointName(char32_t c) { return absl::StrFormat("U+%04X", static_cast<int>(c)); }

}  // namespace

std::optional<std::string> IdentifierProblem(absl::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::StrCat("is ", value.size(), " bytes; the limit is ", max_bytes);
  }
  std::optional<std::string> problem;
  const bool valid = ForEachCodePoint(value, [&](char32_t c) {
    if (IsControl(c)) {
      problem = absl::StrCat("contains the control character ", CodePointName(c));
    } else if (IsBidiOverrideOrIsolate(c) || IsBidiMark(c)) {
      problem = absl::StrCat("contains the bidirectional control ", CodePointName(c));
    } else if (IsInvisible(c)) {
      problem = absl::StrCat("contains the invisible character ", CodePointName(c));
    }
    return !problem.has_value();
  });
  if (problem) return problem;
  if (!valid) return "is not valid UTF-8";
  return std::nullopt;
}

std::optional<std::string> FreeTextProblem(absl::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return absl::StrCat("is ", value.size(), " bytes; the limit is ", max_bytes);
  }
  std::optional<std::string> problem;
  const bool valid = ForEachCodePoint(value, [&](char32_t c) {
    if (IsControl(c) && c != '\t' && c != '\n' && c != '\r') {
      problem = absl::StrCat("contains the control character ", CodePointName(c));
    } else if (IsBidiOverrideOrIsolate(c)) {
      problem = absl::StrCat("contains the bidirectional override ", CodePointName(c));
    }
    return !problem.has_value();
  });
  if (problem) return problem;
  if (!valid) return "is not valid UTF-8";
  return std::nullopt;
}

std::string EscapeControls(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    // The length of the well-formed UTF-8 sequence at i, or 0.
    size_t length = 0;
    char32_t code_point = 0;
    for (size_t n = 1; n <= 4 && i + n <= text.size(); ++n) {
      if (ForEachCodePoint(text.substr(i, n), [&](char32_t c) {
            code_point = c;
            return true;
          })) {
        length = n;
        break;
      }
    }
    if (length == 0 || code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F)) {
      const size_t bytes = length == 0 ? 1 : length;
      for (size_t k = 0; k < bytes; ++k) {
        absl::StrAppend(&out, "\\x",
                        absl::Hex(static_cast<unsigned char>(text[i + k]), absl::kZeroPad2));
      }
      i += bytes;
    } else if (text[i] == '\\') {
      out += "\\\\";
      ++i;
    } else {
      out.append(text.data() + i, length);
      i += length;
    }
  }
  return out;
}

absl::Time EarliestTime() {
  return absl::FromCivil(absl::CivilSecond(2000, 1, 2, 0, 0, 0), absl::UTCTimeZone());
}

std::optional<std::string> TimeProblem(absl::Time t, absl::Time now) {
  if (t < EarliestTime()) return "is before 2000-01-02T00:00:00Z";
  if (t > now + kMaxFutureSkew) return "is more than 5 minutes in the future";
  return std::nullopt;
}

}  // namespace tnps::core
