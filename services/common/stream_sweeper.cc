#include "services/common/stream_sweeper.h"

#include <vector>

#include "absl/time/clock.h"

namespace tnps::services {

StreamSweeper::StreamSweeper(absl::Duration period)
    : period_(period), thread_([this] { SweepLoop(); }) {}

StreamSweeper::~StreamSweeper() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void StreamSweeper::Add(Stream* stream) {
  absl::MutexLock lock(&mu_);
  streams_.insert(stream);
}

void StreamSweeper::Remove(Stream* stream) {
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
}

void StreamSweeper::SweepLoop() {
  while (true) {
    std::vector<Stream*> streams;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), period_)) return;
      streams.reserve(streams_.size());
      for (Stream* stream : streams_) {
        stream->Ref();
        streams.push_back(stream);
      }
    }
    const absl::Time now = absl::Now();
    for (Stream* stream : streams) {
      stream->Sweep(now);
      stream->Unref();
    }
  }
}

}  // namespace tnps::services
