// libFuzzer target: TrainingService request decoding and validation. The
// first byte picks the RPC; the rest is its request message.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/cohort_plan.h"
#include "fuzz/request_bytes.h"
#include "services/training/estimate_mapping.h"
#include "services/training/training_requests.h"
#include "tnps/v1/training_service.pb.h"

namespace {

using tnps::core::FieldViolation;
using tnps::fuzz::Parse;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t rpc = data[0] % 9;
  ++data;
  --size;
  // A fixed clock, so that a finding replays.
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  std::vector<FieldViolation> violations;
  namespace s = tnps::services;
  switch (rpc) {
    case 0: {
      tnps::v1::UpsertAgentsRequest r;
      if (Parse(data, size, r)) s::CheckUpsertAgentsRequest(r, violations);
      break;
    }
    case 1: {
      tnps::v1::CreateProgramRequest r;
      if (Parse(data, size, r)) s::CheckCreateProgramRequest(r, violations);
      break;
    }
    case 2: {
      tnps::v1::CreateCohortRequest r;
      if (Parse(data, size, r)) s::CheckCreateCohortRequest(r, violations);
      break;
    }
    case 3: {
      tnps::v1::ListCohortsRequest r;
      if (Parse(data, size, r)) s::CheckListCohortsRequest(r, violations);
      tnps::v1::GetCohortRequest g;
      if (Parse(data, size, g)) s::CheckGetCohortRequest(g, violations);
      break;
    }
    case 4: {
      tnps::v1::EnrollAgentsRequest r;
      if (Parse(data, size, r)) s::CheckEnrollAgentsRequest(r, now, violations);
      break;
    }
    case 5: {
      tnps::v1::RecordCompletionsRequest r;
      if (Parse(data, size, r)) s::CheckRecordCompletionsRequest(r, now, violations);
      break;
    }
    case 6: {
      tnps::v1::GetCohortUpliftRequest r;
      if (Parse(data, size, r)) s::CheckUpliftRequest(r, violations);
      break;
    }
    case 7: {
      tnps::v1::GetProgramImpactRequest r;
      if (Parse(data, size, r)) s::CheckImpactRequest(r, absl::CivilDay(2027, 1, 15), violations);
      break;
    }
    case 8: {
      tnps::v1::PlanCohortRequest r;
      if (!Parse(data, size, r)) return 0;
      s::CheckPlanRequest(r, violations);
      if (!violations.empty()) return 0;
      // A history as the handler reads it from the database.
      tnps::core::ResponseVariance history;
      history.response_sd = 80;
      history.intra_agent_correlation = 0.05;
      history.responses = 4000;
      history.agents = 40;
      history.defined = true;
      const tnps::core::CohortDesign design = s::PlanDesign(r, history);
      tnps::core::MinimumDetectableEffect(design, history);
      break;
    }
  }
  return 0;
}
