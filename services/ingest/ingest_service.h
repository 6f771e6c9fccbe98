// tnps.v1.IngestService: CRM integrations submit survey responses, one, a
// batch, or a bulk stream. Requests arrive as raw bytes so that a bad item
// (even invalid UTF-8) is reported by field instead of failing the call.
#ifndef TNPS_SERVICES_INGEST_INGEST_SERVICE_H_
#define TNPS_SERVICES_INGEST_INGEST_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "services/common/authenticator.h"
#include "services/common/rate_limiter.h"
#include "services/common/refusal_delay.h"
#include "services/common/stream_sweeper.h"
#include "storage/response_writer.h"
#include "tnps/v1/ingest_service.grpc.pb.h"

namespace tnps::services {

using IngestServiceBase = tnps::v1::IngestService::WithRawCallbackMethod_SubmitResponse<
    tnps::v1::IngestService::WithRawCallbackMethod_SubmitResponses<
        tnps::v1::IngestService::WithRawCallbackMethod_StreamResponses<
            tnps::v1::IngestService::Service>>>;

struct IngestServiceOptions {
  // StreamResponses commits a batch once it holds this many valid responses.
  size_t stream_batch_rows = 1000;
  // Batches of one stream being committed at once; reading pauses beyond it.
  int stream_batches_in_flight = 2;
  // A stream whose client sends nothing for this long (while the server
  // waits for it) is ended with DEADLINE_EXCEEDED. Batches committed before
  // stay stored; responses received since the last committed batch are not
  // stored, never part of one.
  absl::Duration stream_idle_timeout = absl::Minutes(1);
  // The clock that future timestamps are judged against.
  std::function<absl::Time()> now = [] { return absl::Now(); };
  // Hears how many responses of a call were rejected as invalid (metrics).
  std::function<void(int64_t)> on_rejected = [](int64_t) {};
};

class IngestService final : public IngestServiceBase {
 public:
  // `limiter` admits the responses of each call under its key's row rate.
  // Refusals (no valid key, over the rate, a full queue) go out through
  // `refusals`.
  IngestService(Authenticator& authenticator, storage::ResponseWriter& writer, RateLimiter& limiter,
                RefusalDelay& refusals, IngestServiceOptions options = {});

  grpc::ServerUnaryReactor* SubmitResponse(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SubmitResponses(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerReadReactor<grpc::ByteBuffer>* StreamResponses(grpc::CallbackServerContext* context,
                                                             grpc::ByteBuffer* response) override;

 private:
  class StreamReactor;

  // The parts of the unary RPCs after the caller is known.
  void SubmitAuthenticated(const storage::Principal& principal, const grpc::ByteBuffer& request,
                           grpc::ByteBuffer* response, grpc::ServerUnaryReactor* reactor);
  void SubmitAllAuthenticated(const storage::Principal& principal, const grpc::ByteBuffer& request,
                              grpc::ByteBuffer* response, grpc::ServerUnaryReactor* reactor);

  Authenticator& authenticator_;
  storage::ResponseWriter& writer_;
  RateLimiter& limiter_;
  RefusalDelay& refusals_;
  const IngestServiceOptions options_;
  // Streams' clock: idle timeouts and resumption after a rate limit.
  StreamSweeper streams_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_INGEST_INGEST_SERVICE_H_
