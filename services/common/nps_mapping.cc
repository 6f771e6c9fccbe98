#include "services/common/nps_mapping.h"

#include "absl/strings/str_cat.h"
#include "core/response_validation.h"
#include "core/survey_response.h"
#include "core/text_rules.h"

namespace tnps::services {
namespace {

void MapIds(const google::protobuf::RepeatedPtrField<std::string>& ids, const std::string& field,
            std::vector<std::string>& out, std::vector<core::FieldViolation>& violations) {
  if (ids.size() > kMaxFilterIds) {
    violations.push_back(
        {field, absl::StrCat("has ", ids.size(), " ids; the limit is ", kMaxFilterIds)});
    return;
  }
  for (int i = 0; i < ids.size(); ++i) {
    const std::string& id = ids[i];
    if (id.empty()) {
      violations.push_back({absl::StrCat(field, "[", i, "]"), "is empty"});
      return;
    }
    // The same rules as the ids stored (core/text_rules.h).
    if (std::optional<std::string> problem =
            core::IdentifierProblem(id, core::IngestLimits::kMaxIdBytes)) {
      violations.push_back({absl::StrCat(field, "[", i, "]"), *std::move(problem)});
      return;
    }
  }
  out.assign(ids.begin(), ids.end());
}

}  // namespace

std::optional<absl::CivilDay> MapDate(bool present, const tnps::v1::Date& date,
                                      const std::string& field,
                                      std::vector<core::FieldViolation>& violations) {
  if (!present) {
    violations.push_back({field, "is required"});
    return std::nullopt;
  }
  const absl::CivilDay day(date.year(), date.month(), date.day());
  // CivilDay normalizes 2026-02-30 to 2026-03-02; a real date survives unchanged.
  if (date.year() < 2000 || date.year() > 9999 || day.year() != date.year() ||
      day.month() != date.month() || day.day() != date.day()) {
    violations.push_back({field, "is not a valid date from year 2000"});
    return std::nullopt;
  }
  return day;
}

namespace {

// At most one condition: the attribute rollups hold one key at a time.
void MapAttributeConditions(const tnps::v1::NpsFilter& filter, const std::string& prefix,
                            storage::RollupFilter& out,
                            std::vector<core::FieldViolation>& violations) {
  if (filter.attributes_size() == 0) return;
  if (filter.attributes_size() > 1) {
    violations.push_back({prefix + "attributes",
                          "has more than one condition; the attribute rollups answer one key at "
                          "a time"});
    return;
  }
  const tnps::v1::AttributeCondition& condition = filter.attributes(0);
  const std::string field = prefix + "attributes[0]";
  if (condition.key().empty() ||
      core::IdentifierProblem(condition.key(), core::IngestLimits::kMaxAttributeKeyBytes)) {
    violations.push_back(
        {field + ".key", absl::StrCat("must be 1..", core::IngestLimits::kMaxAttributeKeyBytes,
                                      " bytes of printable UTF-8")});
  }
  if (condition.values_size() < 1 || condition.values_size() > kMaxAttributeConditionValues) {
    violations.push_back({field + ".values",
                          absl::StrCat("must list 1..", kMaxAttributeConditionValues, " values")});
  }
  storage::AttributeCondition mapped{condition.key(), {}};
  for (const std::string& value : condition.values()) {
    if (std::optional<std::string> problem =
            core::FreeTextProblem(value, core::IngestLimits::kMaxAttributeValueBytes)) {
      violations.push_back({field + ".values", *std::move(problem)});
      break;
    }
    mapped.values.push_back(value);
  }
  out.attribute = std::move(mapped);
}

}  // namespace

std::optional<storage::RollupFilter> MapFilter(const tnps::v1::NpsFilter& filter, int64_t tenant_id,
                                               const std::string& prefix,
                                               std::vector<core::FieldViolation>& violations) {
  const size_t before = violations.size();
  storage::RollupFilter out;
  out.tenant_id = tenant_id;
  std::optional<absl::CivilDay> first =
      MapDate(filter.has_start_date(), filter.start_date(), prefix + "start_date", violations);
  std::optional<absl::CivilDay> last =
      MapDate(filter.has_end_date(), filter.end_date(), prefix + "end_date", violations);
  if (first && last) {
    if (*last < *first) {
      violations.push_back({prefix + "end_date", "is before start_date"});
    } else if (*last - *first + 1 > kMaxRangeDays) {
      violations.push_back(
          {prefix + "end_date", absl::StrCat("makes a range of ", *last - *first + 1,
                                             " days; the limit is ", kMaxRangeDays)});
    } else {
      out.days = {*first, *last};
    }
  }
  MapIds(filter.agent_ids(), prefix + "agent_ids", out.agent_ids, violations);
  MapIds(filter.team_ids(), prefix + "team_ids", out.team_ids, violations);
  if (filter.channels_size() > core::kMaxChannelValue) {
    violations.push_back({prefix + "channels", "lists more channels than exist"});
  }
  for (int channel : filter.channels()) {
    if (channel < 1 || channel > core::kMaxChannelValue) {
      violations.push_back(
          {prefix + "channels", absl::StrCat("has unknown or unspecified value ", channel)});
      break;
    }
    out.channels.push_back(channel);
  }
  if (filter.cohort_id() < 0) {
    violations.push_back({prefix + "cohort_id", "must be a cohort id, or 0 for any agent"});
  } else if (filter.cohort_id() > 0) {
    out.cohort_ids.push_back(filter.cohort_id());
  }
  MapAttributeConditions(filter, prefix, out, violations);
  if (violations.size() != before) return std::nullopt;
  return out;
}

IntervalOptions MapIntervalOptions(tnps::v1::IntervalMethod method, double confidence_level,
                                   std::vector<core::FieldViolation>& violations) {
  IntervalOptions options;
  switch (method) {
    case tnps::v1::INTERVAL_METHOD_UNSPECIFIED:
    case tnps::v1::INTERVAL_METHOD_WALD:
      options.method = core::IntervalMethod::kWald;
      break;
    case tnps::v1::INTERVAL_METHOD_ADJUSTED_WALD:
      options.method = core::IntervalMethod::kAdjustedWald;
      break;
    default:
      violations.push_back({"interval_method", absl::StrCat("has unknown value ", method)});
  }
  if (confidence_level != 0) {
    if (!(confidence_level >= 0.5 && confidence_level <= 0.999)) {
      violations.push_back({"confidence_level", "must be between 0.5 and 0.999 (0 means 0.95)"});
    } else {
      options.confidence_level = confidence_level;
    }
  }
  return options;
}

tnps::v1::Date DateToProto(absl::CivilDay day) {
  tnps::v1::Date out;
  out.set_year(static_cast<int32_t>(day.year()));
  out.set_month(day.month());
  out.set_day(day.day());
  return out;
}

void SummaryToProto(const core::NpsSummary& s, tnps::v1::NpsSummary* out) {
  out->set_nps(s.nps);
  out->set_responses(s.counts.responses());
  out->set_promoters(s.counts.promoters);
  out->set_passives(s.counts.passives);
  out->set_detractors(s.counts.detractors);
  out->set_promoter_percent(s.promoter_percent);
  out->set_passive_percent(s.passive_percent);
  out->set_detractor_percent(s.detractor_percent);
  out->set_standard_error(s.standard_error);
  out->set_ci_low(s.ci_low);
  out->set_ci_high(s.ci_high);
  out->set_margin_of_error(s.margin_of_error);
  out->set_interval_method(s.method == core::IntervalMethod::kAdjustedWald
                               ? tnps::v1::INTERVAL_METHOD_ADJUSTED_WALD
                               : tnps::v1::INTERVAL_METHOD_WALD);
  out->set_confidence_level(s.confidence_level);
  out->set_empty(s.empty);
  out->set_low_sample(s.low_sample);
}

void DeltaToProto(const core::NpsDifference& d, tnps::v1::NpsDelta* out) {
  out->set_delta(d.delta);
  out->set_standard_error(d.standard_error);
  out->set_ci_low(d.ci_low);
  out->set_ci_high(d.ci_high);
  out->set_z(d.z);
  out->set_p_value(d.p_value);
  out->set_confidence_level(d.confidence_level);
  out->set_defined(d.defined);
  out->set_method("two-sample z test, independent samples, Wald SE");
}

}  // namespace tnps::services
