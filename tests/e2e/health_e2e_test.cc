// The standard gRPC health service through the real server: described by
// server reflection, answered per service, and NOT_SERVING while the
// server drains on SIGTERM.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.pb.h"
#include "tests/e2e/http_get.h"
#include "tests/e2e/ingest_fixture.h"

namespace tnps::testing {
namespace {

using ::testing::HasSubstr;

// Health/Check for `service` over `channel`, as any client would call it.
grpc::Status CheckHealth(grpc::Channel* channel, const std::string& service,
                         grpc::health::v1::HealthCheckResponse* out) {
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::ByteBuffer reply;
  grpc::Status status =
      CallRaw(channel, "", "/grpc.health.v1.Health/Check", request.SerializeAsString(), &reply);
  if (status.ok()) {
    std::vector<grpc::Slice> slices;
    (void)reply.Dump(&slices);
    std::string bytes;
    for (const grpc::Slice& s : slices)
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    out->ParseFromString(bytes);
  }
  return status;
}

TEST_F(IngestFixture, HealthAnswersForTheServerAndEachServiceByName) {
  auto channel = server_->NewChannel();
  for (const std::string service :
       {"", "tnps.v1.IngestService", "tnps.v1.AnalyticsService", "tnps.v1.TrainingService",
        "tnps.v1.ResponseService", "tnps.v1.AlertService"}) {
    grpc::health::v1::HealthCheckResponse health;
    ASSERT_TRUE(CheckHealth(channel.get(), service, &health).ok()) << service;
    EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
  grpc::health::v1::HealthCheckResponse health;
  EXPECT_EQ(CheckHealth(channel.get(), "tnps.v1.NoSuchService", &health).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(IngestFixture, BufCurlDescribesAndCallsHealthThroughReflection) {
  if (access(TNPS_BUF_BIN, X_OK) != 0) GTEST_SKIP() << "buf is not installed (needs npm)";
  const std::string base = "http://" + server_->address();
  CommandResult methods = RunCommand({TNPS_BUF_BIN, "curl", "--protocol", "grpc",
                                      "--http2-prior-knowledge", "--list-methods", base});
  ASSERT_EQ(methods.exit_code, 0) << methods.stderr_text;
  EXPECT_THAT(methods.stdout_text, HasSubstr("grpc.health.v1.Health/Check"));
  EXPECT_THAT(methods.stdout_text, HasSubstr("tnps.v1.AlertService/WatchResponses"));
  CommandResult check = RunCommand(
      {TNPS_BUF_BIN, "curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d",
       R"({"service": "tnps.v1.IngestService"})", base + "/grpc.health.v1.Health/Check"});
  ASSERT_EQ(check.exit_code, 0) << check.stderr_text;
  EXPECT_THAT(check.stdout_text, HasSubstr("\"SERVING\""));
}

class DrainE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--auth_cache_ttl=0s", "--shutdown_grace=2s", "--metrics_listen=127.0.0.1:0"};
  }

  // /healthz on the metrics port, as HAProxy reads it (deploy/ha/).
  std::string Readiness() {
    return HttpGet(absl::StrCat("http://", server_->metrics_address(), "/healthz"))
        .value_or("unreachable");
  }
};

TEST_F(DrainE2eTest, SigtermIsNotServingWhileStillServingThenDrainsAndSaysSo) {
  auto channel = server_->NewChannel();
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("before-drain", 3)).ok());
  EXPECT_THAT(Readiness(), HasSubstr("\ntnps_serving 1\n"));
  server_->Terminate();
  absl::SleepFor(absl::Milliseconds(500));
  // During the grace: the health service says NOT_SERVING, for the server
  // and for each service, and calls are still served.
  grpc::health::v1::HealthCheckResponse health;
  ASSERT_TRUE(CheckHealth(channel.get(), "", &health).ok());
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  ASSERT_TRUE(CheckHealth(channel.get(), "tnps.v1.IngestService", &health).ok());
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  EXPECT_THAT(Readiness(), HasSubstr("\ntnps_serving 0\n"));
  grpc::Status during = Submit(ingest_key_a_, ValidResponse("during-drain", 4));
  EXPECT_TRUE(during.ok()) << during.error_message();
  server_->WaitForExit();
  const std::string log = server_->Log();
  EXPECT_THAT(log, HasSubstr(R"("msg":"NOT_SERVING; draining","signal":15,"grace":"2s")"));
  EXPECT_THAT(log, HasSubstr(R"("msg":"drained: every call finished; stopping the background )"
                             R"(work","drain_ms":)"));
  EXPECT_THAT(log, HasSubstr(R"("responses_written_while_draining":)"));
  EXPECT_EQ(ResponseCount(), 2);
}

}  // namespace
}  // namespace tnps::testing
