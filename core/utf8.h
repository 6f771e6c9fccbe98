// UTF-8 checks for text that arrives from clients.
#ifndef TNPS_CORE_UTF8_H_
#define TNPS_CORE_UTF8_H_

#include <cstddef>
#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"

namespace tnps::core {

// Calls `visit` with each code point of `text` in order, until it returns
// false. False if `text` is not well-formed UTF-8 (overlong forms,
// surrogates and values past U+10FFFF are not) or `visit` stopped early.
bool ForEachCodePoint(absl::string_view text, absl::FunctionRef<bool(char32_t)> visit);

// The number of code points in `text`, or nullopt if it is not well-formed
// UTF-8.
std::optional<size_t> Utf8CodePoints(absl::string_view text);

inline bool IsValidUtf8(absl::string_view text) { return Utf8CodePoints(text).has_value(); }

}  // namespace tnps::core

#endif  // TNPS_CORE_UTF8_H_
