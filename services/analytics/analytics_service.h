// tnps.v1.AnalyticsService: NPS, trends, breakdowns and comparisons for BI
// dashboards, from the exact daily rollups.
#ifndef TNPS_SERVICES_ANALYTICS_ANALYTICS_SERVICE_H_
#define TNPS_SERVICES_ANALYTICS_ANALYTICS_SERVICE_H_

#include "services/common/authenticator.h"
#include "storage/analytics_store.h"
#include "tnps/v1/analytics_service.grpc.pb.h"

namespace tnps::services {

class AnalyticsService final : public tnps::v1::AnalyticsService::Service {
 public:
  AnalyticsService(Authenticator& authenticator, storage::AnalyticsStore& store);

  grpc::Status GetNps(grpc::ServerContext* context, const tnps::v1::GetNpsRequest* request,
                      tnps::v1::GetNpsResponse* response) override;
  grpc::Status GetNpsTrend(grpc::ServerContext* context,
                           const tnps::v1::GetNpsTrendRequest* request,
                           tnps::v1::GetNpsTrendResponse* response) override;
  grpc::Status GetNpsBreakdown(grpc::ServerContext* context,
                               const tnps::v1::GetNpsBreakdownRequest* request,
                               tnps::v1::GetNpsBreakdownResponse* response) override;
  grpc::Status CompareNps(grpc::ServerContext* context, const tnps::v1::CompareNpsRequest* request,
                          tnps::v1::CompareNpsResponse* response) override;

 private:
  Authenticator& authenticator_;
  storage::AnalyticsStore& store_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_ANALYTICS_ANALYTICS_SERVICE_H_
