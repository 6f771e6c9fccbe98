// tnps.v1.IngestService: CRM integrations submit survey responses, one, a
// batch, or a bulk stream. Requests arrive as raw bytes so that a bad item
// (even invalid UTF-8) is reported by field instead of failing the call.
#ifndef TNPS_SERVICES_INGEST_INGEST_SERVICE_H_
#define TNPS_SERVICES_INGEST_INGEST_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "services/common/authenticator.h"
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
  // The clock that future timestamps are judged against.
  std::function<absl::Time()> now = [] { return absl::Now(); };
};

class IngestService final : public IngestServiceBase {
 public:
  IngestService(Authenticator& authenticator, storage::ResponseWriter& writer,
                IngestServiceOptions options = {});

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

  Authenticator& authenticator_;
  storage::ResponseWriter& writer_;
  const IngestServiceOptions options_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_INGEST_INGEST_SERVICE_H_
