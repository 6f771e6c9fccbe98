#include "services/responses/response_requests.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/response_validation.h"
#include "core/role.h"
#include "core/text_rules.h"
#include "core/utf8.h"
#include "services/common/nps_mapping.h"
#include "services/common/proto_time.h"
#include "services/common/tenant_tokens.h"
#include "storage/retention.h"

namespace tnps::services {
namespace {

constexpr char kListToken[] = "list-page";
constexpr char kExportCursor[] = "export-cursor";
constexpr char kSyncToken[] = "export-sync";
constexpr char kAgentToken[] = "agent-exclusions-page";

std::string ListQuery(const tnps::v1::ListResponsesRequest& request) {
  tnps::v1::ListResponsesRequest query = request;
  query.clear_page_size();
  query.clear_page_token();
  return CanonicalQuery(query);
}

std::string ExportQuery(const tnps::v1::ExportResponsesRequest& request) {
  tnps::v1::ExportResponsesRequest query = request;
  query.clear_cursor();
  return CanonicalQuery(query);
}

// A snapshot as pg_current_snapshot prints it: "xmin:xmax:xip,xip".
bool IsSnapshotText(absl::string_view s) {
  return !s.empty() && s.size() < 4000 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == ':' || c == ',';
  });
}

std::optional<int64_t> ParseInt(absl::string_view s) {
  int64_t v;
  if (!absl::SimpleAtoi(s, &v)) return std::nullopt;
  return v;
}

bool IsXidText(absl::string_view s) {
  return !s.empty() && s.size() <= 20 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string SinceBody(const storage::ExportSince& since) {
  switch (since.kind) {
    case storage::ExportSince::Kind::kEverything:
      return "all";
    case storage::ExportSince::Kind::kSnapshot:
      return absl::StrCat("snap~", since.snapshot);
    case storage::ExportSince::Kind::kTime:
      return absl::StrCat("time~", absl::ToUnixMicros(since.time));
  }
  return "";
}

std::optional<storage::ExportSince> ParseSince(absl::string_view text) {
  storage::ExportSince since;
  if (text == "all") return since;
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('~', 1));
  if (parts.size() != 2) return std::nullopt;
  if (parts[0] == "snap" && IsSnapshotText(parts[1])) {
    since.kind = storage::ExportSince::Kind::kSnapshot;
    since.snapshot = std::string(parts[1]);
    return since;
  }
  if (parts[0] == "time") {
    std::optional<int64_t> micros = ParseInt(parts[1]);
    if (!micros) return std::nullopt;
    since.kind = storage::ExportSince::Kind::kTime;
    since.time = absl::FromUnixMicros(*micros);
    return since;
  }
  return std::nullopt;
}

}  // namespace

void StoredResponseToProto(const storage::Principal& principal,
                           const storage::StoredResponse& stored, tnps::v1::StoredResponse* out) {
  out->set_response_id(PublicResponseId(principal, stored.response_id));
  tnps::v1::SurveyResponse* r = out->mutable_response();
  const core::SurveyResponse& s = stored.response;
  r->set_external_id(s.external_id);
  r->set_interaction_id(s.interaction_id);
  r->set_agent_id(s.agent_id);
  r->set_team_id(s.team_id);
  r->set_channel(static_cast<tnps::v1::Channel>(s.channel));
  if (core::RoleGrants(principal.role, core::Role::kAdmin)) r->set_customer_ref(s.customer_ref);
  if (s.score) r->set_score(*s.score);
  r->set_comment(s.comment);
  if (s.interaction_time) TimeToProto(*s.interaction_time, r->mutable_interaction_time());
  if (s.response_time) TimeToProto(*s.response_time, r->mutable_response_time());
  for (const auto& [key, value] : s.attributes) (*r->mutable_attributes())[key] = value;
  out->set_version(stored.version);
  TimeToProto(stored.received_at, out->mutable_receive_time());
  TimeToProto(stored.changed_at, out->mutable_change_time());
  out->set_excluded(stored.excluded);
  out->set_exclusion_reason(stored.exclusion_reason);
  if (stored.redacted_at) TimeToProto(*stored.redacted_at, out->mutable_redaction_time());
}

void CheckExternalId(const std::string& external_id, const std::string& field,
                     std::vector<core::FieldViolation>& violations) {
  if (external_id.empty()) {
    violations.push_back({field, "is required"});
  } else if (std::optional<std::string> problem =
                 core::IdentifierProblem(external_id, core::IngestLimits::kMaxIdBytes)) {
    violations.push_back({field, *std::move(problem)});
  }
}

