// An RFC 4180 CSV reader for CRM exports and estimator panels: quoted
// fields, doubled quotes, line breaks inside quotes, CRLF or LF endings,
// and what spreadsheet exports add: a UTF-8 byte-order mark, and `;` or
// tab separators (Excel in locales with a decimal comma writes `;`).
#ifndef TNPS_TOOLS_CSV_READER_H_
#define TNPS_TOOLS_CSV_READER_H_

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace tnps::tools {

// The separator a header line uses: whichever of ',', ';' and tab occurs
// most often outside quotes; ',' when none does.
char DetectDelimiter(const std::string& header_line);

class CsvReader {
 public:
  // A UTF-8 byte-order mark at the start of the input is skipped.
  explicit CsvReader(std::istream& in, char delimiter = ',') : in_(in), delimiter_(delimiter) {}

  // Reads the next record into `fields`. Returns false at the end of input.
  // A malformed record (an unterminated quote, text after a closing quote)
  // returns true with `error` set; reading continues at the next line.
  bool Next(std::vector<std::string>& fields, std::string& error);

  // The line on which the record last returned by Next started (1-based).
  int64_t record_line() const { return record_line_; }
  // Bytes consumed so far, for progress reports.
  int64_t bytes_read() const { return bytes_read_; }

 private:
  bool ReadLine(std::string& line);

  std::istream& in_;
  const char delimiter_;
  int64_t line_ = 0;
  int64_t record_line_ = 0;
  int64_t bytes_read_ = 0;
};

}  // namespace tnps::tools

#endif  // TNPS_TOOLS_CSV_READER_H_
