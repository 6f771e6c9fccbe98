#include "bench/unary_load.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/time/clock.h"
#include "tnps/v1/ingest_service.grpc.pb.h"

namespace tnps::bench {

UnaryLoad RunUnaryLoad(const std::string& server, const std::string& key,
                       const std::vector<tnps::v1::SubmitResponseRequest>& requests, int in_flight,
                       int channel_base) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < 8; ++c) {
    grpc::ChannelArguments args;
    args.SetInt("bench.channel", channel_base + c);
    channels.push_back(grpc::CreateCustomChannel(server, grpc::InsecureChannelCredentials(), args));
  }
  const int count = static_cast<int>(requests.size());
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::mutex mu;
  UnaryLoad load;
  load.latencies_ms.reserve(requests.size());
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (int t = 0; t < in_flight; ++t) {
    threads.emplace_back([&, t] {
      auto stub = tnps::v1::IngestService::NewStub(channels[t % channels.size()]);
      std::vector<double> mine;
      for (int i; (i = next++) < count;) {
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + key);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
        tnps::v1::SubmitResponseResponse reply;
        const absl::Time sent = absl::Now();
        if (!stub->SubmitResponse(&context, requests[i], &reply).ok()) {
          ++failures;
          continue;
        }
        mine.push_back(absl::ToDoubleMilliseconds(absl::Now() - sent));
      }
      std::lock_guard<std::mutex> lock(mu);
      load.latencies_ms.insert(load.latencies_ms.end(), mine.begin(), mine.end());
    });
  }
  for (auto& t : threads) t.join();
  load.elapsed = absl::Now() - start;
  load.failures = failures.load();
  return load;
}

Percentiles Summarize(std::vector<double>& ms) {
  if (ms.empty()) return {};
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double p) { return ms[static_cast<size_t>(p * (ms.size() - 1))]; };
  return {at(0.50), at(0.99), ms.back()};
}

}  // namespace tnps::bench