std::optional<storage::ResponseListQuery> MapListRequest(
    const storage::Principal& principal, const tnps::v1::ListResponsesRequest& request,
    std::vector<core::FieldViolation>& violations) {
  const size_t before = violations.size();
  storage::ResponseListQuery query;
  if (!request.filter().has_start_date() || !request.filter().has_end_date()) {
    violations.push_back({"filter", "needs start_date and end_date"});
  }
  std::optional<storage::RollupFilter> filter =
      MapFilter(request.filter(), principal.tenant_id, "filter.", violations);
  if (filter) query.filter = *std::move(filter);
  if (request.has_min_score()) query.min_score = request.min_score();
  if (request.has_max_score()) query.max_score = request.max_score();
  if (query.min_score < 0 || query.min_score > 10) {
    violations.push_back({"min_score", "must be 0..10"});
  }
  if (query.max_score < 0 || query.max_score > 10) {
    violations.push_back({"max_score", "must be 0..10"});
  } else if (query.max_score < query.min_score) {
    violations.push_back({"max_score", "is below min_score"});
  }
  if (!request.customer_ref().empty()) {
    if (std::optional<std::string> problem =
            core::IdentifierProblem(request.customer_ref(), core::IngestLimits::kMaxIdBytes)) {
      violations.push_back({"customer_ref", *std::move(problem)});
    }
    query.customer_ref = request.customer_ref();
  }
  if (request.has_response_start_time()) {
    query.response_from =
        MapTimestamp(request.response_start_time(), "response_start_time", violations);
  }
  if (request.has_response_end_time()) {
    query.response_before =
        MapTimestamp(request.response_end_time(), "response_end_time", violations);
  }
  switch (request.order()) {
    case tnps::v1::RESPONSE_ORDER_UNSPECIFIED:
    case tnps::v1::RESPONSE_ORDER_NEWEST_FIRST:
      query.newest_first = true;
      break;
    case tnps::v1::RESPONSE_ORDER_OLDEST_FIRST:
      query.newest_first = false;
      break;
    default:
      violations.push_back({"order", absl::StrCat("has unknown value ", request.order())});
  }
  switch (request.exclusion()) {
    case tnps::v1::EXCLUSION_FILTER_UNSPECIFIED:
      query.exclusion = storage::ExclusionFilter::kAny;
      break;
    case tnps::v1::EXCLUSION_FILTER_INCLUDED:
      query.exclusion = storage::ExclusionFilter::kIncluded;
      break;
    case tnps::v1::EXCLUSION_FILTER_EXCLUDED:
      query.exclusion = storage::ExclusionFilter::kExcludedItself;
      break;
    default:
      violations.push_back({"exclusion", absl::StrCat("has unknown value ", request.exclusion())});
  }
  if (request.page_size() < 0 || request.page_size() > kMaxResponsePageSize) {
    violations.push_back({"page_size", absl::StrCat("must be 1..", kMaxResponsePageSize,
                                                    ", or 0 for ", kDefaultResponsePageSize)});
  }
  query.limit = request.page_size() == 0 ? kDefaultResponsePageSize : request.page_size();
  if (!request.page_token().empty()) {
    query.after = ListPageAfter(principal, request);
    if (!query.after) {
      violations.push_back({"page_token", "is not a token this service issued for this query"});
    }
  }
  if (violations.size() != before) return std::nullopt;
  return query;
}

std::string ListPageToken(const storage::Principal& principal,
                          const tnps::v1::ListResponsesRequest& request,
                          const storage::ListPosition& after) {
  return SealToken(
      principal, kListToken, ListQuery(request),
      absl::StrCat("l1:", absl::ToUnixMicros(after.interaction_time), ":", after.response_id));
}

std::optional<storage::ListPosition> ListPageAfter(const storage::Principal& principal,
                                                   const tnps::v1::ListResponsesRequest& request) {
  std::optional<std::string> body =
      OpenToken(principal, kListToken, ListQuery(request), request.page_token());
  if (!body) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(*body, ':');
  if (parts.size() != 3 || parts[0] != "l1") return std::nullopt;
  std::optional<int64_t> micros = ParseInt(parts[1]);
  std::optional<int64_t> id = ParseInt(parts[2]);
  if (!micros || !id) return std::nullopt;
  return storage::ListPosition{absl::FromUnixMicros(*micros), *id};
}

