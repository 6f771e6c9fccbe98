#include "services/common/fair_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"

namespace tnps::services {
namespace {

// Jobs that hold their thread until released.
class HeldJobs {
 public:
  std::function<void()> Job(std::atomic<int>& started) {
    return [this, &started] {
      ++started;
      release_.WaitForNotification();
    };
  }
  void Release() { release_.Notify(); }

 private:
  absl::Notification release_;
};

// Polls until `counter` reaches `want` (the pool threads start jobs
// asynchronously); the test's assertion then checks the final value.
void WaitFor(const std::atomic<int>& counter, int want) {
  for (int i = 0; i < 2000 && counter.load() < want; ++i) absl::SleepFor(absl::Milliseconds(1));
}

TEST(FairExecutor, OneTenantCannotTakeEveryThread) {
  FairExecutor executor(
      {.threads = 4, .max_queued = 64, .max_running_per_tenant = 2, .max_queued_per_tenant = 16});
  HeldJobs held;
  std::atomic<int> a_started = 0, b_started = 0;
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(executor.TrySubmit(1, held.Job(a_started)).ok());
  ASSERT_TRUE(executor.TrySubmit(2, held.Job(b_started)).ok());
  WaitFor(b_started, 1);
  // Tenant 2's job started although tenant 1 queued ten before it.
  EXPECT_EQ(b_started.load(), 1);
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(a_started.load(), 2);
  held.Release();
}

TEST(FairExecutor, TenantsShareOfTheQueueIsBounded) {
  FairExecutor executor(
      {.threads = 1, .max_queued = 64, .max_running_per_tenant = 1, .max_queued_per_tenant = 3});
  HeldJobs held;
  std::atomic<int> started = 0;
  ASSERT_TRUE(executor.TrySubmit(1, held.Job(started)).ok());
  WaitFor(started, 1);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(executor.TrySubmit(1, held.Job(started)).ok()) << i;
  const absl::Status refused = executor.TrySubmit(1, held.Job(started));
  EXPECT_TRUE(absl::IsResourceExhausted(refused)) << refused;
  // Another tenant still gets in line.
  EXPECT_TRUE(executor.TrySubmit(2, held.Job(started)).ok());
  held.Release();
}

TEST(FairExecutor, WholeQueueIsBounded) {
  FairExecutor executor(
      {.threads = 1, .max_queued = 2, .max_running_per_tenant = 1, .max_queued_per_tenant = 16});
  HeldJobs held;
  std::atomic<int> started = 0;
  ASSERT_TRUE(executor.TrySubmit(1, held.Job(started)).ok());
  WaitFor(started, 1);
  EXPECT_TRUE(executor.TrySubmit(2, held.Job(started)).ok());
  EXPECT_TRUE(executor.TrySubmit(3, held.Job(started)).ok());
  EXPECT_TRUE(absl::IsResourceExhausted(executor.TrySubmit(4, held.Job(started))));
  held.Release();
}

TEST(FairExecutor, TenantsAreServedInTurn) {
  FairExecutor executor(
      {.threads = 1, .max_queued = 64, .max_running_per_tenant = 1, .max_queued_per_tenant = 16});
  HeldJobs gate;
  std::atomic<int> gate_started = 0;
  ASSERT_TRUE(executor.TrySubmit(0, gate.Job(gate_started)).ok());
  WaitFor(gate_started, 1);
  std::vector<int> order;  // written by the one pool thread only
  std::atomic<int> done = 0;
  for (int tenant : {1, 2}) {
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(executor
                      .TrySubmit(tenant,
                                 [&order, &done, tenant] {
                                   order.push_back(tenant);
                                   ++done;
                                 })
                      .ok());
    }
  }
  gate.Release();
  WaitFor(done, 6);
  ASSERT_EQ(done.load(), 6);
  EXPECT_EQ(order, (std::vector<int>{1, 2, 1, 2, 1, 2}));
}

}  // namespace
}  // namespace tnps::services
