// The alert benchmark (docs/benchmarks.md): SubmitResponse at a steady
// rate, a third of the responses matching an active subscription whose
// receiver (tests/e2e/webhook_receiver.py) records when each request
// arrived; prints the latency from the ack to the receipt (p50, p99, max),
// what arrived, and the server's memory.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/bench_tenant.h"
#include "storage/connection_pool.h"
#include "tnps/v1/alert_service.pb.h"
#include "tnps/v1/ingest_service.grpc.pb.h"

ABSL_FLAG(std::string, database_url, "", "the server's database, as its owner");
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tnps-server address");
ABSL_FLAG(std::string, alert_url, "", "the receiver's URL");
ABSL_FLAG(std::string, receiver_record, "", "the receiver's record (JSON lines)");
ABSL_FLAG(int, rate, 500, "SubmitResponse calls per second");
ABSL_FLAG(int, seconds, 60, "how long to submit");
ABSL_FLAG(int, server_pid, 0, "the server's process id, for its memory");

namespace {

// When each matching response's alert arrived, by external id (the first
// arrival of each), and how many requests came in all.
struct Receipts {
  absl::flat_hash_map<std::string, absl::Time> first;
  int64_t requests = 0;
};

Receipts ReadReceipts(const std::string& path) {
  Receipts out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    google::protobuf::Struct entry;
    if (!google::protobuf::util::JsonStringToMessage(line, &entry).ok()) continue;
    auto body = entry.fields().find("body");
    if (body == entry.fields().end()) continue;
    tnps::v1::AlertEvent event;
    if (!google::protobuf::util::JsonStringToMessage(body->second.string_value(), &event).ok()) {
      continue;
    }
    ++out.requests;
    const absl::Time at = absl::FromUnixNanos(
        static_cast<int64_t>(entry.fields().at("received_at").number_value() * 1e9));
    out.first.emplace(event.response().response().external_id(), at);
  }
  return out;
}

std::string Memory(int pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line, out;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0 || line.rfind("VmHWM:", 0) == 0) {
      absl::StrAppend(&out, line.substr(0, 6), " ", std::stol(line.substr(6)) / 1024, " MB  ");
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // Lines as they come, also into a pipe.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  tnps::storage::ConnectionPool pool(
      {.database_url = absl::GetFlag(FLAGS_database_url), .size = 1});
  const tnps::bench::BenchTenant tenant = tnps::bench::NewBenchTenant(pool, "bench-alerts");
  tnps::bench::SubscribeToAThird(pool, tenant.tenant_id, absl::GetFlag(FLAGS_alert_url), false);

  const int rate = absl::GetFlag(FLAGS_rate);
  const int total = rate * absl::GetFlag(FLAGS_seconds);
  std::vector<tnps::v1::SubmitResponseRequest> requests(total);
  for (int i = 0; i < total; ++i) {
    *requests[i].mutable_response() = tnps::bench::MakeBenchRow("alert", i);
  }
  // Acks of the matching responses, by index (every third).
  std::vector<absl::Time> acked(total);
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::atomic<int> late{0};
  const absl::Time start = absl::Now() + absl::Milliseconds(100);
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&, t] {
      grpc::ChannelArguments args;
      args.SetInt("bench.channel", t % 4);
      auto stub = tnps::v1::IngestService::NewStub(grpc::CreateCustomChannel(
          absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials(), args));
      for (int i; (i = next++) < total;) {
        // Request i goes at its own time: a steady rate, not as fast as
        // possible.
        const absl::Time due = start + absl::Seconds(1) * i / rate;
        if (absl::Now() > due + absl::Milliseconds(100)) ++late;
        absl::SleepFor(due - absl::Now());
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + tenant.ingest_key);
        tnps::v1::SubmitResponseResponse reply;
        if (!stub->SubmitResponse(&context, requests[i], &reply).ok()) {
          ++failures;
          continue;
        }
        acked[i] = absl::Now();
      }
    });
  }
  for (auto& t : threads) t.join();
  const absl::Duration elapsed = absl::Now() - start;
  std::printf("%-34s %d calls in %.1f s = %.0f/s (%d failed, %d sent over 100 ms late)\n",
              "SubmitResponse, steady", total, absl::ToDoubleSeconds(elapsed),
              total / absl::ToDoubleSeconds(elapsed), failures.load(), late.load());
  std::printf("%-34s %s\n", "tnps-server memory", Memory(absl::GetFlag(FLAGS_server_pid)).c_str());

  const int expected = (total + 2) / 3;
  Receipts receipts;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  do {
    absl::SleepFor(absl::Milliseconds(500));
    receipts = ReadReceipts(absl::GetFlag(FLAGS_receiver_record));
  } while (static_cast<int>(receipts.first.size()) < expected && absl::Now() < deadline);

  std::vector<double> latencies_ms;
  for (int i = 0; i < total; i += 3) {
    auto found = receipts.first.find(requests[i].response().external_id());
    if (found == receipts.first.end() || acked[i] == absl::Time()) continue;
    latencies_ms.push_back(absl::ToDoubleMilliseconds(found->second - acked[i]));
  }
  std::sort(latencies_ms.begin(), latencies_ms.end());
  const auto pct = [&](double p) {
    return latencies_ms.empty() ? 0.0
                                : latencies_ms[static_cast<size_t>(p * (latencies_ms.size() - 1))];
  };
  std::printf(
      "%-34s %zu of %d matching responses, %lld requests (duplicates %lld)\n", "alerts received",
      receipts.first.size(), expected, static_cast<long long>(receipts.requests),
      static_cast<long long>(receipts.requests) - static_cast<long long>(receipts.first.size()));
  std::printf("%-34s p50 %.0f ms, p99 %.0f ms, max %.0f ms (target p99 <= 2000 ms)\n",
              "  ack to receipt", pct(0.50), pct(0.99),
              latencies_ms.empty() ? 0.0 : latencies_ms.back());
  std::printf("%-34s %s\n", "tnps-server memory after",
              Memory(absl::GetFlag(FLAGS_server_pid)).c_str());
  return failures > 0 || static_cast<int>(receipts.first.size()) < expected ? 1 : 0;
}
