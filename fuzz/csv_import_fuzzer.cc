// libFuzzer target: the CSV reader and the response format of
// `tnpsctl import`, on a whole file (header first).
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "tools/csv_reader.h"
#include "tools/response_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  tnps::tools::CsvReader reader(in);
  std::vector<std::string> record;
  std::string error;
  if (!reader.Next(record, error) || !error.empty()) return 0;
  auto format = tnps::tools::ResponseCsvFormat::FromHeader(record);
  // Keep reading records either way: the reader must survive any input.
  while (reader.Next(record, error)) {
    if (format.ok() && error.empty()) format->Parse(record).IgnoreError();
    error.clear();
  }
  return 0;
}
