// tnps.v1.AnalyticsService: NPS, trends, breakdowns and comparisons for BI
// dashboards, from the exact daily rollups.
#ifndef TNPS_SERVICES_ANALYTICS_ANALYTICS_SERVICE_H_
#define TNPS_SERVICES_ANALYTICS_ANALYTICS_SERVICE_H_

#include "services/common/authenticator.h"
#include "services/common/call_executor.h"
#include "storage/analytics_store.h"
#include "storage/attribute_dimensions.h"
#include "tnps/v1/analytics_service.grpc.pb.h"

namespace tnps::services {

// Every RPC is registered raw: its request is decoded after the key is
// verified, by CallExecutor::RunRaw, so that bytes that are not the
// request are INVALID_ARGUMENT rather than gRPC's own answer.
using AnalyticsServiceBase = tnps::v1::AnalyticsService::WithRawCallbackMethod_GetNps<
    tnps::v1::AnalyticsService::WithRawCallbackMethod_GetNpsTrend<
        tnps::v1::AnalyticsService::WithRawCallbackMethod_GetNpsBreakdown<
            tnps::v1::AnalyticsService::WithRawCallbackMethod_CompareNps<
                tnps::v1::AnalyticsService::WithRawCallbackMethod_DeclareAttributeDimension<
                    tnps::v1::AnalyticsService::WithRawCallbackMethod_ListAttributeDimensions<
                        tnps::v1::AnalyticsService::WithRawCallbackMethod_RemoveAttributeDimension<
                            tnps::v1::AnalyticsService::Service>>>>>>>;

class AnalyticsService final : public AnalyticsServiceBase {
 public:
  AnalyticsService(storage::AnalyticsStore& store, storage::AttributeDimensions& dimensions,
                   CallExecutor& executor);

  grpc::ServerUnaryReactor* GetNps(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetNpsTrend(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetNpsBreakdown(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CompareNps(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request,
                                       grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeclareAttributeDimension(grpc::CallbackServerContext* context,
                                                      const grpc::ByteBuffer* request,
                                                      grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListAttributeDimensions(grpc::CallbackServerContext* context,
                                                    const grpc::ByteBuffer* request,
                                                    grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* RemoveAttributeDimension(grpc::CallbackServerContext* context,
                                                     const grpc::ByteBuffer* request,
                                                     grpc::ByteBuffer* response) override;

 private:
  // The handlers, run on the call executor (services/common/call_executor.h).
  grpc::Status HandleGetNps(const storage::Principal& principal,
                            const tnps::v1::GetNpsRequest* request,
                            tnps::v1::GetNpsResponse* response);
  grpc::Status HandleGetNpsTrend(const storage::Principal& principal,
                                 const tnps::v1::GetNpsTrendRequest* request,
                                 tnps::v1::GetNpsTrendResponse* response);
  grpc::Status HandleGetNpsBreakdown(const storage::Principal& principal,
                                     const tnps::v1::GetNpsBreakdownRequest* request,
                                     tnps::v1::GetNpsBreakdownResponse* response);
  grpc::Status HandleCompareNps(const storage::Principal& principal,
                                const tnps::v1::CompareNpsRequest* request,
                                tnps::v1::CompareNpsResponse* response);
  grpc::Status HandleDeclareAttributeDimension(
      const storage::Principal& principal,
      const tnps::v1::DeclareAttributeDimensionRequest* request,
      tnps::v1::DeclareAttributeDimensionResponse* response);

  storage::AnalyticsStore& store_;
  storage::AttributeDimensions& dimensions_;
  CallExecutor& executor_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ANALYTICS_ANALYTICS_SERVICE_H_
