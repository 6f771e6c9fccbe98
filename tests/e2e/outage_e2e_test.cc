// The database goes away under a running server and comes back. Stops the
// shared test cluster, so ctest runs it alone (RUN_SERIAL).
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "tests/e2e/http_get.h"
#include "tests/e2e/ingest_fixture.h"

namespace tnps::testing {
namespace {

class OutageE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--auth_cache_ttl=0s", "--metrics_listen=127.0.0.1:0"};
  }

  // What /healthz says, for load balancers that check over HTTP.
  std::string Readiness() {
    const std::optional<std::string> body =
        HttpGet(absl::StrCat("http://", server_->metrics_address(), "/healthz"));
    if (!body) return "unreachable";
    return body->find("\ntnps_serving 1\n") != std::string::npos   ? "serving"
           : body->find("\ntnps_serving 0\n") != std::string::npos ? "not serving"
                                                                   : *body;
  }

  void Cluster(const std::string& verb) {
    CommandResult r =
        RunCommand({TNPS_PG_CLUSTER_SCRIPT, verb, RequiredEnv("TNPS_TEST_PG_CLUSTER_DIR")});
    ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  }

  // The overall health status byte: 1 SERVING, 2 NOT_SERVING.
  int HealthStatus() {
    grpc::GenericStub generic(server_->NewChannel());
    grpc::ClientContext context;
    grpc::Slice empty("");
    grpc::ByteBuffer request(&empty, 1), reply;
    grpc::Status status;
    absl::Notification done;
    generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request,
                      &reply, [&](grpc::Status s) {
                        status = std::move(s);
                        done.Notify();
                      });
    done.WaitForNotification();
    std::vector<grpc::Slice> slices;
    if (!status.ok() || !reply.Dump(&slices).ok() || slices.empty() || slices[0].size() < 2) {
      return -1;
    }
    return slices[0].begin()[1];
  }
};

TEST_F(OutageE2eTest, DatabaseDownIsUnavailableAndServiceRecoversWithoutRestart) {
  ASSERT_TRUE(Submit(ingest_key_a_, ValidResponse("before")).ok());

  Cluster("stop");
  grpc::Status down = Submit(ingest_key_a_, ValidResponse("during"));
  EXPECT_EQ(down.error_code(), grpc::StatusCode::UNAVAILABLE) << down.error_message();
  int health = 0;
  for (absl::Time until = absl::Now() + absl::Seconds(10); absl::Now() < until;) {
    health = HealthStatus();
    if (health == 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(health, 2) << "health should say NOT_SERVING while the database is down";
  EXPECT_EQ(Readiness(), "not serving");

  Cluster("start");
  grpc::Status up;
  for (absl::Time until = absl::Now() + absl::Seconds(30); absl::Now() < until;) {
    up = Submit(ingest_key_a_, ValidResponse("after"));
    if (up.ok()) break;
    EXPECT_EQ(up.error_code(), grpc::StatusCode::UNAVAILABLE) << up.error_message();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(up.ok()) << up.error_message();
  EXPECT_EQ(ResponseCount(), 2);
  for (absl::Time until = absl::Now() + absl::Seconds(10); absl::Now() < until;) {
    health = HealthStatus();
    if (health == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(health, 1) << "health should say SERVING again";
  EXPECT_EQ(Readiness(), "serving");
}

}  // namespace
}  // namespace tnps::testing
