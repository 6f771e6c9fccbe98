// What the request fuzzers share: decoding fuzzer bytes as the server
// decodes a request (CallExecutor::RunRaw, IngestService).
#ifndef TNPS_FUZZ_REQUEST_BYTES_H_
#define TNPS_FUZZ_REQUEST_BYTES_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "services/common/wire_parse.h"

namespace tnps::fuzz {

// Whether `data` decodes as `request` (valid wire format and UTF-8).
template <typename Request>
bool Parse(const uint8_t* data, size_t size, Request& request) {
  return !tnps::services::ParseMessage(absl::string_view(reinterpret_cast<const char*>(data), size),
                                       request);
}

}  // namespace tnps::fuzz

#endif  // TNPS_FUZZ_REQUEST_BYTES_H_
