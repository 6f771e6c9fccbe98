// What text from clients may contain, in one place for every RPC and
// tnpsctl path (docs/api.md, "Identifiers and text").
//
// Identifiers (external ids, agent, team and interaction ids, attribute
// keys, ids in filters) and names (programmes, cohorts, agents' display
// names and regions): well-formed UTF-8 of bounded length with no character
// that hides or reorders text: no C0 or C1 control character or DEL, no
// bidirectional control (U+061C, U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069), no zero-width or invisible format character (U+00AD,
// U+180E, U+200B–U+200D, U+2060–U+2064, U+FEFF).
//
// Free text (descriptions, attribute values): well-formed UTF-8, bounded,
// with tab and line breaks allowed but no other control character and no
// bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069), which
// can make displayed text differ from stored text.
#ifndef TNPS_CORE_TEXT_RULES_H_
#define TNPS_CORE_TEXT_RULES_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tnps::core {

// Why `value` is not an acceptable identifier or name, or nullopt. Empty
// values are the caller's to judge (required or not).
std::optional<std::string> IdentifierProblem(absl::string_view value, size_t max_bytes);

// Why `value` is not acceptable free text, or nullopt.
std::optional<std::string> FreeTextProblem(absl::string_view value, size_t max_bytes);

// `text` for a log line or a column of output: backslashes doubled, and
// C0 and C1 control characters and DEL, and any byte that is not part of
// well-formed UTF-8, written as \xNN, so that no value can end a line,
// start a forged one, or move the terminal's cursor.
std::string EscapeControls(absl::string_view text);

// Every instant tnps stores (interaction and response times, enrolment and
// completion times) lies in [kEarliestTime, now + kMaxFutureSkew]. The
// earliest is 2000-01-02T00:00:00Z: its local day is 2000-01-01 or later in
// every time zone (UTC−12 to UTC+14), so every stored instant falls on a
// day analytics can ask for (from 2000-01-01).
absl::Time EarliestTime();
inline constexpr absl::Duration kMaxFutureSkew = absl::Minutes(5);

// Why `t` cannot be stored, or nullopt.
std::optional<std::string> TimeProblem(absl::Time t, absl::Time now);

}  // namespace tnps::core

#endif  // TNPS_CORE_TEXT_RULES_H_
