// Data-rights benchmark: a synthetic tenant with personal data (a comment,
// attributes and a customer reference per response; every customer answered
// 20 times over two years) loaded straight into PostgreSQL, then, over real
// gRPC: a full ExportResponses with the server's resident memory sampled
// throughout, and EraseResponses of single customers.
// bench/run_data_rights_bench.sh runs it on 10M responses, with ingest
// latency measured while retention works through the same tenant.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/synthetic_tenant.h"
#include "core/role.h"
#include "storage/api_key_store.h"
#include "storage/connection_pool.h"
#include "storage/tenant_store.h"
#include "tnps/v1/response_service.grpc.pb.h"

ABSL_FLAG(std::string, database_url, "", "the server's database, as the schema owner");
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tnps-server address");
ABSL_FLAG(int, server_pid, 0, "the server's process id, to sample its resident memory");
ABSL_FLAG(int64_t, responses, 10000000, "responses of the tenant");
ABSL_FLAG(int, erasures, 20, "customers erased one by one");

namespace {

constexpr int kResponsesPerCustomer = 20;

// The server's resident memory now, in MiB (0 if unknown).
double ResidentMiB(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024;
  }
  return 0;
}

grpc::ClientContext* WithKey(grpc::ClientContext& context, const std::string& key) {
  context.AddMetadata("authorization", "Bearer " + key);
  return &context;
}

void ExportPhase(tnps::v1::ResponseService::Stub& stub, const std::string& key, int64_t expected) {
  const int pid = absl::GetFlag(FLAGS_server_pid);
  std::atomic<bool> done{false};
  double peak = ResidentMiB(pid);
  const double before = peak;
  std::thread sampler([&] {
    while (!done) {
      peak = std::max(peak, ResidentMiB(pid));
      absl::SleepFor(absl::Milliseconds(100));
    }
  });
  grpc::ClientContext context;
  const absl::Time start = absl::Now();
  auto reader = stub.ExportResponses(WithKey(context, key), {});
  tnps::v1::ExportResponsesResponse message;
  int64_t rows = 0, messages = 0, bytes = 0;
  while (reader->Read(&message)) {
    rows += message.responses_size();
    bytes += static_cast<int64_t>(message.ByteSizeLong());
    ++messages;
  }
  grpc::Status status = reader->Finish();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  done = true;
  sampler.join();
  if (!status.ok() || rows != expected) {
    std::fprintf(stderr, "export failed: %s, %lld rows of %lld\n", status.error_message().c_str(),
                 static_cast<long long>(rows), static_cast<long long>(expected));
    std::exit(1);
  }
  std::printf("%-40s %lld rows in %.1f s: %.0f rows/s (%lld messages, %.0f MB)\n",
              "ExportResponses, full, admin key", static_cast<long long>(rows), seconds,
              rows / seconds, static_cast<long long>(messages), bytes / 1e6);
  std::printf("%-40s %.0f MiB before, peak %.0f MiB during (sampled every 100 ms)\n",
              "  server resident memory", before, peak);
}

void ErasePhase(tnps::v1::ResponseService::Stub& stub, const std::string& key, int64_t responses) {
  const int64_t customers = responses / kResponsesPerCustomer;
  std::vector<double> ms;
  for (int i = 0; i < absl::GetFlag(FLAGS_erasures); ++i) {
    // Customers spread over the whole range.
    tnps::v1::EraseResponsesRequest request;
    request.set_customer_ref(absl::StrCat("cust-", (i * 7919 + 13) % customers));
    request.set_request_reference(absl::StrCat("bench-", i));
    tnps::v1::EraseResponsesResponse reply;
    grpc::ClientContext context;
    const absl::Time start = absl::Now();
    grpc::Status status = stub.EraseResponses(WithKey(context, key), request, &reply);
    ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
    if (!status.ok() || reply.erased_count() != kResponsesPerCustomer) {
      std::fprintf(stderr, "erase failed: %s, erased %lld\n", status.error_message().c_str(),
                   static_cast<long long>(reply.erased_count()));
      std::exit(1);
    }
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%-40s %zu customers of %d responses: p50 %.1f ms, max %.1f ms\n",
              "EraseResponses by customer_ref", ms.size(), kResponsesPerCustomer, ms[ms.size() / 2],
              ms.back());
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string url = absl::GetFlag(FLAGS_database_url);
  const int64_t responses = absl::GetFlag(FLAGS_responses);
  tnps::storage::ConnectionPool pool({.database_url = url, .size = 1});
  // Every store before the first query: a connection prepares the
  // statements registered when it opens.
  tnps::storage::TenantStore tenants(pool);
  tnps::storage::ApiKeyStore keys(pool);
  const std::string name = absl::StrCat("rights-", responses);
  absl::StatusOr<tnps::storage::Tenant> tenant = tenants.FindByName(name);
  const bool load = !tenant.ok();
  if (load) tenant = tenants.Create(name, "Europe/Zurich");
  absl::StatusOr<tnps::storage::IssuedKey> admin = keys.Issue(name, tnps::core::Role::kAdmin);
  if (!tenant.ok() || !admin.ok()) {
    std::fprintf(stderr, "tenant %s: %s; key: %s\n", name.c_str(),
                 tenant.status().ToString().c_str(), admin.status().ToString().c_str());
    return 1;
  }
  if (load) {
    std::fprintf(stderr, "generating %lld responses with personal data\n",
                 static_cast<long long>(responses));
    tnps::bench::LoadSyntheticTenant(
        url, tenant->tenant_id, responses,
        {.personal_data = true, .responses_per_customer = kResponsesPerCustomer});
  }
  std::printf(
      "%lld responses (comment, 2 attributes, customer_ref each; %d per customer), "
      "1,000 agents, %d days\n",
      static_cast<long long>(responses), kResponsesPerCustomer, tnps::bench::kSyntheticDays);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  auto stub = tnps::v1::ResponseService::NewStub(grpc::CreateCustomChannel(
      absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials(), args));
  const int64_t stored =
      pqxx::nontransaction(*std::make_unique<pqxx::connection>(url))
          .exec_params1("SELECT count(*) FROM responses WHERE tenant_id = $1", tenant->tenant_id)[0]
          .as<int64_t>();
  ExportPhase(*stub, admin->key, stored);
  ErasePhase(*stub, admin->key, responses);
  return 0;
}
