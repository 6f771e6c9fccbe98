// Ingest benchmark: drives a running tnps-server over its real gRPC API and
// compares it with raw COPY into the same table, in one run on one machine.
// bench/run_ingest_bench.sh sets up the cluster and server and adds pgbench.
//
//   ingest_bench --database_url=... --server=127.0.0.1:50051 --rows=200000
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_tenant.h"
#include "bench/unary_load.h"
#include "storage/connection_pool.h"
#include "tnps/v1/ingest_service.grpc.pb.h"

ABSL_FLAG(std::string, database_url, "", "the server's database (tenants are created in it)");
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tnps-server address");
ABSL_FLAG(int, rows, 200000, "rows for the COPY, stream and batch phases");
ABSL_FLAG(int, unary_requests, 60000, "SubmitResponse calls in the unary phase");
ABSL_FLAG(int, unary_in_flight, 64, "concurrent SubmitResponse calls");
ABSL_FLAG(int, batch_clients, 4, "concurrent SubmitResponses clients");
ABSL_FLAG(std::string, alert_url, "",
          "subscribe this URL, paused, to a third of every phase's rows: ingest then writes an "
          "alert event for each (bench/run_alert_bench.sh)");
ABSL_FLAG(bool, unary_only, false,
          "run the SubmitResponse phase alone (bench/run_data_rights_bench.sh times ingest while "
          "retention works)");

namespace {

// Every phase's tenant: unlimited, and with --alert_url a paused
// subscription matching a third of the rows, so that ingest writes an
// outbox event for each of them (the cost measured; no delivery runs).
tnps::bench::BenchTenant NewTenant(tnps::storage::ConnectionPool& pool, const std::string& name) {
  tnps::bench::BenchTenant tenant = tnps::bench::NewBenchTenant(pool, name);
  if (!absl::GetFlag(FLAGS_alert_url).empty()) {
    tnps::bench::SubscribeToAThird(pool, tenant.tenant_id, absl::GetFlag(FLAGS_alert_url), true);
  }
  return tenant;
}

void Report(const char* name, int64_t rows, absl::Duration elapsed) {
  std::printf("%-34s %9lld rows in %7.2f s = %9.0f rows/s\n", name, static_cast<long long>(rows),
              absl::ToDoubleSeconds(elapsed), rows / absl::ToDoubleSeconds(elapsed));
}

double CopyPhase(const std::string& url, int rows) {
  tnps::storage::ConnectionPool pool({.database_url = url, .size = 1});
  tnps::bench::BenchTenant phase = NewTenant(pool, "bench-copy");
  pqxx::connection conn(url);
  int64_t tenant_id;
  {
    pqxx::work txn(conn);
    tenant_id = txn.exec_params1("SELECT tenant_id FROM tenants WHERE name = $1", phase.name)[0]
                    .as<int64_t>();
    txn.exec_params0(
        "INSERT INTO agents (tenant_id, agent_id, team_id) SELECT $1, 'agent-' || a, 'team-' || "
        "(a % 50) FROM generate_series(0, 999) a",
        tenant_id);
    txn.commit();
  }
  std::vector<tnps::v1::SurveyResponse> data;
  data.reserve(rows);
  for (int i = 0; i < rows; ++i) data.push_back(tnps::bench::MakeBenchRow("copy", i));
  const absl::Time start = absl::Now();
  {
    pqxx::work txn(conn);
    pqxx::stream_to copy(
        txn, "responses",
        std::vector<std::string>{"tenant_id", "external_id", "interaction_id", "agent_id",
                                 "team_id", "channel", "customer_ref", "score", "comment",
                                 "interaction_time", "response_time", "local_day", "attributes"});
    for (const auto& r : data) {
      const absl::Time it = absl::FromUnixSeconds(r.interaction_time().seconds());
      copy << std::make_tuple(
          tenant_id, r.external_id(), r.interaction_id(), r.agent_id(), r.team_id(),
          static_cast<int>(r.channel()), r.customer_ref(), r.score(), r.comment(),
          absl::FormatTime("%Y-%m-%d %H:%M:%S+00", it, absl::UTCTimeZone()),
          absl::FormatTime("%Y-%m-%d %H:%M:%S+00",
                           absl::FromUnixSeconds(r.response_time().seconds()), absl::UTCTimeZone()),
          absl::FormatTime("%Y-%m-%d", it, absl::UTCTimeZone()),
          absl::StrCat("{\"language\":\"de\",\"queue\":\"", r.attributes().at("queue"), "\"}"));
    }
    copy.complete();
    txn.commit();
  }
  const absl::Duration elapsed = absl::Now() - start;
  Report("raw COPY into responses (ceiling)", rows, elapsed);
  return rows / absl::ToDoubleSeconds(elapsed);
}

std::unique_ptr<tnps::v1::IngestService::Stub> NewStub() {
  grpc::ChannelArguments args;
  static std::atomic<int> n{0};
  args.SetInt("bench.channel", n++);
  return tnps::v1::IngestService::NewStub(grpc::CreateCustomChannel(
      absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials(), args));
}

double StreamPhase(tnps::storage::ConnectionPool& pool, int rows) {
  tnps::bench::BenchTenant phase = NewTenant(pool, "bench-stream");
  auto stub = NewStub();
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + phase.ingest_key);
  tnps::v1::StreamResponsesResponse summary;
  std::vector<tnps::v1::StreamResponsesRequest> messages((rows + 499) / 500);
  for (int i = 0; i < rows; ++i)
    *messages[i / 500].add_responses() = tnps::bench::MakeBenchRow("stream", i);
  const absl::Time start = absl::Now();
  auto writer = stub->StreamResponses(&context, &summary);
  for (const auto& m : messages) writer->Write(m);
  writer->WritesDone();
  grpc::Status status = writer->Finish();
  const absl::Duration elapsed = absl::Now() - start;
  if (!status.ok() || summary.accepted_count() != rows) {
    std::fprintf(stderr, "stream failed: %s, accepted %lld\n", status.error_message().c_str(),
                 static_cast<long long>(summary.accepted_count()));
    std::exit(1);
  }
  Report("StreamResponses", rows, elapsed);
  return rows / absl::ToDoubleSeconds(elapsed);
}

