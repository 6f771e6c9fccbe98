// The HA benchmark's driver (bench/run_ha_bench.sh): CRM-like ingest,
// SubmitResponse calls with a fixed number in flight, against one server
// address (a tnps-server or HAProxy's gRPC port), for a new tenant each
// run; prints throughput and latency percentiles. With
// --analytics_clients, that many clients run heavy estimates in a closed
// loop meanwhile (a 730-day breakdown by agent, a 730-day daily trend
// with 28-day windows, a 730-day comparison), as BI dashboards would,
// and their calls are reported too.
//
// --load_analytics_tenant=N instead creates the tenant those clients
// read: N synthetic responses (bench/synthetic_tenant.h), its read key
// written to --analytics_key_file.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_tenant.h"
#include "bench/synthetic_tenant.h"
#include "bench/unary_load.h"
#include "storage/api_key_store.h"
#include "storage/connection_pool.h"
#include "tnps/v1/analytics_service.grpc.pb.h"

ABSL_FLAG(std::string, database_url_file, "",
          "file holding the schema owner's URL (tenants are created with it)");
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "where to send the calls");
ABSL_FLAG(std::string, label, "ingest", "the run's name in the output");
ABSL_FLAG(int, requests, 40000, "SubmitResponse calls");
ABSL_FLAG(int, in_flight, 32, "SubmitResponse calls in flight at once");
ABSL_FLAG(int, analytics_clients, 0, "clients running estimates in a closed loop meanwhile");
ABSL_FLAG(std::string, analytics_server, "",
          "where the estimates go (another tnps-server, so that the one taking the ingest "
          "shares no threads with them); empty: --server");
ABSL_FLAG(std::string, analytics_key_file, "", "the read key of the analytics tenant");
ABSL_FLAG(int64_t, load_analytics_tenant, 0,
          "create the analytics tenant with this many responses instead of running");

