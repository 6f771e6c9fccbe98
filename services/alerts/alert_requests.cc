#include "services/alerts/alert_requests.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/response_validation.h"
#include "core/survey_response.h"
#include "core/text_rules.h"
#include "core/webhook_url.h"
#include "services/alerts/alert_payload.h"
#include "services/common/proto_time.h"
#include "services/common/tenant_tokens.h"

namespace tnps::services {
namespace {

constexpr size_t kMaxNameBytes = 200;
constexpr int kMaxIds = 1000;
constexpr size_t kMaxAttributeKeys = 32;
constexpr int kMaxAttributeValues = 100;
constexpr char kWatchToken[] = "watch-resume";
constexpr char kDeliveriesToken[] = "deliveries-page";

std::string WatchQuery(const tnps::v1::WatchResponsesRequest& request) {
  tnps::v1::WatchResponsesRequest query = request;
  query.clear_resume_token();
  return CanonicalQuery(query);
}

std::string DeliveriesQuery(const tnps::v1::ListDeliveriesRequest& request) {
  tnps::v1::ListDeliveriesRequest query = request;
  query.clear_page_size();
  query.clear_page_token();
  return CanonicalQuery(query);
}

std::optional<std::string> EventTypeName(int type) {
  switch (type) {
    case tnps::v1::ALERT_EVENT_TYPE_RESPONSE_CREATED:
      return "response.created";
    case tnps::v1::ALERT_EVENT_TYPE_RESPONSE_UPDATED:
      return "response.updated";
    default:
      return std::nullopt;
  }
}

void MapIds(const google::protobuf::RepeatedPtrField<std::string>& ids, const std::string& field,
            std::vector<std::string>& out, std::vector<core::FieldViolation>& violations) {
  if (ids.size() > kMaxIds) {
    violations.push_back({field, absl::StrCat("has ", ids.size(), " ids; the limit is ", kMaxIds)});
    return;
  }
  for (int i = 0; i < ids.size(); ++i) {
    if (std::optional<std::string> problem =
            core::IdentifierProblem(ids[i], core::IngestLimits::kMaxIdBytes);
        problem || ids[i].empty()) {
      violations.push_back({absl::StrCat(field, "[", i, "]"), problem.value_or("is empty")});
      continue;
    }
    out.push_back(ids[i]);
  }
}

}  // namespace

std::optional<core::AlertFilter> MapAlertFilter(const tnps::v1::AlertFilter& f,
                                                const std::string& field,
                                                std::vector<core::FieldViolation>& violations) {
  const size_t before = violations.size();
  core::AlertFilter out;
  out.min_score = f.has_min_score() ? f.min_score() : 0;
  out.max_score = f.has_max_score() ? f.max_score() : 10;
  if (out.min_score < 0 || out.min_score > 10) {
    violations.push_back({absl::StrCat(field, ".min_score"), "must be 0..10"});
  }
  if (out.max_score < 0 || out.max_score > 10) {
    violations.push_back({absl::StrCat(field, ".max_score"), "must be 0..10"});
  } else if (out.max_score < out.min_score) {
    violations.push_back({absl::StrCat(field, ".max_score"), "is below min_score"});
  }
  MapIds(f.agent_ids(), absl::StrCat(field, ".agent_ids"), out.agent_ids, violations);
  MapIds(f.team_ids(), absl::StrCat(field, ".team_ids"), out.team_ids, violations);
  for (int i = 0; i < f.channels_size(); ++i) {
    const int c = f.channels(i);
    if (c < 1 || c > core::kMaxChannelValue) {
      violations.push_back({absl::StrCat(field, ".channels[", i, "]"),
                            absl::StrCat("has unknown or unspecified value ", c)});
    } else if (std::find(out.channels.begin(), out.channels.end(), c) == out.channels.end()) {
      out.channels.push_back(c);
    }
  }
  if (f.attributes_size() > static_cast<int>(kMaxAttributeKeys)) {
    violations.push_back(
        {absl::StrCat(field, ".attributes"),
         absl::StrCat("has ", f.attributes_size(), " keys; the limit is ", kMaxAttributeKeys)});
  } else {
    // Sorted by key, as the store keeps them.
    const std::map<std::string, tnps::v1::AttributeValues> sorted(f.attributes().begin(),
                                                                  f.attributes().end());
    for (const auto& [key, values] : sorted) {
      const std::string key_field = absl::StrCat(field, ".attributes[", key, "]");
      if (key.empty() || core::IdentifierProblem(key, core::IngestLimits::kMaxAttributeKeyBytes)) {
        violations.push_back(
            {absl::StrCat(field, ".attributes"), "key must be 1..64 bytes of printable UTF-8"});
        continue;
      }
      if (values.values_size() == 0 || values.values_size() > kMaxAttributeValues) {
        violations.push_back(
            {key_field, absl::StrCat("needs 1..", kMaxAttributeValues, " values")});
        continue;
      }
      std::vector<std::string> allowed;
      for (const std::string& v : values.values()) {
        if (std::optional<std::string> problem =
                core::FreeTextProblem(v, core::IngestLimits::kMaxAttributeValueBytes)) {
          violations.push_back({key_field, *std::move(problem)});
          break;
        }
        allowed.push_back(v);
      }
      out.attributes.push_back({key, std::move(allowed)});
    }
  }
  if (violations.size() != before) return std::nullopt;
  return out;
}

std::optional<storage::AlertSubscription> MapSubscription(
    const tnps::v1::Subscription& proto, bool allow_http,
    std::vector<core::FieldViolation>& violations) {
  const size_t before = violations.size();
  storage::AlertSubscription s;
  if (proto.name().empty()) {
    violations.push_back({"subscription.name", "is required"});
  } else if (std::optional<std::string> problem =
                 core::IdentifierProblem(proto.name(), kMaxNameBytes)) {
    violations.push_back({"subscription.name", *std::move(problem)});
  }
  s.name = proto.name();
  if (proto.event_types_size() == 0) {
    violations.push_back({"subscription.event_types", "needs at least one event type"});
  }
  for (int i = 0; i < proto.event_types_size(); ++i) {
    std::optional<std::string> name = EventTypeName(proto.event_types(i));
    if (!name) {
      violations.push_back(
          {absl::StrCat("subscription.event_types[", i, "]"),
           absl::StrCat("has unknown or unspecified value ", proto.event_types(i))});
    } else if (std::find(s.event_types.begin(), s.event_types.end(), *name) ==
               s.event_types.end()) {
      s.event_types.push_back(*name);
    }
  }
  if (std::optional<core::AlertFilter> filter =
          MapAlertFilter(proto.filter(), "subscription.filter", violations)) {
    s.filter = *std::move(filter);
  }
  std::string problem;
  if (!core::ParseWebhookUrl(proto.url(), allow_http, &problem)) {
    violations.push_back({"subscription.url", problem});
  }
  s.url = proto.url();
  s.include_customer_ref = proto.include_customer_ref();
  if (violations.size() != before) return std::nullopt;
  return s;
}

void CheckAlertSecret(const std::string& secret, const std::string& field,
                      std::vector<core::FieldViolation>& violations) {
  if (secret.size() < kMinAlertSecretBytes || secret.size() > kMaxAlertSecretBytes) {
    violations.push_back({field, absl::StrCat("must be ", kMinAlertSecretBytes, " to ",
                                              kMaxAlertSecretBytes, " bytes")});
  } else if (core::IdentifierProblem(secret, kMaxAlertSecretBytes)) {
    // Never echo any of it.
    violations.push_back({field, "must be printable text without spaces or control characters"});
  }
}

void SubscriptionToProto(const storage::AlertSubscription& s, tnps::v1::Subscription* out) {
  out->set_subscription_id(s.subscription_id);
  out->set_name(s.name);
  for (const std::string& t : s.event_types) {
    out->add_event_types(AlertEventTypeToProto(t));
  }
  tnps::v1::AlertFilter* f = out->mutable_filter();
  f->set_min_score(s.filter.min_score);
  f->set_max_score(s.filter.max_score);
  for (const auto& a : s.filter.agent_ids) f->add_agent_ids(a);
  for (const auto& t : s.filter.team_ids) f->add_team_ids(t);
  for (int c : s.filter.channels) f->add_channels(static_cast<tnps::v1::Channel>(c));
  for (const auto& [key, values] : s.filter.attributes) {
    auto& allowed = (*f->mutable_attributes())[key];
    for (const auto& v : values) allowed.add_values(v);
  }
  out->set_url(s.url);
  out->set_include_customer_ref(s.include_customer_ref);
  out->set_paused(s.paused);
  TimeToProto(s.created_at, out->mutable_create_time());
}

std::string WatchToken(const storage::Principal& principal,
                       const tnps::v1::WatchResponsesRequest& request, const WatchState& state) {
  return SealToken(principal, kWatchToken, WatchQuery(request),
                   absl::StrCat("w1|", state.since, "|", state.until, "|", state.position.xid, "|",
                                state.position.id));
}

std::optional<WatchState> OpenWatchToken(const storage::Principal& principal,
                                         const tnps::v1::WatchResponsesRequest& request) {
  std::optional<std::string> body =
      OpenToken(principal, kWatchToken, WatchQuery(request), request.resume_token());
  if (!body) return std::nullopt;
  const std::vector<std::string> parts = absl::StrSplit(*body, '|');
  WatchState state;
  if (parts.size() != 5 || parts[0] != "w1" || parts[1].empty() ||
      !absl::SimpleAtoi(parts[4], &state.position.id)) {
    return std::nullopt;
  }
  state.since = parts[1];
  state.until = parts[2];
  state.position.xid = parts[3];
  return state;
}

std::string DeliveriesPageToken(const storage::Principal& principal,
                                const tnps::v1::ListDeliveriesRequest& request, int64_t last_seq) {
  return SealToken(principal, kDeliveriesToken, DeliveriesQuery(request),
                   absl::StrCat("d1|", last_seq));
}

std::optional<int64_t> DeliveriesPageAfter(const storage::Principal& principal,
                                           const tnps::v1::ListDeliveriesRequest& request) {
  std::optional<std::string> body =
      OpenToken(principal, kDeliveriesToken, DeliveriesQuery(request), request.page_token());
  int64_t seq = 0;
  if (!body || !absl::StartsWith(*body, "d1|") || !absl::SimpleAtoi(body->substr(3), &seq) ||
      seq < 1) {
    return std::nullopt;
  }
  return seq;
}

}  // namespace tnps::services
