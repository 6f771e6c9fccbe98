#include "storage/response_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tnps::storage {

ResponseWriter::ResponseWriter(ResponseStore& store, ResponseWriterOptions options)
    : store_(store), options_(options) {
  for (int i = 0; i < options_.writer_threads; ++i) threads_.emplace_back([this] { WriterLoop(); });
}

ResponseWriter::~ResponseWriter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& t : threads_) t.join();
}

absl::Status ResponseWriter::Submit(std::vector<TenantResponse> items, Done done) {
  absl::MutexLock lock(&mu_);
  if (!queue_.empty() && queued_rows_ + items.size() > options_.max_queued_rows) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "the server has ", queued_rows_, " responses waiting to be stored; retry with backoff"));
  }
  queued_rows_ += items.size();
  queue_.push_back({std::move(items), std::move(done)});
  return absl::OkStatus();
}

size_t ResponseWriter::queued_rows() {
  absl::MutexLock lock(&mu_);
  return queued_rows_;
}

absl::StatusOr<std::vector<WriteResult>> ResponseWriter::Write(
    const std::vector<TenantResponse>& items, size_t submissions) {
  const absl::Time start = absl::Now();
  absl::StatusOr<std::vector<WriteResult>> results = store_.Write(items);
  if (options_.on_commit) {
    CommitStats stats{.ok = results.ok(),
                      .submissions = submissions,
                      .rows = items.size(),
                      .duration = absl::Now() - start};
    if (results.ok()) {
      for (const WriteResult& r : *results) ++stats.outcomes[static_cast<int>(r.outcome)];
    }
    options_.on_commit(stats);
  }
  return results;
}

void ResponseWriter::WriterLoop() {
  while (true) {
    std::vector<Submission> group;
    size_t rows = 0;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return !queue_.empty() || stopping_; };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and nothing left to write
      while (!queue_.empty() && (group.empty() || rows + queue_.front().items.size() <=
                                                      options_.max_rows_per_transaction)) {
        rows += queue_.front().items.size();
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      queued_rows_ -= rows;
    }
    std::vector<TenantResponse> all;
    all.reserve(rows);
    for (const Submission& s : group) all.insert(all.end(), s.items.begin(), s.items.end());
    absl::StatusOr<std::vector<WriteResult>> results = Write(all, group.size());
    if (!results.ok() && group.size() > 1 && !absl::IsUnavailable(results.status())) {
      // Something in the group failed for its own reason: write each
      // submission alone so that one caller's failure is not everyone's.
      for (Submission& s : group) {
        absl::StatusOr<std::vector<WriteResult>> alone = Write(s.items, 1);
        if (alone.ok()) rows_written_ += static_cast<int64_t>(s.items.size());
        s.done(std::move(alone));
      }
      continue;
    }
    if (results.ok()) rows_written_ += static_cast<int64_t>(all.size());
    size_t offset = 0;
    for (Submission& s : group) {
      if (!results.ok()) {
        s.done(results.status());
        continue;
      }
      s.done(std::vector<WriteResult>(results->begin() + offset,
                                      results->begin() + offset + s.items.size()));
      offset += s.items.size();
    }
  }
}

}  // namespace tnps::storage