namespace {

using tnps::bench::Percentiles;
using tnps::bench::Summarize;

std::shared_ptr<grpc::Channel> NewChannel(int n, const std::string& server) {
  grpc::ChannelArguments args;
  // A connection of its own for each estimates client.
  args.SetInt("bench.channel", n);
  return grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<grpc::ClientContext> Context(const std::string& key) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Bearer " + key);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

int LoadAnalyticsTenant(tnps::storage::ConnectionPool& pool, const std::string& url) {
  tnps::bench::BenchTenant tenant = tnps::bench::NewBenchTenant(pool, "bench-ha-analytics");
  tnps::storage::ApiKeyStore keys(pool);
  absl::StatusOr<tnps::storage::IssuedKey> read = keys.Issue(tenant.name, tnps::core::Role::kRead);
  if (!read.ok()) {
    std::fprintf(stderr, "cannot issue a read key: %s\n", read.status().ToString().c_str());
    return 1;
  }
  tnps::bench::LoadSyntheticTenant(url, tenant.tenant_id,
                                   absl::GetFlag(FLAGS_load_analytics_tenant), {});
  std::ofstream(absl::GetFlag(FLAGS_analytics_key_file)) << read->key << "\n";
  return 0;
}

// The estimates a BI dashboard refreshes, in turn, until `stop`.
void RunEstimates(const std::string& key, int client, const std::atomic<bool>& stop,
                  std::vector<double>& latencies_ms, std::atomic<int>& failures) {
  const std::string server = absl::GetFlag(FLAGS_analytics_server).empty()
                                 ? absl::GetFlag(FLAGS_server)
                                 : absl::GetFlag(FLAGS_analytics_server);
  auto stub = tnps::v1::AnalyticsService::NewStub(NewChannel(5000 + client, server));
  tnps::v1::NpsFilter two_years;
  two_years.mutable_start_date()->set_year(2024);
  two_years.mutable_start_date()->set_month(11);
  two_years.mutable_start_date()->set_day(1);
  two_years.mutable_end_date()->set_year(2026);
  two_years.mutable_end_date()->set_month(10);
  two_years.mutable_end_date()->set_day(31);
  for (int i = client; !stop.load(); ++i) {
    const absl::Time sent = absl::Now();
    grpc::Status status;
    switch (i % 3) {
      case 0: {
        tnps::v1::GetNpsBreakdownRequest request;
        *request.mutable_filter() = two_years;
        request.set_dimension(tnps::v1::DIMENSION_AGENT);
        request.set_page_size(1000);
        tnps::v1::GetNpsBreakdownResponse response;
        status = stub->GetNpsBreakdown(Context(key).get(), request, &response);
        break;
      }
      case 1: {
        tnps::v1::GetNpsTrendRequest request;
        *request.mutable_filter() = two_years;
        request.set_bucket(tnps::v1::BUCKET_DAY);
        request.set_rolling_window_days(28);
        tnps::v1::GetNpsTrendResponse response;
        status = stub->GetNpsTrend(Context(key).get(), request, &response);
        break;
      }
      default: {
        tnps::v1::CompareNpsRequest request;
        *request.mutable_baseline() = two_years;
        *request.mutable_comparison() = two_years;
        request.mutable_comparison()->add_team_ids("team-7");
        tnps::v1::CompareNpsResponse response;
        status = stub->CompareNps(Context(key).get(), request, &response);
        break;
      }
    }
    if (!status.ok()) {
      if (failures++ == 0) {
        std::fprintf(stderr, "estimate failed: %s\n", status.error_message().c_str());
      }
      continue;
    }
    latencies_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - sent));
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  std::string url;
  std::getline(std::ifstream(absl::GetFlag(FLAGS_database_url_file)), url);
  if (url.empty()) {
    std::fprintf(stderr, "no URL in --database_url_file\n");
    return 1;
  }
  tnps::storage::ConnectionPool pool({.database_url = url, .size = 2});
  if (absl::GetFlag(FLAGS_load_analytics_tenant) > 0) return LoadAnalyticsTenant(pool, url);

  const int requests = absl::GetFlag(FLAGS_requests);
  const int in_flight = absl::GetFlag(FLAGS_in_flight);
  tnps::bench::BenchTenant tenant = tnps::bench::NewBenchTenant(pool, "bench-ha");
  std::vector<tnps::v1::SubmitResponseRequest> data(requests);
  for (int i = 0; i < requests; ++i) {
    *data[i].mutable_response() = tnps::bench::MakeBenchRow("ha", i);
  }

  // Estimates meanwhile.
  std::string read_key;
  const int analytics_clients = absl::GetFlag(FLAGS_analytics_clients);
  if (analytics_clients > 0) {
    std::ifstream(absl::GetFlag(FLAGS_analytics_key_file)) >> read_key;
    if (read_key.empty()) {
      std::fprintf(stderr, "no read key in --analytics_key_file\n");
      return 1;
    }
  }
  std::atomic<bool> stop{false};
  std::atomic<int> estimate_failures{0};
  std::vector<std::vector<double>> estimate_ms(analytics_clients);
  std::vector<std::thread> estimators;
  for (int c = 0; c < analytics_clients; ++c) {
    estimators.emplace_back(
        [&, c] { RunEstimates(read_key, c, stop, estimate_ms[c], estimate_failures); });
  }

  tnps::bench::UnaryLoad load = tnps::bench::RunUnaryLoad(
      absl::GetFlag(FLAGS_server), tenant.ingest_key, data, in_flight, /*channel_base=*/0);
  const absl::Duration elapsed = load.elapsed;
  stop = true;
  for (auto& t : estimators) t.join();

  const int64_t acknowledged = static_cast<int64_t>(load.latencies_ms.size());
  const Percentiles ingest = Summarize(load.latencies_ms);
  std::printf("%-44s %7.0f responses/s  p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  (%d failed)\n",
              absl::GetFlag(FLAGS_label).c_str(), acknowledged / absl::ToDoubleSeconds(elapsed),
              ingest.p50, ingest.p99, ingest.max, load.failures);
  if (analytics_clients > 0) {
    std::vector<double> all;
    for (const auto& v : estimate_ms) all.insert(all.end(), v.begin(), v.end());
    const size_t calls = all.size();
    const Percentiles estimates = Summarize(all);
    std::printf("%-44s %7.1f calls/s      p50 %6.2f ms  p99 %6.2f ms  (%d failed)\n",
                absl::StrCat("  estimates (", analytics_clients, " clients)").c_str(),
                calls / absl::ToDoubleSeconds(elapsed), estimates.p50, estimates.p99,
                estimate_failures.load());
  }
  std::fflush(stdout);
  return load.failures > 0 || estimate_failures.load() > 0 ? 1 : 0;
}
