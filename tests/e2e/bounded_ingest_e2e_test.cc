// Ingest on the real server holds bounded resources whatever clients do: a
// stream whose client falls silent is ended without storing half a batch,
// and API key lookups happen off gRPC's threads, a bounded number at a time.
#include <gtest/gtest.h>

#include <fstream>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "tests/e2e/ingest_fixture.h"

namespace tnps::testing {
namespace {

class StreamIdleE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--auth_cache_ttl=0s", "--stream_idle_timeout=1s"};
  }

  std::unique_ptr<grpc::ClientWriter<tnps::v1::StreamResponsesRequest>> OpenStream(
      grpc::ClientContext& context, tnps::v1::StreamResponsesResponse& summary) {
    context.AddMetadata("authorization", "Bearer " + ingest_key_a_);
    return stub_->StreamResponses(&context, &summary);
  }
};

TEST_F(StreamIdleE2eTest, SilentStreamIsEndedAndItsUnbatchedResponsesAreNotStored) {
  grpc::ClientContext context;
  tnps::v1::StreamResponsesResponse summary;
  auto writer = OpenStream(context, summary);
  tnps::v1::StreamResponsesRequest message;
  for (int i = 0; i < 3; ++i) *message.add_responses() = ValidResponse("idle-" + std::to_string(i));
  ASSERT_TRUE(writer->Write(message));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  const grpc::Status status = writer->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  EXPECT_NE(status.error_message().find("the 3 responses received"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(ResponseCount(), 0);
}

TEST_F(StreamIdleE2eTest, SlowButSteadyStreamIsNotEnded) {
  grpc::ClientContext context;
  tnps::v1::StreamResponsesResponse summary;
  auto writer = OpenStream(context, summary);
  // 2.4 s in all, never 1 s silent.
  for (int i = 0; i < 4; ++i) {
    tnps::v1::StreamResponsesRequest message;
    *message.add_responses() = ValidResponse("steady-" + std::to_string(i));
    ASSERT_TRUE(writer->Write(message));
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
  }
  writer->WritesDone();
  const grpc::Status status = writer->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.accepted_count(), 4);
  EXPECT_EQ(ResponseCount(), 4);
}

// kKeyLookups in tnps_server_main.cc: 2 running, 256 waiting.
constexpr int kKeyLookupsHeld = 2 + 256;

TEST_F(IngestFixture, KeyLookupsBeyondTheirQueueAreRefusedAtOnceWithoutNewThreads) {
  constexpr int kCalls = 300;
  const int idle_threads = ThreadsOf(server_->pid());
  ASSERT_GT(idle_threads, 0);
  // Every lookup (the key cache is off) waits for this lock.
  pqxx::connection blocker(db_->superuser_url());
  pqxx::work lock(blocker);
  lock.exec0("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE");

  grpc::CompletionQueue cq;
  struct Call {
    grpc::ClientContext context;
    tnps::v1::SubmitResponseResponse response;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls;
  // Six connections: one may only have 64 calls open.
  std::vector<std::unique_ptr<tnps::v1::IngestService::Stub>> stubs;
  for (int i = 0; i < 6; ++i)
    stubs.push_back(tnps::v1::IngestService::NewStub(server_->NewChannel()));
  for (int i = 0; i < kCalls; ++i) {
    auto call = std::make_unique<Call>();
    call->context.AddMetadata("authorization", "Bearer " + ingest_key_a_);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    tnps::v1::SubmitResponseRequest request;
    *request.mutable_response() = ValidResponse("lookup-" + std::to_string(i));
    auto reader = stubs[i % stubs.size()]->AsyncSubmitResponse(&call->context, request, &cq);
    reader->Finish(&call->response, &call->status, call.get());
    calls.push_back(std::move(call));
  }
  int refused = 0;
  void* tag;
  bool ok;
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(10);
  while (refused < kCalls - kKeyLookupsHeld &&
         cq.AsyncNext(&tag, &ok, deadline) == grpc::CompletionQueue::GOT_EVENT) {
    auto* call = static_cast<Call*>(tag);
    EXPECT_EQ(call->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << call->status.error_message();
    ++refused;
  }
  EXPECT_EQ(refused, kCalls - kKeyLookupsHeld);
  EXPECT_LE(ThreadsOf(server_->pid()), idle_threads + 4) << "idle " << idle_threads;

  lock.abort();
  int stored = 0;
  while (stored < kKeyLookupsHeld && cq.Next(&tag, &ok)) {
    auto* call = static_cast<Call*>(tag);
    EXPECT_TRUE(call->status.ok()) << call->status.error_message();
    ++stored;
  }
  EXPECT_EQ(stored, kKeyLookupsHeld);
  EXPECT_EQ(ResponseCount(), kKeyLookupsHeld);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace tnps::testing
