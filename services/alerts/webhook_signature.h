// How tnps signs a webhook request, so that a receiver can tell that it
// came from tnps, unaltered and recently (docs/alerts.md): HMAC-SHA256
// under the subscription's secret over "<unix seconds>.<body>", the scheme
// of Stripe's and GitHub's webhooks.
#ifndef TNPS_SERVICES_ALERTS_WEBHOOK_SIGNATURE_H_
#define TNPS_SERVICES_ALERTS_WEBHOOK_SIGNATURE_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tnps::services {

inline constexpr char kSignatureHeader[] = "Tnps-Signature";

// The Tnps-Signature value for `body` sent at `at`:
// "t=<unix seconds>,v1=<hex HMAC>" with one v1 per secret (the current
// one first, then the previous one during a rotation's overlap); a
// receiver accepts the request if any v1 matches one of its secrets.
std::string WebhookSignature(absl::Time at, absl::string_view body,
                             const std::vector<std::string>& secrets);

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ALERTS_WEBHOOK_SIGNATURE_H_