double BatchPhase(tnps::storage::ConnectionPool& pool, int rows) {
  tnps::bench::BenchTenant phase = NewTenant(pool, "bench-batch");
  const int clients = absl::GetFlag(FLAGS_batch_clients);
  std::vector<tnps::v1::SubmitResponsesRequest> requests((rows + 499) / 500);
  for (int i = 0; i < rows; ++i)
    *requests[i / 500].add_responses() = tnps::bench::MakeBenchRow("batch", i);
  std::atomic<size_t> next{0};
  std::atomic<int64_t> accepted{0};
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      auto stub = NewStub();
      for (size_t i; (i = next++) < requests.size();) {
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + phase.ingest_key);
        tnps::v1::SubmitResponsesResponse reply;
        if (stub->SubmitResponses(&context, requests[i], &reply).ok()) {
          accepted += reply.accepted_count();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const absl::Duration elapsed = absl::Now() - start;
  if (accepted != rows) {
    std::fprintf(stderr, "batch phase accepted %lld of %d\n",
                 static_cast<long long>(accepted.load()), rows);
    std::exit(1);
  }
  Report(absl::StrCat("SubmitResponses (500/batch, ", clients, " clients)").c_str(), rows, elapsed);
  return rows / absl::ToDoubleSeconds(elapsed);
}

void UnaryPhase(tnps::storage::ConnectionPool& pool, int requests, int in_flight) {
  tnps::bench::BenchTenant phase = NewTenant(pool, "bench-unary");
  std::vector<tnps::v1::SubmitResponseRequest> data(requests);
  for (int i = 0; i < requests; ++i)
    *data[i].mutable_response() = tnps::bench::MakeBenchRow("unary", i);
  tnps::bench::UnaryLoad load = tnps::bench::RunUnaryLoad(
      absl::GetFlag(FLAGS_server), phase.ingest_key, data, in_flight, /*channel_base=*/1000);
  if (load.failures > 0) {
    std::fprintf(stderr, "unary phase: %d failures\n", load.failures);
    std::exit(1);
  }
  const tnps::bench::Percentiles latency = tnps::bench::Summarize(load.latencies_ms);
  Report(absl::StrCat("SubmitResponse (", in_flight, " in flight)").c_str(), requests,
         load.elapsed);
  std::printf("%-34s p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", "  latency", latency.p50,
              latency.p99, latency.max);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string url = absl::GetFlag(FLAGS_database_url);
  const int rows = absl::GetFlag(FLAGS_rows);
  tnps::storage::ConnectionPool pool({.database_url = url, .size = 2});
  if (absl::GetFlag(FLAGS_unary_only)) {
    UnaryPhase(pool, absl::GetFlag(FLAGS_unary_requests), absl::GetFlag(FLAGS_unary_in_flight));
    return 0;
  }
  const double copy = CopyPhase(url, rows);
  const double stream = StreamPhase(pool, rows);
  std::printf("%-34s %.0f%% of raw COPY (target >= 60%%)\n", "  stream/COPY", 100 * stream / copy);
  BatchPhase(pool, rows);
  UnaryPhase(pool, absl::GetFlag(FLAGS_unary_requests), absl::GetFlag(FLAGS_unary_in_flight));
  return 0;
}
