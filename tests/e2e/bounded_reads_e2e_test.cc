// Reads on the real server are bounded whatever clients do: a fixed number
// run, a fixed number wait, and every call beyond them is answered
// RESOURCE_EXHAUSTED at once, while the server's thread count stays flat;
// and a call's deadline or cancellation stops its database work.
// A lock held on the rollup tables from another session makes every read
// block in its query (the key is verified and cached beforehand), so the
// test controls how long the server's read threads stay busy.
#include <gtest/gtest.h>

#include <fstream>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "tests/e2e/ingest_fixture.h"
#include "tnps/v1/analytics_service.grpc.pb.h"

namespace tnps::testing {
namespace {

constexpr int kReadThreads = 2;
constexpr int kMaxQueued = 3;

constexpr char kLockRollups[] =
    "LOCK TABLE daily_rollups, rollup_agent_days, rollup_agent_weeks, rollup_team_days, "
    "rollup_tenant_days, rollup_changes IN ACCESS EXCLUSIVE MODE";

class BoundedReadsE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--auth_cache_ttl=1h", "--read_threads=" + std::to_string(kReadThreads),
            "--max_queued_reads=" + std::to_string(kMaxQueued),
            "--max_running_reads_per_tenant=" + std::to_string(kReadThreads),
            "--max_queued_reads_per_tenant=" + std::to_string(kMaxQueued)};
  }

  void SetUp() override {
    IngestFixture::SetUp();
    channel_ = server_->NewChannel();
    // Verified and cached now, so that the calls under test only wait in
    // their queries.
    ASSERT_TRUE(GetNps(read_key_a_).ok());
  }

  static tnps::v1::GetNpsRequest January() {
    tnps::v1::GetNpsRequest request;
    *request.mutable_filter()->mutable_start_date() = ProtoDate(absl::CivilDay(2026, 1, 1));
    *request.mutable_filter()->mutable_end_date() = ProtoDate(absl::CivilDay(2026, 1, 31));
    return request;
  }

  grpc::Status GetNps(const std::string& key, grpc::ClientContext* context = nullptr) {
    grpc::ClientContext own;
    if (context == nullptr) context = &own;
    context->AddMetadata("authorization", "Bearer " + key);
    auto stub = tnps::v1::AnalyticsService::NewStub(channel_);
    tnps::v1::GetNpsResponse response;
    return stub->GetNps(context, January(), &response);
  }

  void TearDown() override {
    channel_.reset();
    IngestFixture::TearDown();
  }

  std::shared_ptr<grpc::Channel> channel_;
};

TEST_F(BoundedReadsE2eTest, CallsBeyondTheRunningAndQueuedOnesAreRefusedAtOnce) {
  constexpr int kCalls = 200;
  const int idle_threads = ThreadsOf(server_->pid());
  ASSERT_GT(idle_threads, 0);

  pqxx::connection blocker(db_->superuser_url());
  pqxx::work lock(blocker);
  lock.exec0(kLockRollups);

  auto stub = tnps::v1::AnalyticsService::NewStub(channel_);
  grpc::CompletionQueue cq;
  struct Call {
    grpc::ClientContext context;
    tnps::v1::GetNpsResponse response;
    grpc::Status status;
  };
  std::vector<std::unique_ptr<Call>> calls;
  const tnps::v1::GetNpsRequest request = January();
  for (int i = 0; i < kCalls; ++i) {
    auto call = std::make_unique<Call>();
    call->context.AddMetadata("authorization", "Bearer " + read_key_a_);
    call->context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    auto reader = stub->AsyncGetNps(&call->context, request, &cq);
    reader->Finish(&call->response, &call->status, call.get());
    calls.push_back(std::move(call));
  }
  // The refused calls come back while the lock is still held.
  int refused = 0;
  void* tag;
  bool ok;
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(10);
  while (refused < kCalls - kReadThreads - kMaxQueued &&
         cq.AsyncNext(&tag, &ok, deadline) == grpc::CompletionQueue::GOT_EVENT) {
    auto* call = static_cast<Call*>(tag);
    EXPECT_EQ(call->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << call->status.error_message();
    ++refused;
  }
  EXPECT_EQ(refused, kCalls - kReadThreads - kMaxQueued);
  // 200 calls in flight did not make 200 threads.
  const int busy_threads = ThreadsOf(server_->pid());
  EXPECT_LE(busy_threads, idle_threads + 4) << "idle " << idle_threads;

  lock.abort();  // the running and queued calls go on
  int served = 0;
  while (served < kReadThreads + kMaxQueued && cq.Next(&tag, &ok)) {
    auto* call = static_cast<Call*>(tag);
    EXPECT_TRUE(call->status.ok()) << call->status.error_message();
    ++served;
  }
  EXPECT_EQ(served, kReadThreads + kMaxQueued);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// Statements of the server's database still running (the test's own
// session holding the lock is idle in its transaction).
int64_t RunningStatements(pqxx::connection& conn) {
  pqxx::nontransaction query(conn);
  return query
      .exec1(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
          "AND state = 'active' AND pid <> pg_backend_pid()")[0]
      .as<int64_t>();
}

// Waits up to two seconds for the server's statements to end.
int64_t RunningStatementsAfterSettling(pqxx::connection& conn) {
  for (int i = 0; i < 40 && RunningStatements(conn) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return RunningStatements(conn);
}

TEST_F(BoundedReadsE2eTest, CallDeadlineEndsItsDatabaseWork) {
  pqxx::connection blocker(db_->superuser_url());
  pqxx::work lock(blocker);
  lock.exec0(kLockRollups);
  pqxx::connection observer(db_->superuser_url());

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  const grpc::Status status = GetNps(read_key_a_, &context);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();
  // Without the deadline reaching the database the query would wait for
  // the lock (30 s statement timeout).
  EXPECT_EQ(RunningStatementsAfterSettling(observer), 0);
}

TEST_F(BoundedReadsE2eTest, CancelledCallEndsItsDatabaseWork) {
  pqxx::connection blocker(db_->superuser_url());
  pqxx::work lock(blocker);
  lock.exec0(kLockRollups);
  pqxx::connection observer(db_->superuser_url());

  grpc::ClientContext context;
  std::thread canceller([&] {
    for (int i = 0; i < 100 && RunningStatements(observer) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    context.TryCancel();
  });
  const grpc::Status status = GetNps(read_key_a_, &context);
  canceller.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::CANCELLED) << status.error_message();
  EXPECT_EQ(RunningStatementsAfterSettling(observer), 0);
}

}  // namespace
}  // namespace tnps::testing
