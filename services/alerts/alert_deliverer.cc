#include "services/alerts/alert_deliverer.h"

#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
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
    const absl::Time now = absl::Now();
    if (static_cast<int>(in_flight_.size()) < options_.max_in_flight && now >= next_claim) {
      // While claims find work, claim again as soon as a slot frees;
      // otherwise wait for the poll interval.
      next_claim = ClaimAndStart() > 0 ? now : now + options_.poll_interval;
    }
    if (now >= next_prune) {
      absl::StatusOr<int64_t> pruned =
          outbox_.PruneFinished(now - options_.keep_finished, kPruneBatch);
      // A full batch: more to prune, soon.
      next_prune = now + (pruned.ok() && *pruned == kPruneBatch ? absl::Seconds(10) : kPruneEvery);
    }
    const absl::Duration wait = in_flight_.empty()
                                    ? std::max(next_claim - absl::Now(), absl::Milliseconds(1))
                                    : absl::Milliseconds(50);
    for (const WebhookOutcome& outcome : client_.Poll(wait)) {
      auto found = in_flight_.find(outcome.tag);
      if (found == in_flight_.end()) continue;
      Record(found->second, outcome);
      in_flight_.erase(found);
      next_claim = absl::Now();
    }
  }
}

int AlertDeliverer::ClaimAndStart() {
  std::vector<std::pair<int64_t, int64_t>> busy;
  busy.reserve(in_flight_.size());
  for (const auto& [tag, attempt] : in_flight_) {
    busy.emplace_back(attempt.tenant_id, attempt.subscription_id);
  }
  absl::StatusOr<std::vector<storage::AlertAttempt>> claimed = outbox_.Claim(
      options_.max_in_flight - static_cast<int>(in_flight_.size()), busy, LeaseFor(options_.http));
  if (!claimed.ok()) {
    std::fprintf(stderr, "tnps-server: alert delivery: cannot claim events: %s\n",
                 std::string(claimed.status().message()).c_str());
    return 0;
  }
  for (storage::AlertAttempt& attempt : *claimed) {
    std::string body = AlertEventJson(attempt);
    std::vector<std::string> headers = {
        absl::StrCat("Tnps-Event-Id: ", attempt.event_key),
        absl::StrCat("Tnps-Event-Type: ", attempt.event_type),
        absl::StrCat("Tnps-Delivery-Attempt: ", attempt.attempt),
        absl::StrCat(kSignatureHeader, ": ", WebhookSignature(absl::Now(), body, attempt.secrets))};
    const auto tag = static_cast<uint64_t>(attempt.event_seq);
    client_.Start(
        {.tag = tag, .url = attempt.url, .body = std::move(body), .headers = std::move(headers)});
    in_flight_.emplace(tag, std::move(attempt));
  }
  return static_cast<int>(claimed->size());
}

void AlertDeliverer::Record(const storage::AlertAttempt& attempt, const WebhookOutcome& outcome) {
  absl::Status recorded;
  if (outcome.delivered) {
    recorded = outbox_.RecordDelivered(attempt.event_seq, attempt.attempt, outcome.result);
  } else {
    thread_local std::mt19937_64 random{std::random_device{}()};
    const double jitter = std::uniform_real_distribution<double>(0, 1)(random);
    recorded =
        outbox_.RecordFailed(attempt.event_seq, attempt.attempt, outcome.result,
                             core::NextAttempt(options_.retry, attempt.attempt,
                                               attempt.first_attempt_at, absl::Now(), jitter));
  }
  // Unrecorded, the event is claimed again when its lease ends: at worst
  // one more delivery with the same event id.
  if (!recorded.ok()) {
    std::fprintf(stderr, "tnps-server: alert delivery: cannot record event %s: %s\n",
                 attempt.event_key.c_str(), std::string(recorded.message()).c_str());
  }
}

}  // namespace tnps::services
