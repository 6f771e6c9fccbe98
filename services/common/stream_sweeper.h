// Looks at every open client stream every `period` and lets each act on
// time passing: end itself when its client has been silent too long, or
// resume reading once its rate limit allows. One thread serves all streams,
// so this costs no timer per call. A stream is kept alive (by its reference
// count) while the sweeper looks at it, so it may finish itself from the
// sweep.
#ifndef TNPS_SERVICES_COMMON_STREAM_SWEEPER_H_
#define TNPS_SERVICES_COMMON_STREAM_SWEEPER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tnps::services {

class StreamSweeper {
 public:
  class Stream {
   public:
    virtual void Ref() = 0;
    virtual void Unref() = 0;
    // Called every period, without the sweeper's lock.
    virtual void Sweep(absl::Time now) = 0;

   protected:
    ~Stream() = default;
  };

  explicit StreamSweeper(absl::Duration period);
  // Stops the sweeping thread; every stream must have been removed.
  ~StreamSweeper();
  StreamSweeper(const StreamSweeper&) = delete;
  StreamSweeper& operator=(const StreamSweeper&) = delete;

  void Add(Stream* stream);
  void Remove(Stream* stream);

 private:
  void SweepLoop();

  const absl::Duration period_;
  absl::Mutex mu_;
  absl::flat_hash_set<Stream*> streams_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_STREAM_SWEEPER_H_
