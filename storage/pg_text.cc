#include "storage/pg_text.h"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/log_line.h"

namespace tnps::storage {

std::string TextArrayLiteral(const std::vector<std::string>& values) {
  PgArrayLiteral array;
  for (const auto& v : values) array.Add(v);
  return std::move(array).Finish();
}

void PgArrayLiteral::Add(absl::string_view element) {
  if (!empty_) text_.push_back(',');
  empty_ = false;
  text_.push_back('"');
  for (char c : element) {
    if (c == '"' || c == '\\') text_.push_back('\\');
    text_.push_back(c);
  }
  text_.push_back('"');
}

void PgArrayLiteral::Add(long long element) {
  if (!empty_) text_.push_back(',');
  empty_ = false;
  absl::StrAppend(&text_, element);
}

void PgArrayLiteral::AddNull() {
  if (!empty_) text_.push_back(',');
  empty_ = false;
  text_.append("NULL");
}

std::string PgArrayLiteral::Finish() && {
  text_.push_back('}');
  return std::move(text_);
}

namespace {

void AppendJsonString(std::string& out, absl::string_view s) {
  absl::StrAppend(&out, "\"", core::JsonEscape(s), "\"");
}

}  // namespace

std::string JsonObjectText(const std::vector<std::pair<std::string, std::string>>& entries) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : entries) {
    if (!first) out.push_back(',');
    first = false;
    AppendJsonString(out, key);
    out.push_back(':');
    AppendJsonString(out, value);
  }
  out.push_back('}');
  return out;
}

std::string TimestampText(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

std::string DateText(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

absl::CivilDay ParseDateText(const char* text) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(text, &day)) {
    throw std::runtime_error(absl::StrCat("unexpected date from the database: ", text));
  }
  return day;
}

}  // namespace tnps::storage
