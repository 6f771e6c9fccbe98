// libFuzzer target: IngestService request decoding and validation, as the
// handlers run them on the bytes a client sent (before any database work).
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "services/common/wire_parse.h"
#include "services/ingest/survey_response_mapping.h"
#include "tnps/v1/ingest_service.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  // A fixed clock, so that a finding replays.
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);

  // SubmitResponse.
  tnps::v1::SubmitResponseRequest single;
  if (!tnps::services::ParseMessage(bytes, single) && single.has_response()) {
    tnps::services::CheckSurveyResponse(single.response(), now);
  }
  // SubmitResponses and each StreamResponses message: items split first, so
  // that one bad item is reported by index.
  if (auto items = tnps::services::SplitRepeatedField(
          bytes, tnps::v1::SubmitResponsesRequest::kResponsesFieldNumber)) {
    for (const std::string& item : *items) {
      tnps::v1::SurveyResponse response;
      if (!tnps::services::ParseMessage(item, response)) {
        tnps::services::CheckSurveyResponse(response, now);
      }
    }
  }
  return 0;
}
