#include "tests/e2e/ingest_fixture.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/generic/generic_stub.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace tnps::testing {
namespace {

std::string IssueKey(storage::ApiKeyStore& keys, const std::string& tenant, core::Role role) {
  absl::StatusOr<storage::IssuedKey> key = keys.Issue(tenant, role);
  EXPECT_TRUE(key.ok()) << key.status();
  return key.ok() ? key->key : "";
}

google::protobuf::Timestamp ToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  ts.set_nanos(static_cast<int32_t>(absl::ToUnixNanos(t) % 1000000000));
  return ts;
}

}  // namespace

std::string WithInvalidUtf8(const google::protobuf::Message& request,
                            const std::string& placeholder) {
  std::string bytes = request.SerializeAsString();
  const size_t at = bytes.find(placeholder);
  EXPECT_NE(at, std::string::npos);
  bytes.replace(at, 2, "\xFF\xFE");
  return bytes;
}

grpc::Status CallRaw(grpc::Channel* channel, const std::string& key, const std::string& method,
                     const std::string& bytes, grpc::ByteBuffer* reply) {
  grpc::GenericStub generic(channel->shared_from_this());
  grpc::ClientContext context;
  if (!key.empty()) context.AddMetadata("authorization", "Bearer " + key);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1);
  grpc::Status result;
  absl::Notification done;
  generic.UnaryCall(&context, method, grpc::StubOptions(), &request, reply, [&](grpc::Status s) {
    result = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& key) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + key);
  return context;
}

void IngestFixture::SetUp() {
  db_ = std::make_unique<TestDatabase>();
  pool_ = std::make_unique<storage::ConnectionPool>(
      storage::ConnectionPoolOptions{.database_url = db_->owner_url(), .size = 2});
  storage::TenantStore tenants(*pool_);
  storage::ApiKeyStore keys(*pool_);
  absl::StatusOr<storage::Tenant> a = tenants.Create("tenant-a", "Europe/Zurich");
  absl::StatusOr<storage::Tenant> b = tenants.Create("tenant-b", "UTC");
  ASSERT_TRUE(a.ok() && b.ok());
  tenant_a_ = a->tenant_id;
  tenant_b_ = b->tenant_id;
  ingest_key_a_ = IssueKey(keys, "tenant-a", core::Role::kIngest);
  read_key_a_ = IssueKey(keys, "tenant-a", core::Role::kRead);
  admin_key_a_ = IssueKey(keys, "tenant-a", core::Role::kAdmin);
  revoked_key_a_ = IssueKey(keys, "tenant-a", core::Role::kIngest);
  ingest_key_b_ = IssueKey(keys, "tenant-b", core::Role::kIngest);
  admin_key_b_ = IssueKey(keys, "tenant-b", core::Role::kAdmin);
  ASSERT_TRUE(keys.Revoke(revoked_key_a_.substr(5, 16)).ok());
  server_ = std::make_unique<ServerProcess>(db_->url(), ServerFlags());
  stub_ = tnps::v1::IngestService::NewStub(server_->NewChannel());
}

void IngestFixture::TearDown() {
  stub_.reset();
  server_.reset();
  pool_.reset();
  db_.reset();
}

tnps::v1::SurveyResponse IngestFixture::ValidResponse(const std::string& external_id, int score) {
  // Fixed for the whole run, so that the same id always means the same payload.
  static const absl::Time now = absl::Now();
  tnps::v1::SurveyResponse r;
  r.set_external_id(external_id);
  r.set_interaction_id("call-" + external_id);
  r.set_agent_id("agent-1");
  r.set_team_id("team-1");
  r.set_channel(tnps::v1::CHANNEL_PHONE);
  r.set_customer_ref("cust-42");
  r.set_score(score);
  r.set_comment("She listened and solved it.");
  *r.mutable_interaction_time() = ToProto(now - absl::Hours(1));
  *r.mutable_response_time() = ToProto(now - absl::Minutes(30));
  (*r.mutable_attributes())["queue"] = "billing";
  return r;
}

grpc::Status IngestFixture::Submit(const std::string& key, const tnps::v1::SurveyResponse& response,
                                   tnps::v1::SubmitResponseResponse* out) {
  grpc::ClientContext context;
  if (!key.empty()) context.AddMetadata("authorization", "Bearer " + key);
  tnps::v1::SubmitResponseRequest request;
  *request.mutable_response() = response;
  tnps::v1::SubmitResponseResponse ignored;
  return stub_->SubmitResponse(&context, request, out != nullptr ? out : &ignored);
}

grpc::Status IngestFixture::SubmitBatch(const std::string& key,
                                        const std::vector<tnps::v1::SurveyResponse>& responses,
                                        tnps::v1::SubmitResponsesResponse* out) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + key);
  tnps::v1::SubmitResponsesRequest request;
  for (const auto& r : responses) *request.add_responses() = r;
  return stub_->SubmitResponses(&context, request, out);
}

grpc::Status IngestFixture::Stream(
    const std::string& key, const std::vector<std::vector<tnps::v1::SurveyResponse>>& messages,
    tnps::v1::StreamResponsesResponse* out) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + key);
  auto writer = stub_->StreamResponses(&context, out);
  for (const auto& batch : messages) {
    tnps::v1::StreamResponsesRequest request;
    for (const auto& r : batch) *request.add_responses() = r;
    if (!writer->Write(request)) break;
  }
  writer->WritesDone();
  return writer->Finish();
}

std::vector<std::string> IngestFixture::ViolatedFields(const grpc::Status& status) {
  google::rpc::Status rich;
  std::vector<std::string> fields;
  if (!rich.ParseFromString(status.error_details())) return fields;
  for (const auto& detail : rich.details()) {
    google::rpc::BadRequest bad_request;
    if (!detail.UnpackTo(&bad_request)) continue;
    for (const auto& v : bad_request.field_violations()) fields.push_back(v.field());
  }
  return fields;
}

}  // namespace tnps::testing
