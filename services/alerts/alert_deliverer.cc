#include "services/alerts/alert_deliverer.h"

#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "logging/log.h"
#include "services/alerts/alert_payload.h"
#include "services/alerts/webhook_signature.h"

namespace tnps::services {
namespace {

// How long a claimed event stays with the server that claimed it: longer
// than any attempt (the total timeout includes connecting) and its
// recording, so that it is only claimed again if that server is gone.
absl::Duration LeaseFor(const WebhookClientOptions& http) {
  return http.total_timeout + absl::Seconds(5);
}

constexpr absl::Duration kPruneEvery = absl::Hours(1);
constexpr int kPruneBatch = 10000;
constexpr size_t kMaxRememberedSubscriptions = 10000;

}  // namespace

AlertDeliverer::AlertDeliverer(storage::AlertOutbox& outbox, AlertDeliveryOptions options)
    : outbox_(outbox), options_(std::move(options)), client_(options_.http) {}

AlertDeliverer::~AlertDeliverer() {
  stop_.Notify();
  client_.Wake();
  if (thread_.joinable()) thread_.join();
}

void AlertDeliverer::Start() {
  thread_ = std::thread([this] { Run(); });
}

void AlertDeliverer::Run() {
  absl::Time next_claim = absl::InfinitePast();
  absl::Time next_prune = absl::Now();
  while (!stop_.HasBeenNotified()) {
    // Pruning first: a claimed event's lease runs from its claim, so
    // nothing should come between the claim and the start of its request.
    if (absl::Now() >= next_prune) {
      absl::StatusOr<int64_t> pruned =
          outbox_.PruneFinished(absl::Now() - options_.keep_finished, kPruneBatch);
      // A full batch: more to prune, soon.
      next_prune =
          absl::Now() + (pruned.ok() && *pruned >= kPruneBatch ? absl::Seconds(10) : kPruneEvery);
    }
    const absl::Time now = absl::Now();
    if (static_cast<int>(in_flight_.size()) < options_.max_in_flight && now >= next_claim) {
      // While claims find work, claim again as soon as a slot frees;
      // otherwise wait for the poll interval.
      next_claim = ClaimAndStart() > 0 ? now : now + options_.poll_interval;
    }
    const absl::Duration wait = in_flight_.empty()
                                    ? std::max(next_claim - absl::Now(), absl::Milliseconds(1))
                                    : absl::Milliseconds(50);
    const std::vector<WebhookOutcome> outcomes = client_.Poll(wait);
    if (!outcomes.empty()) {
      Record(outcomes);
      next_claim = absl::Now();
    }
  }
}

int AlertDeliverer::ClaimAndStart() {
  std::vector<storage::SubscriptionLoad> known;
  known.reserve(loads_.size());
  for (const auto& [key, load] : loads_) known.push_back(load);
  absl::StatusOr<std::vector<storage::AlertAttempt>> claimed =
      outbox_.Claim(options_.max_in_flight - static_cast<int>(in_flight_.size()),
                    options_.max_in_flight_per_subscription, known, LeaseFor(options_.http));
  if (!claimed.ok()) {
    logging::Log(logging::LogLevel::kError, "alert delivery: cannot claim events",
                 {{"error", claimed.status().message()}});
    return 0;
  }
  for (storage::AlertAttempt& attempt : *claimed) {
    std::string body = AlertEventJson(attempt);
    std::vector<std::string> headers = {
        absl::StrCat("Tnps-Event-Id: ", AlertEventId(attempt)),
        absl::StrCat("Tnps-Event-Type: ", attempt.event_type),
        absl::StrCat("Tnps-Delivery-Attempt: ", attempt.attempt),
        absl::StrCat(kSignatureHeader, ": ", WebhookSignature(absl::Now(), body, attempt.secrets))};
    // A tag of its own: an event whose lease ran out while its request was
    // still in flight can be claimed again, and both requests are tracked
    // (the older one's outcome is then ignored by Record).
    const uint64_t tag = next_tag_++;
    client_.Start(
        {.tag = tag, .url = attempt.url, .body = std::move(body), .headers = std::move(headers)});
    storage::SubscriptionLoad& load = loads_[{attempt.tenant_id, attempt.subscription_id}];
    load.tenant_id = attempt.tenant_id;
    load.subscription_id = attempt.subscription_id;
    ++load.in_flight;
    in_flight_.emplace(tag, std::move(attempt));
  }
  return static_cast<int>(claimed->size());
}

void AlertDeliverer::Record(const std::vector<WebhookOutcome>& outcomes) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_real_distribution<double> jitter(0, 1);
  std::vector<storage::AttemptOutcome> recorded;
  for (const WebhookOutcome& outcome : outcomes) {
    auto found = in_flight_.find(outcome.tag);
    if (found == in_flight_.end()) continue;
    const storage::AlertAttempt& attempt = found->second;
    storage::AttemptOutcome o{.tenant_id = attempt.tenant_id,
                              .event_seq = attempt.event_seq,
                              .attempt = attempt.attempt,
                              .delivered = outcome.delivered,
                              .result = outcome.result};
    if (!outcome.delivered) {
      o.next_attempt_at = core::NextAttempt(options_.retry, attempt.attempt,
                                            attempt.first_attempt_at, absl::Now(), jitter(random));
    }
    if (options_.on_attempt) {
      options_.on_attempt(outcome.delivered ? "delivered" : o.next_attempt_at ? "failed" : "dead");
    }
    recorded.push_back(std::move(o));
    auto load = loads_.find(std::pair(attempt.tenant_id, attempt.subscription_id));
    if (load != loads_.end()) {
      --load->second.in_flight;
      load->second.failing = !outcome.delivered;
      if (load->second.in_flight == 0 && !load->second.failing) loads_.erase(load);
    }
    in_flight_.erase(found);
  }
  // Failing subscriptions are remembered while few; beyond, those with
  // nothing in flight are forgotten (their next attempt may then be up to
  // max_in_flight_per_subscription at once).
  if (loads_.size() > kMaxRememberedSubscriptions) {
    absl::erase_if(loads_, [](const auto& entry) { return entry.second.in_flight == 0; });
  }
  // Unrecorded, the events are claimed again when their leases end: at
  // worst one more delivery each, with the same event id.
  if (absl::Status status = outbox_.Record(recorded); !status.ok()) {
    logging::Log(logging::LogLevel::kError, "alert delivery: cannot record outcomes",
                 {{"outcomes", recorded.size()}, {"error", status.message()}});
  }
}

}  // namespace tnps::services
