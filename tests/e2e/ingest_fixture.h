// The world of an ingest end-to-end test: a fresh database with two tenants
// and keys of every kind, the real server in front of it, and clients.
#ifndef TNPS_TESTS_E2E_INGEST_FIXTURE_H_
#define TNPS_TESTS_E2E_INGEST_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "storage/api_key_store.h"
#include "storage/connection_pool.h"
#include "storage/tenant_store.h"
#include "tests/e2e/server_process.h"
#include "tests/support/test_database.h"
#include "tnps/v1/ingest_service.grpc.pb.h"
#include "tnps/v1/nps.pb.h"

namespace tnps::testing {

// A tnps.v1.Date for a civil day.
inline tnps::v1::Date ProtoDate(absl::CivilDay d) {
  tnps::v1::Date out;
  out.set_year(static_cast<int>(d.year()));
  out.set_month(d.month());
  out.set_day(d.day());
  return out;
}

// Serializes `request` with `placeholder` in a string field swapped for
// invalid UTF-8 of the same length, which no generated client will send.
std::string WithInvalidUtf8(const google::protobuf::Message& request,
                            const std::string& placeholder);

// Calls `method` ("/tnps.v1.IngestService/SubmitResponse") with `bytes` as
// the request, as any client could; an empty `key` sends no authorization.
grpc::Status CallRaw(grpc::Channel* channel, const std::string& key, const std::string& method,
                     const std::string& bytes, grpc::ByteBuffer* reply);

// A client context carrying `key` as its bearer token.
std::unique_ptr<grpc::ClientContext> Context(const std::string& key);

class IngestFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Flags for the server; tests may override before SetUp.
  virtual std::vector<std::string> ServerFlags() const { return {"--auth_cache_ttl=0s"}; }

  // A valid response with this external_id, interacted an hour ago.
  static tnps::v1::SurveyResponse ValidResponse(const std::string& external_id, int score = 9);

  grpc::Status Submit(const std::string& key, const tnps::v1::SurveyResponse& response,
                      tnps::v1::SubmitResponseResponse* out = nullptr);
  grpc::Status SubmitBatch(const std::string& key,
                           const std::vector<tnps::v1::SurveyResponse>& responses,
                           tnps::v1::SubmitResponsesResponse* out);
  grpc::Status Stream(const std::string& key,
                      const std::vector<std::vector<tnps::v1::SurveyResponse>>& messages,
                      tnps::v1::StreamResponsesResponse* out);

  // The field violations of a google.rpc.BadRequest in `status`'s details.
  static std::vector<std::string> ViolatedFields(const grpc::Status& status);

  int64_t ResponseCount() const { return db_->QueryInt("SELECT count(*) FROM responses"); }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<storage::ConnectionPool> pool_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<tnps::v1::IngestService::Stub> stub_;
  int64_t tenant_a_ = 0;
  int64_t tenant_b_ = 0;
  std::string ingest_key_a_, read_key_a_, admin_key_a_, revoked_key_a_, ingest_key_b_, admin_key_b_;
};

}  // namespace tnps::testing

#endif  // TNPS_TESTS_E2E_INGEST_FIXTURE_H_
