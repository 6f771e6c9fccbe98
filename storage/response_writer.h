// Group commit for survey responses: concurrent submissions are gathered
// into shared transactions, so that many small requests cost a few commits
// (and fsyncs) instead of one each.
#ifndef TNPS_STORAGE_RESPONSE_WRITER_H_
#define TNPS_STORAGE_RESPONSE_WRITER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/response_store.h"

namespace tnps::storage {

// One transaction of the group commit, for the server's metrics.
struct CommitStats {
  bool ok = false;
  // Submissions gathered into it and their responses.
  size_t submissions = 0;
  size_t rows = 0;
  absl::Duration duration;
  // What became of the rows (when ok).
  int64_t outcomes[4] = {};  // indexed by WriteOutcome
};

struct ResponseWriterOptions {
  // Transactions in flight at once; each holds a pooled connection.
  int writer_threads = 4;
  // A transaction takes queued submissions until it holds this many rows
  // (a single larger submission still goes whole).
  size_t max_rows_per_transaction = 2000;
  // Rows waiting for a transaction; a submission that would go beyond is
  // refused (RESOURCE_EXHAUSTED), unless the queue is empty.
  size_t max_queued_rows = 50000;
  // Called after every transaction, on the writer thread that ran it.
  std::function<void(const CommitStats&)> on_commit;
};

class ResponseWriter {
 public:
  using Done = std::function<void(absl::StatusOr<std::vector<WriteResult>>)>;

  ResponseWriter(ResponseStore& store, ResponseWriterOptions options);
  // Writes everything already submitted, then stops the writer threads.
  ~ResponseWriter();
  ResponseWriter(const ResponseWriter&) = delete;
  ResponseWriter& operator=(const ResponseWriter&) = delete;

  // Queues `items`; `done` runs on a writer thread once their transaction
  // has committed (one result per item, in order) or failed. `done` is never
  // called from inside Submit. The responses `items` point to must stay
  // alive until `done` runs. RESOURCE_EXHAUSTED, with nothing queued and
  // `done` never called, when the queue holds max_queued_rows already.
  absl::Status Submit(std::vector<TenantResponse> items, Done done);

  // Responses written (stored or found stored already) since the start,
  // for the server's drain log line.
  int64_t rows_written() const { return rows_written_.load(std::memory_order_relaxed); }

  // Responses waiting for a transaction now.
  size_t queued_rows() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Submission {
    std::vector<TenantResponse> items;
    Done done;
  };
  void WriterLoop();
  // Store::Write, timed and reported to on_commit.
  absl::StatusOr<std::vector<WriteResult>> Write(const std::vector<TenantResponse>& items,
                                                 size_t submissions);

  ResponseStore& store_;
  const ResponseWriterOptions options_;
  absl::Mutex mu_;
  std::deque<Submission> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_rows_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int64_t> rows_written_{0};
  std::vector<std::thread> threads_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_RESPONSE_WRITER_H_
