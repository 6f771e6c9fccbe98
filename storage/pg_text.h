// Text forms of values sent to PostgreSQL as statement parameters: array
// literals (for unnest-based multi-row statements), JSON objects and
// timestamps; and dates both ways.
#ifndef TNPS_STORAGE_PG_TEXT_H_
#define TNPS_STORAGE_PG_TEXT_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace tnps::storage {

// Builds a one-dimensional array literal such as {"a","b\"c"}; every element
// is quoted so that the element type's input function sees it verbatim.
class PgArrayLiteral {
 public:
  PgArrayLiteral() : text_("{") {}
  void Add(absl::string_view element);
  void Add(long long element);
  void AddNull();
  // The literal; the builder must not be used afterwards.
  std::string Finish() &&;

 private:
  std::string text_;
  bool empty_ = true;
};

// {"k":"v",...} with JSON string escaping; keys in the given order.
// The array literal of `values`, for a text[] parameter.
std::string TextArrayLiteral(const std::vector<std::string>& values);

std::string JsonObjectText(const std::vector<std::pair<std::string, std::string>>& entries);

// ISO 8601 in UTC with microseconds, e.g. 2026-03-01T09:30:00.000000Z.
std::string TimestampText(absl::Time time);

// YYYY-MM-DD.
std::string DateText(absl::CivilDay day);
// A date as PostgreSQL prints it (ISO, the server default DateStyle); throws
// std::runtime_error on anything else.
absl::CivilDay ParseDateText(const char* text);

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_PG_TEXT_H_
