// libFuzzer target: AlertService request checks, webhook URLs included.
// The first byte picks the RPC; the rest is its request message as gRPC
// would decode it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/alert_filter.h"
#include "core/network_address.h"
#include "core/webhook_url.h"
#include "fuzz/request_bytes.h"
#include "services/alerts/alert_requests.h"
#include "tnps/v1/alert_service.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t rpc = data[0] % 4;
  ++data;
  --size;
  std::vector<tnps::core::FieldViolation> violations;
  if (rpc == 0) {
    tnps::v1::CreateSubscriptionRequest request;
    if (!tnps::fuzz::Parse(data, size, request)) return 0;
    for (const bool allow_http : {false, true}) {
      violations.clear();
      auto s = tnps::services::MapSubscription(request.subscription(), allow_http, violations);
      if ((s != std::nullopt) != violations.empty()) std::abort();
      // What was accepted is a URL the parser takes, and https unless allowed.
      if (s) {
        std::string problem;
        auto url = tnps::core::ParseWebhookUrl(s->url, allow_http, &problem);
        if (!url || (!allow_http && !url->https) || s->filter.min_score > s->filter.max_score)
          std::abort();
      }
    }
    tnps::services::CheckAlertSecret(request.secret(), "secret", violations);
  } else if (rpc == 2) {
    // A watch's filter, and whether a response matches it.
    tnps::v1::WatchResponsesRequest request;
    if (!tnps::fuzz::Parse(data, size, request)) return 0;
    auto filter = tnps::services::MapAlertFilter(request.filter(), "filter", violations);
    if ((filter != std::nullopt) != violations.empty()) std::abort();
    if (filter) {
      tnps::core::SurveyResponse response;
      response.score = size % 11;
      response.channel = static_cast<int>(size % 5);
      response.agent_id =
          request.filter().agent_ids_size() > 0 ? request.filter().agent_ids(0) : "";
      const bool matches = tnps::core::Matches(*filter, response);
      if (matches && (*response.score < filter->min_score || *response.score > filter->max_score)) {
        std::abort();
      }
    }
  } else if (size == 4 || size == 16) {
    // Any address: a kind or public, never a crash.
    (void)tnps::core::NonPublicAddressKind(absl::MakeConstSpan(data, size));
  } else {
    // Any bytes as a URL: parsed or refused, never a crash.
    std::string problem;
    auto url = tnps::core::ParseWebhookUrl(
        absl::string_view(reinterpret_cast<const char*>(data), size), false, &problem);
    if (url && (url->host.empty() || url->port < 1 || url->port > 65535)) std::abort();
    if (!url && problem.empty()) std::abort();
  }
  return 0;
}
