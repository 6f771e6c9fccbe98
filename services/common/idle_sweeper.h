// Looks at every open client stream a few times a second and lets each one
// decide whether its client has been silent too long. One thread serves all
// streams, so an idle timeout costs no timer per call. A stream is kept
// alive (by its reference count) while the sweeper looks at it, so it may
// finish itself from the check.
#ifndef TNPS_SERVICES_COMMON_IDLE_SWEEPER_H_
#define TNPS_SERVICES_COMMON_IDLE_SWEEPER_H_

#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tnps::services {

class IdleSweeper {
 public:
  class Stream {
   public:
    virtual void Ref() = 0;
    virtual void Unref() = 0;
    // Ends the stream if its client has been silent since before
    // `silent_since`; called without the sweeper's lock.
    virtual void EndIfSilentSince(absl::Time silent_since) = 0;

   protected:
    ~Stream() = default;
  };

  // Streams whose client sent nothing for `idle_timeout` are asked to end.
  explicit IdleSweeper(absl::Duration idle_timeout);
  // Stops the sweeping thread; every stream must have been removed.
  ~IdleSweeper();
  IdleSweeper(const IdleSweeper&) = delete;
  IdleSweeper& operator=(const IdleSweeper&) = delete;

  void Add(Stream* stream);
  void Remove(Stream* stream);

 private:
  void SweepLoop();

  const absl::Duration idle_timeout_;
  absl::Mutex mu_;
  absl::flat_hash_set<Stream*> streams_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_IDLE_SWEEPER_H_