std::optional<storage::AmendRequest> MapAmendRequest(
    const storage::Principal& principal, const tnps::v1::AmendResponseRequest& request,
    std::vector<core::FieldViolation>& violations) {
  const size_t before = violations.size();
  storage::AmendRequest out;
  out.tenant_id = principal.tenant_id;
  out.external_id = request.external_id();
  CheckExternalId(request.external_id(), "external_id", violations);
  const tnps::v1::SurveyResponse& r = request.response();
  if (!request.response().external_id().empty() &&
      request.response().external_id() != request.external_id()) {
    violations.push_back({"response.external_id", "must be empty or equal external_id"});
  }
  // The facts of the interaction cannot change: name each one set.
  const auto fact = [&](bool set, const char* field) {
    if (set) {
      violations.push_back({absl::StrCat("response.", field),
                            "is a fact of the interaction and cannot be amended; only comment "
                            "and attributes can"});
    }
  };
  fact(!r.interaction_id().empty(), "interaction_id");
  fact(!r.agent_id().empty(), "agent_id");
  fact(!r.team_id().empty(), "team_id");
  fact(r.channel() != 0, "channel");
  fact(!r.customer_ref().empty(), "customer_ref");
  fact(r.has_score(), "score");
  fact(r.has_interaction_time(), "interaction_time");
  fact(r.has_response_time(), "response_time");
  if (request.update_mask().paths_size() == 0) {
    violations.push_back({"update_mask", "is required: \"comment\" and/or \"attributes\""});
  }
  core::SurveyResponse amended;
  amended.comment = r.comment();
  amended.attributes.assign(r.attributes().begin(), r.attributes().end());
  std::sort(amended.attributes.begin(), amended.attributes.end());
  for (int i = 0; i < request.update_mask().paths_size(); ++i) {
    const std::string& path = request.update_mask().paths(i);
    if (path == "comment") {
      out.comment = amended.comment;
    } else if (path == "attributes") {
      out.attributes = amended.attributes;
    } else {
      violations.push_back(
          {absl::StrCat("update_mask.paths[", i, "]"),
           absl::StrCat("names ", core::EscapeControls(path.substr(0, 64)),
                        "; only comment and attributes can be amended (the score, agent, team, "
                        "channel, customer and times are facts of the interaction)")});
    }
  }
  if (!out.comment && !r.comment().empty()) {
    violations.push_back({"response.comment", "is set but update_mask does not name it"});
  }
  if (!out.attributes && r.attributes_size() > 0) {
    violations.push_back({"response.attributes", "is set but update_mask does not name it"});
  }
  for (core::FieldViolation& v : core::ValidateAmendment(amended)) {
    v.field = absl::StrCat("response.", v.field);
    violations.push_back(std::move(v));
  }
  if (request.has_expected_version() && request.expected_version() < 1) {
    violations.push_back({"expected_version", "must be a version (1 or more)"});
  }
  if (request.has_expected_version()) out.expected_version = request.expected_version();
  if (violations.size() != before) return std::nullopt;
  return out;
}

void CheckReason(const std::string& reason, bool required,
                 std::vector<core::FieldViolation>& violations) {
  if (reason.empty()) {
    if (required) violations.push_back({"reason", "is required to exclude"});
    return;
  }
  if (std::optional<std::string> problem =
          core::FreeTextProblem(reason, 4 * kMaxReasonCodePoints)) {
    violations.push_back({"reason", *std::move(problem)});
  } else if (core::Utf8CodePoints(reason).value_or(0) > kMaxReasonCodePoints) {
    violations.push_back(
        {"reason", absl::StrCat("is longer than ", kMaxReasonCodePoints, " characters")});
  }
}

std::optional<storage::EraseRequest> MapEraseRequest(
    const storage::Principal& principal, const tnps::v1::EraseResponsesRequest& request,
    std::vector<core::FieldViolation>& violations) {
  const size_t before = violations.size();
  storage::EraseRequest out;
  out.tenant_id = principal.tenant_id;
  const bool by_customer = !request.customer_ref().empty();
  const bool by_ids = request.external_ids_size() > 0;
  if (by_customer == by_ids) {
    violations.push_back(
        {"", by_customer ? "give customer_ref or external_ids, not both"
                         : "give customer_ref or external_ids: an erasure needs a selector "
                           "(there is no \"erase everything\")"});
  }
  if (by_customer) {
    if (std::optional<std::string> problem =
            core::IdentifierProblem(request.customer_ref(), core::IngestLimits::kMaxIdBytes)) {
      violations.push_back({"customer_ref", *std::move(problem)});
    }
    out.customer_ref = request.customer_ref();
  }
  if (static_cast<size_t>(request.external_ids_size()) > kMaxExternalIdsPerCall) {
    violations.push_back(
        {"external_ids", absl::StrCat("has ", request.external_ids_size(), " ids; the limit is ",
                                      kMaxExternalIdsPerCall)});
  } else {
    for (int i = 0; i < request.external_ids_size(); ++i) {
      CheckExternalId(request.external_ids(i), absl::StrCat("external_ids[", i, "]"), violations);
      out.external_ids.push_back(request.external_ids(i));
    }
  }
  out.suppress_resubmission = request.suppress_resubmission();
  if (std::optional<std::string> problem =
          core::FreeTextProblem(request.request_reference(), 4 * kMaxReasonCodePoints)) {
    violations.push_back({"request_reference", *std::move(problem)});
  } else if (core::Utf8CodePoints(request.request_reference()).value_or(0) > kMaxReasonCodePoints) {
    violations.push_back({"request_reference",
                          absl::StrCat("is longer than ", kMaxReasonCodePoints, " characters")});
  }
  out.request_reference = request.request_reference();
  if (violations.size() != before) return std::nullopt;
  return out;
}

