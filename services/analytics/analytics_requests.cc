#include "services/analytics/analytics_requests.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/response_validation.h"
#include "core/text_rules.h"
#include "services/common/api_limits.h"
#include "storage/sha256.h"

namespace tnps::services {
namespace {

constexpr char kPageTokenVersion[] = "b1:";

// The first 16 hex digits of the SHA-256 of the query (the request without
// its paging fields) and the token's body.
std::string QueryDigest(const tnps::v1::GetNpsBreakdownRequest& request, absl::string_view body) {
  tnps::v1::GetNpsBreakdownRequest query = request;
  query.clear_page_token();
  query.clear_page_size();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream out(&stream);
    out.SetSerializationDeterministic(true);
    query.SerializeToCodedStream(&out);
  }
  return storage::HexEncode(storage::Sha256(absl::StrCat(bytes, "|", body))).substr(0, 16);
}

std::optional<size_t> OffsetOfPageToken(const tnps::v1::GetNpsBreakdownRequest& request) {
  std::string token;
  if (request.page_token().size() > 100 ||
      !absl::WebSafeBase64Unescape(request.page_token(), &token)) {
    return std::nullopt;
  }
  const size_t dot = token.rfind('.');
  if (dot == std::string::npos) return std::nullopt;
  absl::string_view body = absl::string_view(token).substr(0, dot);
  size_t offset;
  if (!absl::ConsumePrefix(&body, kPageTokenVersion) || !absl::SimpleAtoi(body, &offset) ||
      offset > kMaxBreakdownOffset) {
    return std::nullopt;
  }
  if (token.substr(dot + 1) != QueryDigest(request, token.substr(0, dot))) return std::nullopt;
  return offset;
}

}  // namespace

namespace {

std::optional<core::BucketSize> MapBucket(tnps::v1::Bucket bucket) {
  switch (bucket) {
    case tnps::v1::BUCKET_DAY:
      return core::BucketSize::kDay;
    case tnps::v1::BUCKET_WEEK:
      return core::BucketSize::kWeek;
    case tnps::v1::BUCKET_MONTH:
      return core::BucketSize::kMonth;
    case tnps::v1::BUCKET_QUARTER:
      return core::BucketSize::kQuarter;
    default:
      return std::nullopt;
  }
}

core::BreakdownOrder MapOrder(tnps::v1::BreakdownOrder order) {
  switch (order) {
    case tnps::v1::BREAKDOWN_ORDER_NPS_ASC:
      return core::BreakdownOrder::kNpsAsc;
    case tnps::v1::BREAKDOWN_ORDER_RESPONSES_DESC:
      return core::BreakdownOrder::kResponsesDesc;
    case tnps::v1::BREAKDOWN_ORDER_SHRUNK_NPS_DESC:
      return core::BreakdownOrder::kShrunkNpsDesc;
    case tnps::v1::BREAKDOWN_ORDER_KEY_ASC:
      return core::BreakdownOrder::kKeyAsc;
    default:
      return core::BreakdownOrder::kNpsDesc;
  }
}

}  // namespace

TrendOptions CheckTrendRequest(const tnps::v1::GetNpsTrendRequest& request,
                               std::vector<core::FieldViolation>& violations) {
  TrendOptions options;
  if (std::optional<core::BucketSize> bucket = MapBucket(request.bucket())) {
    options.bucket = *bucket;
  } else {
    violations.push_back({"bucket", "must be DAY, WEEK, MONTH or QUARTER"});
  }
  options.rolling_window_days = request.rolling_window_days();
  if (options.rolling_window_days < 0 || options.rolling_window_days > kMaxRollingWindowDays) {
    violations.push_back(
        {"rolling_window_days", absl::StrCat("must be 0..", kMaxRollingWindowDays)});
  }
  return options;
}

BreakdownOptions CheckBreakdownRequest(const tnps::v1::GetNpsBreakdownRequest& request,
                                       std::vector<core::FieldViolation>& violations) {
  BreakdownOptions options;
  options.dimension = request.dimension();
  switch (options.dimension) {
    case tnps::v1::DIMENSION_AGENT:
      options.group = storage::RollupGroup::kAgentAndTeam;
      break;
    case tnps::v1::DIMENSION_TEAM:
      options.group = storage::RollupGroup::kTeam;
      break;
    case tnps::v1::DIMENSION_CHANNEL:
      options.group = storage::RollupGroup::kChannel;
      break;
    case tnps::v1::DIMENSION_ATTRIBUTE:
      options.group = storage::RollupGroup::kAttribute;
      if (request.attribute_key().empty()) {
        violations.push_back({"attribute_key", "is required with DIMENSION_ATTRIBUTE"});
      } else if (core::IdentifierProblem(request.attribute_key(),
                                         core::IngestLimits::kMaxAttributeKeyBytes)) {
        violations.push_back(
            {"attribute_key", absl::StrCat("must be 1..", core::IngestLimits::kMaxAttributeKeyBytes,
                                           " bytes of printable UTF-8")});
      } else if (request.filter().attributes_size() == 1 &&
                 request.filter().attributes(0).key() != request.attribute_key()) {
        violations.push_back({"filter.attributes[0].key",
                              "must be attribute_key: the attribute rollups answer one key at a "
                              "time"});
      }
      break;
    default:
      violations.push_back({"dimension", "must be AGENT, TEAM, CHANNEL or ATTRIBUTE"});
  }
  if (options.dimension != tnps::v1::DIMENSION_ATTRIBUTE && !request.attribute_key().empty()) {
    violations.push_back({"attribute_key", "applies to DIMENSION_ATTRIBUTE only"});
  }
  const tnps::v1::BreakdownOrder order = request.order();
  if (!tnps::v1::BreakdownOrder_IsValid(order)) {
    violations.push_back({"order", absl::StrCat("has unknown value ", order)});
  } else if (order == tnps::v1::BREAKDOWN_ORDER_SHRUNK_NPS_DESC &&
             options.dimension != tnps::v1::DIMENSION_AGENT) {
    violations.push_back({"order", "SHRUNK_NPS_DESC applies to agent breakdowns only"});
  }
  options.order = MapOrder(order);
  if (request.min_responses() < 0) violations.push_back({"min_responses", "must be >= 0"});
  options.page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  if (options.page_size < 1 || options.page_size > kMaxPageSize) {
    violations.push_back({"page_size", absl::StrCat("must be 1..", kMaxPageSize)});
  }
  if (!request.page_token().empty()) {
    std::optional<size_t> offset = OffsetOfPageToken(request);
    if (!offset) {
      violations.push_back({"page_token", "is not a token this service issued for this query"});
    } else {
      options.offset = *offset;
    }
  }
  return options;
}

std::string BreakdownPageToken(const tnps::v1::GetNpsBreakdownRequest& request, size_t offset) {
  const std::string body = absl::StrCat(kPageTokenVersion, offset);
  return absl::WebSafeBase64Escape(absl::StrCat(body, ".", QueryDigest(request, body)));
}

}  // namespace tnps::services
