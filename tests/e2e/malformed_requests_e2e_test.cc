// Bytes that are not the request message, or carry invalid UTF-8 in a
// string field, are a caller's mistake on every RPC: INVALID_ARGUMENT with a
// key, UNAUTHENTICATED without one, never INTERNAL, and nothing stored.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/e2e/ingest_fixture.h"
#include "tnps/v1/analytics_service.pb.h"
#include "tnps/v1/training_service.pb.h"

namespace tnps::testing {
namespace {

// A varint field cut short: no message decodes from it.
const std::string kGarbage("\x08\x96", 2);

const std::vector<std::string> kReadMethods = {
    "/tnps.v1.AnalyticsService/GetNps",
    "/tnps.v1.AnalyticsService/GetNpsTrend",
    "/tnps.v1.AnalyticsService/GetNpsBreakdown",
    "/tnps.v1.AnalyticsService/CompareNps",
    "/tnps.v1.TrainingService/ListPrograms",
    "/tnps.v1.TrainingService/ListCohorts",
    "/tnps.v1.TrainingService/GetCohort",
    "/tnps.v1.TrainingService/GetCohortUplift",
    "/tnps.v1.TrainingService/GetProgramImpact",
    "/tnps.v1.TrainingService/PlanCohort",
    "/tnps.v1.ResponseService/GetResponse",
    "/tnps.v1.ResponseService/ListResponses",
    "/tnps.v1.ResponseService/ListAgentExclusions",
};
const std::vector<std::string> kAdminMethods = {
    "/tnps.v1.TrainingService/UpsertAgents",
    "/tnps.v1.TrainingService/CreateProgram",
    "/tnps.v1.TrainingService/CreateCohort",
    "/tnps.v1.TrainingService/EnrollAgents",
    "/tnps.v1.TrainingService/RecordCompletions",
    "/tnps.v1.ResponseService/AmendResponse",
    "/tnps.v1.ResponseService/EraseResponses",
    "/tnps.v1.ResponseService/SetAgentExclusion",
    "/tnps.v1.ResponseService/SetResponseExclusion",
    "/tnps.v1.AlertService/CreateSubscription",
    "/tnps.v1.AlertService/PauseSubscription",
    "/tnps.v1.AlertService/ResumeSubscription",
    "/tnps.v1.AlertService/DeleteSubscription",
    "/tnps.v1.AlertService/RotateSubscriptionSecret",
    "/tnps.v1.AlertService/ListDeliveries",
    "/tnps.v1.AlertService/RedeliverEvent",
};

TEST_F(IngestFixture, GarbageIsInvalidArgumentOnEveryReadAndTrainingRpc) {
  auto channel = server_->NewChannel();
  std::vector<std::string> methods = kReadMethods;
  methods.insert(methods.end(), kAdminMethods.begin(), kAdminMethods.end());
  for (const std::string& method : methods) {
    grpc::ByteBuffer reply;

    const grpc::Status status = CallRaw(channel.get(), admin_key_a_, method, kGarbage, &reply);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << method << ": " << status.error_message();
    const grpc::Status anonymous = CallRaw(channel.get(), "", method, kGarbage, &reply);
    EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << method << ": " << anonymous.error_message();
  }
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM training_programs"), 0);
}

TEST_F(IngestFixture, InvalidUtf8InATrainingNameIsInvalidArgumentAndNothingIsStored) {
  tnps::v1::CreateProgramRequest request;
  request.mutable_program()->set_name("ZZ training");
  request.mutable_program()->set_currency_code("EUR");
  auto channel = server_->NewChannel();
  grpc::ByteBuffer reply;
  const grpc::Status status =
      CallRaw(channel.get(), admin_key_a_, "/tnps.v1.TrainingService/CreateProgram",
              WithInvalidUtf8(request, "ZZ"), &reply);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM training_programs"), 0);
}

}  // namespace
}  // namespace tnps::testing