ExportStart MapExportRequest(const storage::Principal& principal,
                             const tnps::v1::ExportResponsesRequest& request, absl::Time now,
                             std::vector<core::FieldViolation>& violations) {
  ExportStart start;
  const size_t before = violations.size();
  const absl::Time oldest = now - absl::Hours(24) * storage::kRemovalRecordDays;
  ExportState state;
  if (!request.sync_token().empty() && request.has_changed_since()) {
    violations.push_back({"changed_since", "cannot be given with sync_token"});
  } else if (!request.sync_token().empty()) {
    std::optional<std::string> body = OpenToken(principal, kSyncToken, "", request.sync_token());
    std::vector<absl::string_view> parts;
    if (body) parts = absl::StrSplit(*body, '|');
    std::optional<int64_t> began = parts.size() == 3 ? ParseInt(parts[2]) : std::nullopt;
    if (parts.size() != 3 || parts[0] != "s1" || !IsSnapshotText(parts[1]) || !began) {
      violations.push_back(
          {"sync_token", "is not a sync token this service issued to this tenant"});
    } else {
      state.since.kind = storage::ExportSince::Kind::kSnapshot;
      state.since.snapshot = std::string(parts[1]);
      start.too_old = absl::FromUnixSeconds(*began) < oldest;
    }
  } else if (request.has_changed_since()) {
    std::optional<absl::Time> since =
        MapTimestamp(request.changed_since(), "changed_since", violations);
    if (since) {
      state.since.kind = storage::ExportSince::Kind::kTime;
      state.since.time = *since;
      start.too_old = *since < oldest;
    }
  }
  if (!request.cursor().empty()) {
    std::optional<std::string> body =
        OpenToken(principal, kExportCursor, ExportQuery(request), request.cursor());
    std::vector<absl::string_view> parts;
    if (body) parts = absl::StrSplit(*body, '|');
    std::optional<int64_t> began = parts.size() == 7 ? ParseInt(parts[3]) : std::nullopt;
    std::optional<int64_t> phase = parts.size() == 7 ? ParseInt(parts[4]) : std::nullopt;
    std::optional<int64_t> id = parts.size() == 7 ? ParseInt(parts[6]) : std::nullopt;
    std::optional<storage::ExportSince> since =
        parts.size() == 7 ? ParseSince(parts[1]) : std::nullopt;
    if (parts.size() != 7 || parts[0] != "c1" || !since || !IsSnapshotText(parts[2]) || !began ||
        !phase || *phase < 0 || *phase > 3 || !IsXidText(parts[5]) || !id) {
      violations.push_back({"cursor", "is not a cursor this service issued for this export"});
    } else {
      state.since = *since;
      state.until_snapshot = std::string(parts[2]);
      state.began = absl::FromUnixSeconds(*began);
      state.position = {static_cast<storage::ExportPhase>(*phase), std::string(parts[5]), *id};
      start.resumed = true;
      start.too_old = start.too_old || state.began < oldest;
    }
  }
  if (violations.size() == before) start.state = std::move(state);
  return start;
}

std::string ExportCursor(const storage::Principal& principal,
                         const tnps::v1::ExportResponsesRequest& request,
                         const ExportState& state) {
  return SealToken(
      principal, kExportCursor, ExportQuery(request),
      absl::StrCat("c1|", SinceBody(state.since), "|", state.until_snapshot, "|",
                   absl::ToUnixSeconds(state.began), "|", static_cast<int>(state.position.phase),
                   "|", state.position.xid, "|", state.position.id));
}

std::string SyncToken(const storage::Principal& principal, const ExportState& state) {
  return SealToken(
      principal, kSyncToken, "",
      absl::StrCat("s1|", state.until_snapshot, "|", absl::ToUnixSeconds(state.began)));
}

std::string AgentPageToken(const storage::Principal& principal, const std::string& last_agent) {
  return SealToken(principal, kAgentToken, "", absl::StrCat("a1:", last_agent));
}

std::optional<std::string> AgentPageAfter(const storage::Principal& principal,
                                          const std::string& token) {
  std::optional<std::string> body = OpenToken(principal, kAgentToken, "", token);
  if (!body || !absl::StartsWith(*body, "a1:")) return std::nullopt;
  return body->substr(3);
}

}  // namespace tnps::services
