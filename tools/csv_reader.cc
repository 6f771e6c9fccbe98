#include "tools/csv_reader.h"

namespace tnps::tools {

namespace {

constexpr char kByteOrderMark[] = "\xEF\xBB\xBF";

}  // namespace

char DetectDelimiter(const std::string& header_line) {
  int commas = 0, semicolons = 0, tabs = 0;
  bool quoted = false;
  for (char c : header_line) {
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    commas += c == ',';
    semicolons += c == ';';
    tabs += c == '\t';
  }
  if (semicolons > commas && semicolons >= tabs) return ';';
  if (tabs > commas && tabs > semicolons) return '\t';
  return ',';
}

bool CsvReader::ReadLine(std::string& line) {
  if (!std::getline(in_, line)) return false;
  ++line_;
  bytes_read_ += static_cast<int64_t>(line.size()) + 1;
  if (line_ == 1 && line.rfind(kByteOrderMark, 0) == 0) line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

bool CsvReader::Next(std::vector<std::string>& fields, std::string& error) {
  fields.clear();
  error.clear();
  std::string line;
  if (!ReadLine(line)) return false;
  record_line_ = line_;
  std::string field;
  size_t i = 0;
  while (true) {
    if (i < line.size() && line[i] == '"') {
      // Quoted field: runs to the next lone quote, across lines if need be.
      ++i;
      while (true) {
        if (i >= line.size()) {
          std::string next;
          if (!ReadLine(next)) {
            error = "unterminated quoted field";
            return true;
          }
          field.push_back('\n');
          line = std::move(next);
          i = 0;
          continue;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        field.push_back(line[i++]);
      }
      if (i < line.size() && line[i] != delimiter_) {
        error = "unexpected text after a closing quote";
        return true;
      }
    } else {
      while (i < line.size() && line[i] != delimiter_) field.push_back(line[i++]);
    }
    fields.push_back(std::move(field));
    field.clear();
    if (i >= line.size()) return true;
    ++i;  // the separator
  }
}

}  // namespace tnps::tools
