// tnps.v1.ResponseService: stored responses read back, amended, exported,
// erased and excluded from analysis (docs/data-rights.md).
#ifndef TNPS_SERVICES_RESPONSES_RESPONSE_SERVICE_H_
#define TNPS_SERVICES_RESPONSES_RESPONSE_SERVICE_H_

#include <atomic>

#include "absl/time/time.h"
#include "services/common/authenticator.h"
#include "services/common/call_executor.h"
#include "services/common/fair_executor.h"
#include "services/common/refusal_delay.h"
#include "services/common/stream_sweeper.h"
#include "storage/response_records.h"
#include "tnps/v1/response_service.grpc.pb.h"

namespace tnps::services {

// Every RPC is registered raw, as in AnalyticsService.
using ResponseServiceBase = tnps::v1::ResponseService::WithRawCallbackMethod_GetResponse<
    tnps::v1::ResponseService::WithRawCallbackMethod_ListResponses<
        tnps::v1::ResponseService::WithRawCallbackMethod_ExportResponses<
            tnps::v1::ResponseService::WithRawCallbackMethod_AmendResponse<
                tnps::v1::ResponseService::WithRawCallbackMethod_EraseResponses<
                    tnps::v1::ResponseService::WithRawCallbackMethod_SetAgentExclusion<
                        tnps::v1::ResponseService::WithRawCallbackMethod_SetResponseExclusion<
                            tnps::v1::ResponseService::WithRawCallbackMethod_ListAgentExclusions<
                                tnps::v1::ResponseService::Service>>>>>>>>;

struct ResponseServiceOptions {
  // ExportResponses calls open at once on this server; beyond, a new one is
  // refused with RESOURCE_EXHAUSTED.
  int max_exports = 4;
  // Responses read per query of an export.
  int export_page_rows = 1000;
  // An export message holds responses up to about this many bytes.
  size_t export_message_bytes = 1 << 20;
  // An export whose client takes no message for this long is ended.
  absl::Duration export_stall_timeout = absl::Minutes(1);
};

class ResponseService final : public ResponseServiceBase {
 public:
  // Unary calls run through `calls`; export pages on `reads` (the same
  // executor, so exports share the read threads fairly with other calls).
  ResponseService(storage::ResponseRecords& records, CallExecutor& calls,
                  Authenticator& authenticator, FairExecutor& reads, RefusalDelay& refusals,
                  ResponseServiceOptions options = {});
  ~ResponseService() override;

  grpc::ServerUnaryReactor* GetResponse(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListResponses(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* ExportResponses(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* AmendResponse(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* EraseResponses(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SetAgentExclusion(grpc::CallbackServerContext* context,
                                              const grpc::ByteBuffer* request,
                                              grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* SetResponseExclusion(grpc::CallbackServerContext* context,
                                                 const grpc::ByteBuffer* request,
                                                 grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListAgentExclusions(grpc::CallbackServerContext* context,
                                                const grpc::ByteBuffer* request,
                                                grpc::ByteBuffer* response) override;

 private:
  class ExportReactor;

  grpc::Status HandleGetResponse(const storage::Principal& principal,
                                 const tnps::v1::GetResponseRequest* request,
                                 tnps::v1::GetResponseResponse* response);
  grpc::Status HandleListResponses(const storage::Principal& principal,
                                   const tnps::v1::ListResponsesRequest* request,
                                   tnps::v1::ListResponsesResponse* response);
  grpc::Status HandleAmendResponse(const storage::Principal& principal,
                                   const tnps::v1::AmendResponseRequest* request,
                                   tnps::v1::AmendResponseResponse* response);
  grpc::Status HandleEraseResponses(const storage::Principal& principal,
                                    const tnps::v1::EraseResponsesRequest* request,
                                    tnps::v1::EraseResponsesResponse* response);
  grpc::Status HandleSetAgentExclusion(const storage::Principal& principal,
                                       const tnps::v1::SetAgentExclusionRequest* request,
                                       tnps::v1::SetAgentExclusionResponse* response);
  grpc::Status HandleSetResponseExclusion(const storage::Principal& principal,
                                          const tnps::v1::SetResponseExclusionRequest* request,
                                          tnps::v1::SetResponseExclusionResponse* response);
  grpc::Status HandleListAgentExclusions(const storage::Principal& principal,
                                         const tnps::v1::ListAgentExclusionsRequest* request,
                                         tnps::v1::ListAgentExclusionsResponse* response);

  storage::ResponseRecords& records_;
  CallExecutor& calls_;
  Authenticator& authenticator_;
  FairExecutor& reads_;
  RefusalDelay& refusals_;
  const ResponseServiceOptions options_;
  std::atomic<int> open_exports_{0};
  // Ends exports whose client stopped taking messages.
  StreamSweeper stalls_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_RESPONSES_RESPONSE_SERVICE_H_
