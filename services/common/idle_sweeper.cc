#include "services/common/idle_sweeper.h"

#include <algorithm>
#include <vector>

#include "absl/time/clock.h"

namespace tnps::services {

IdleSweeper::IdleSweeper(absl::Duration idle_timeout)
    : idle_timeout_(idle_timeout), thread_([this] { SweepLoop(); }) {}

IdleSweeper::~IdleSweeper() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void IdleSweeper::Add(Stream* stream) {
  absl::MutexLock lock(&mu_);
  streams_.insert(stream);
}

void IdleSweeper::Remove(Stream* stream) {
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
}

void IdleSweeper::SweepLoop() {
  // A stream ends at most a quarter of the timeout (and at most a second)
  // after its limit.
  const absl::Duration period =
      std::clamp(idle_timeout_ / 4, absl::Milliseconds(10), absl::Seconds(1));
  while (true) {
    std::vector<Stream*> streams;
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), period)) return;
      streams.reserve(streams_.size());
      for (Stream* stream : streams_) {
        stream->Ref();
        streams.push_back(stream);
      }
    }
    const absl::Time silent_since = absl::Now() - idle_timeout_;
    for (Stream* stream : streams) {
      stream->EndIfSilentSince(silent_since);
      stream->Unref();
    }
  }
}

}  // namespace tnps::services
