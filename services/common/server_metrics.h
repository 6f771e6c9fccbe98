// Prometheus metrics of one tnps-server (--metrics_listen): calls by
// service, method and code with their latency; ingest by outcome; the group
// commit's batch sizes and times; queue depths; database pools; the
// compactor's lag and rounds; database health; the process's memory,
// threads, CPU and file descriptors. docs/operations.md lists them all.
//
// No metric has a tenant, key or other client-chosen label: a series
// count that callers could grow would be a resource they could exhaust, and
// tenants' volumes are not the operator's dashboards' business. Methods a
// client names that the server does not serve share the method label
// "unknown".
#ifndef TNPS_SERVICES_COMMON_SERVER_METRICS_H_
#define TNPS_SERVICES_COMMON_SERVER_METRICS_H_

#include <grpcpp/support/status.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"
#include "storage/response_writer.h"
#include "storage/rollup_compactor.h"

namespace prometheus {
class Counter;
class Exposer;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace tnps::services {

class ScrapeTimeMetrics;

class ServerMetrics {
 public:
  // `services`: the full names of the gRPC services served
  // ("tnps.v1.IngestService"); each of their methods gets its series.
  explicit ServerMetrics(const std::vector<std::string>& services);
  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // One finished call. `method` as gRPC names it: "/package.Service/Method".
  void ObserveCall(absl::string_view method, grpc::StatusCode code, absl::Duration latency);
  // One group-commit transaction (storage::ResponseWriterOptions::on_commit).
  void ObserveCommit(const storage::CommitStats& commit);
  // Responses an ingest call refused before storage (invalid fields).
  void CountRejected(int64_t responses);
  // One compaction round (storage::CompactorSchedule::on_round).
  void ObserveCompaction(const storage::CompactionRound& round);
  // One database health check.
  void ObserveDatabaseCheck(bool reachable, absl::Duration took);
  // One webhook delivery attempt: "delivered", "failed" (will retry) or
  // "dead" (failed; retries are over).
  void CountAlertAttempt(absl::string_view result);

  // Values read when Prometheus scrapes.
  void WatchPool(std::string name, storage::ConnectionPool& pool);
  void WatchQueue(std::string name, std::string help, std::function<double()> depth);

  // Serves /metrics on `address` (host:port; port 0 picks one), and
  // /healthz: one gauge, `tnps_serving`, 1 while `serving()` says so and 0
  // otherwise, for load balancers that check over HTTP (HAProxy's
  // `http-check expect string "tnps_serving 1"`, deploy/ha/). Returns the
  // port, or INVALID_ARGUMENT / UNAVAILABLE if it cannot listen.
  absl::StatusOr<int> Serve(const std::string& address, std::function<bool()> serving);
  // Stops answering scrapes: call before the pools, queues and executors
  // WatchPool and WatchQueue read are destroyed.
  void StopServing();

 private:
  struct MethodSeries {
    std::string service;
    std::string method;
    prometheus::Histogram* latency = nullptr;
    std::array<std::atomic<prometheus::Counter*>, 17> by_code{};
  };
  MethodSeries& SeriesOf(absl::string_view method);

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ScrapeTimeMetrics> sampled_;
  // /healthz.
  std::shared_ptr<ScrapeTimeMetrics> readiness_;
  prometheus::Family<prometheus::Counter>* calls_;
  prometheus::Family<prometheus::Histogram>* call_seconds_;
  // Built in the constructor, read-only after: lookups take no lock.
  absl::flat_hash_map<std::string, std::unique_ptr<MethodSeries>> methods_;
  std::unique_ptr<MethodSeries> unknown_method_;

  std::array<prometheus::Counter*, 4> stored_by_outcome_{};  // by storage::WriteOutcome
  prometheus::Counter* rejected_;
  prometheus::Histogram* commit_rows_;
  prometheus::Histogram* commit_submissions_;
  prometheus::Histogram* commit_seconds_;
  prometheus::Counter* commit_failures_;
  prometheus::Gauge* compactor_lag_;
  prometheus::Histogram* compactor_round_seconds_;
  prometheus::Counter* compactor_changes_;
  prometheus::Counter* compactor_failures_;
  prometheus::Gauge* compactor_last_success_;
  prometheus::Gauge* database_up_;
  prometheus::Gauge* database_check_seconds_;
  prometheus::Family<prometheus::Counter>* alert_attempts_;

  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace tnps::services

#endif  // TNPS_SERVICES_COMMON_SERVER_METRICS_H_
