// Hostile-client benchmark: every attack of the "safe to expose" work at
// once against a running tnps-server, while a second tenant ingests at a
// steady rate. Prints the server's peak RSS and threads, the victim's
// SubmitResponse latency idle, under attack and after, what each attacker
// received, whether every acknowledged response is stored, and whether the
// server serves normally afterwards. bench/run_hostile_bench.sh sets up
// the cluster, the server and the attacker's data.
//
//   hostile_bench --database_url=... --server=HOST:PORT --server_pid=PID
//     --victim_ingest_key=... --victim_read_key=... --attacker_read_key=...
//     --attacker_ingest_key=... --cohort_id=N --program_id=N
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tnps/v1/analytics_service.grpc.pb.h"
#include "tnps/v1/ingest_service.grpc.pb.h"
#include "tnps/v1/training_service.grpc.pb.h"

ABSL_FLAG(std::string, database_url, "", "the server's database");
ABSL_FLAG(std::string, server, "127.0.0.1:50051", "tnps-server address");
ABSL_FLAG(int, server_pid, 0, "tnps-server's pid, for RSS and threads");
ABSL_FLAG(std::string, victim_ingest_key, "", "ingest key of the tenant that must not suffer");
ABSL_FLAG(std::string, victim_read_key, "", "read key of that tenant");
ABSL_FLAG(std::string, attacker_read_key, "", "read key of the attacking tenant");
ABSL_FLAG(std::string, attacker_ingest_key, "", "ingest key of the attacking tenant");
ABSL_FLAG(int64_t, cohort_id, 1, "a cohort of the attacking tenant");
ABSL_FLAG(int64_t, program_id, 1, "a programme of the attacking tenant");
ABSL_FLAG(absl::Duration, idle, absl::Seconds(10), "victim alone, before the attack");
ABSL_FLAG(absl::Duration, attack, absl::Seconds(75), "the attack");
ABSL_FLAG(absl::Duration, after, absl::Seconds(10), "victim alone, after the attack");
ABSL_FLAG(double, victim_rate, 100, "victim SubmitResponse calls per second");
ABSL_FLAG(std::string, attacks, "unread,silent,big,idle,flood,uplift,guess,deadline",
          "the attacks to run, comma-separated (default: all)");

namespace {

using Clock = std::chrono::system_clock;

std::shared_ptr<grpc::Channel> NewChannel(int id) {
  grpc::ChannelArguments args;
  // A distinct argument: a connection of its own.
  args.SetInt("tnps.bench.channel", id);
  args.SetMaxSendMessageSize(64 << 20);
  return grpc::CreateCustomChannel(absl::GetFlag(FLAGS_server), grpc::InsecureChannelCredentials(),
                                   args);
}

void Authorize(grpc::ClientContext& context, const std::string& key) {
  context.AddMetadata("authorization", "Bearer " + key);
}

// Status codes an attacker received, by name.
class Outcomes {
 public:
  void Add(grpc::StatusCode code) {
    absl::MutexLock lock(&mu_);
    ++counts_[code];
  }
  std::string Describe() {
    absl::MutexLock lock(&mu_);
    static const std::map<int, const char*> kNames = {{0, "OK"},
                                                      {1, "CANCELLED"},
                                                      {3, "INVALID_ARGUMENT"},
                                                      {4, "DEADLINE_EXCEEDED"},
                                                      {8, "RESOURCE_EXHAUSTED"},
                                                      {13, "INTERNAL"},
                                                      {14, "UNAVAILABLE"},
                                                      {16, "UNAUTHENTICATED"},
                                                      {7, "PERMISSION_DENIED"}};
    std::string out;
    for (const auto& [code, n] : counts_) {
      auto it = kNames.find(code);
      absl::StrAppend(&out, out.empty() ? "" : ", ", n, " ",
                      it == kNames.end() ? absl::StrCat("code ", code) : it->second);
    }
    return out.empty() ? "nothing" : out;
  }

 private:
  absl::Mutex mu_;
  std::map<int, int64_t> counts_ ABSL_GUARDED_BY(mu_);
};

// Peak VmRSS (MB) and Threads of the server, sampled every 100 ms.
class ServerSampler {
 public:
  explicit ServerSampler(int pid) : pid_(pid), thread_([this] { Loop(); }) {}
  ~ServerSampler() {
    stop_ = true;
    thread_.join();
  }
  // Peaks since the last call.
  std::pair<double, int> TakePeaks() {
    absl::MutexLock lock(&mu_);
    auto peaks = std::make_pair(peak_rss_mb_, peak_threads_);
    peak_rss_mb_ = 0;
    peak_threads_ = 0;
    return peaks;
  }

 private:
  void Loop() {
    while (!stop_) {
      std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
      std::string line;
      double rss = 0;
      int threads = 0;
      while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) rss = std::stod(line.substr(6)) / 1024;
        if (line.rfind("Threads:", 0) == 0) threads = std::stoi(line.substr(8));
      }
      {
        absl::MutexLock lock(&mu_);
        peak_rss_mb_ = std::max(peak_rss_mb_, rss);
        peak_threads_ = std::max(peak_threads_, threads);
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  const int pid_;
  std::atomic<bool> stop_{false};
  absl::Mutex mu_;
  double peak_rss_mb_ ABSL_GUARDED_BY(mu_) = 0;
  int peak_threads_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

tnps::v1::SurveyResponse Response(const std::string& external_id, int i) {
  tnps::v1::SurveyResponse r;
  r.set_external_id(external_id);
  r.set_interaction_id("call-" + external_id);
  r.set_agent_id(absl::StrCat("agent-", i % 50));
  r.set_team_id(absl::StrCat("team-", i % 5));
  r.set_channel(tnps::v1::CHANNEL_PHONE);
  r.set_score(i % 11);
  r.set_comment("The agent listened and solved it.");
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  r.mutable_interaction_time()->set_seconds(now - 3600);
  r.mutable_response_time()->set_seconds(now - 60);
  return r;
}

// The victim: SubmitResponse at a steady rate; latencies by phase, and the
// external ids the server acknowledged.
class Victim {
 public:
  Victim() : stub_(tnps::v1::IngestService::NewStub(NewChannel(0))) {}

  void Run(absl::Duration length, std::vector<double>& latencies_ms) {
    const absl::Duration period = absl::Seconds(1) / absl::GetFlag(FLAGS_victim_rate);
    const absl::Time end = absl::Now() + length;
    absl::Time next = absl::Now();
    while (absl::Now() < end) {
      absl::SleepFor(next - absl::Now());
      next += period;
      const std::string id = absl::StrCat("victim-", sent_++);
      tnps::v1::SubmitResponseRequest request;
      *request.mutable_response() = Response(id, static_cast<int>(sent_));
      grpc::ClientContext context;
      Authorize(context, absl::GetFlag(FLAGS_victim_ingest_key));
      context.set_deadline(Clock::now() + std::chrono::seconds(10));
      tnps::v1::SubmitResponseResponse response;
      const absl::Time start = absl::Now();
      const grpc::Status status = stub_->SubmitResponse(&context, request, &response);
      latencies_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - start));
      if (status.ok()) {
        ++acked_;
      } else {
        failures_.Add(status.error_code());
      }
    }
  }

  int64_t sent() const { return sent_; }
  int64_t acked() const { return acked_; }
  Outcomes& failures() { return failures_; }

 private:
  std::unique_ptr<tnps::v1::IngestService::Stub> stub_;
  int64_t sent_ = 0;
  int64_t acked_ = 0;
  Outcomes failures_;
};

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

tnps::v1::NpsFilter LastYear() {
  tnps::v1::NpsFilter filter;
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  const absl::CivilDay start = today - 365;
  filter.mutable_start_date()->set_year(static_cast<int>(start.year()));
  filter.mutable_start_date()->set_month(start.month());
  filter.mutable_start_date()->set_day(start.day());
  filter.mutable_end_date()->set_year(static_cast<int>(today.year()));
  filter.mutable_end_date()->set_month(today.month());
  filter.mutable_end_date()->set_day(today.day());
  return filter;
}

// The attacks. Each runs until `stop` and records what it received.
struct Attacks {
  std::atomic<bool> stop{false};
  Outcomes unread, silent_streams, big_unauthenticated, stream_flood, expensive_reads,
      unauthenticated_flood, short_deadlines;
  std::atomic<int64_t> unauthenticated_calls{0};
  std::atomic<int> idle_connections{0};
  std::vector<std::thread> threads;

  // 300 GetNpsTrend calls on one connection whose answers are never read
  // while the attack lasts.
  void UnreadAnswers() {
    threads.emplace_back([this] {
      auto stub = tnps::v1::AnalyticsService::NewStub(NewChannel(1));
      grpc::CompletionQueue cq;
      struct Call {
        grpc::ClientContext context;
        tnps::v1::GetNpsTrendResponse response;
        grpc::Status status;
      };
      std::vector<std::unique_ptr<Call>> calls;
      tnps::v1::GetNpsTrendRequest request;
      *request.mutable_filter() = LastYear();
      request.set_bucket(tnps::v1::BUCKET_DAY);
      request.set_rolling_window_days(28);
      for (int i = 0; i < 300; ++i) {
        auto call = std::make_unique<Call>();
        Authorize(call->context, absl::GetFlag(FLAGS_attacker_read_key));
        stub->AsyncGetNpsTrend(&call->context, request, &cq)
            ->Finish(&call->response, &call->status, call.get());
        calls.push_back(std::move(call));
      }
      while (!stop) absl::SleepFor(absl::Milliseconds(100));
      void* tag;
      bool ok;
      for (size_t i = 0; i < calls.size() && cq.Next(&tag, &ok); ++i) {
        unread.Add(static_cast<Call*>(tag)->status.error_code());
      }
      cq.Shutdown();
      while (cq.Next(&tag, &ok)) {
      }
    });
  }

  // 20 StreamResponses that each send 999 responses and fall silent.
  void SilentStreams() {
    for (int s = 0; s < 20; ++s) {
      threads.emplace_back([this, s] {
        auto stub = tnps::v1::IngestService::NewStub(NewChannel(100 + s));
        grpc::ClientContext context;
        Authorize(context, absl::GetFlag(FLAGS_attacker_ingest_key));
        tnps::v1::StreamResponsesResponse summary;
        auto writer = stub->StreamResponses(&context, &summary);
        tnps::v1::StreamResponsesRequest message;
        for (int i = 0; i < 999; ++i) {
          *message.add_responses() = Response(absl::StrCat("silent-", s, "-", i), i);
        }
        writer->Write(message);
        // Silent until the attack ends; then the client closes its side.
        // A stream the server ended before reports the server's status; one
        // it did not end commits and reports OK.
        while (!stop) absl::SleepFor(absl::Milliseconds(200));
        writer->WritesDone();
        silent_streams.Add(writer->Finish().error_code());
      });
    }
  }

  // 4 clients sending SubmitResponses without a key, each as large as the
  // server accepts by default (just under 4 MiB), in a loop.
  void BigUnauthenticated() {
    for (int c = 0; c < 4; ++c) {
      threads.emplace_back([this, c] {
        auto stub = tnps::v1::IngestService::NewStub(NewChannel(200 + c));
        tnps::v1::SubmitResponsesRequest request;
        tnps::v1::SurveyResponse* r = request.add_responses();
        *r = Response("big", 1);
        r->set_comment(std::string(4000000, 'x'));
        while (!stop) {
          grpc::ClientContext context;
          context.set_deadline(Clock::now() + std::chrono::seconds(10));
          tnps::v1::SubmitResponsesResponse response;
          big_unauthenticated.Add(stub->SubmitResponses(&context, request, &response).error_code());
        }
      });
    }
  }

  // 400 connections that make no call.
  void IdleConnections() {
    threads.emplace_back([this] {
      std::vector<std::shared_ptr<grpc::Channel>> channels;
      for (int i = 0; i < 400 && !stop; ++i) {
        auto channel = NewChannel(1000 + i);
        if (channel->WaitForConnected(Clock::now() + std::chrono::seconds(2))) ++idle_connections;
        channels.push_back(std::move(channel));
      }
      while (!stop) absl::SleepFor(absl::Milliseconds(100));
    });
  }

  // One connection opening 2,000 GetNps calls at once, again and again.
  void StreamFlood() {
    threads.emplace_back([this] {
      auto stub = tnps::v1::AnalyticsService::NewStub(NewChannel(2));
      tnps::v1::GetNpsRequest request;
      *request.mutable_filter() = LastYear();
      while (!stop) {
        grpc::CompletionQueue cq;
        std::vector<std::unique_ptr<grpc::ClientContext>> contexts(2000);
        std::vector<grpc::Status> statuses(2000);
        std::vector<tnps::v1::GetNpsResponse> responses(2000);
        for (int i = 0; i < 2000; ++i) {
          contexts[i] = std::make_unique<grpc::ClientContext>();
          Authorize(*contexts[i], absl::GetFlag(FLAGS_attacker_read_key));
          contexts[i]->set_deadline(Clock::now() + std::chrono::seconds(20));
          stub->AsyncGetNps(contexts[i].get(), request, &cq)
              ->Finish(&responses[i], &statuses[i],
                       reinterpret_cast<void*>(static_cast<intptr_t>(i)));
        }
        void* tag;
        bool ok;
        for (int i = 0; i < 2000 && cq.Next(&tag, &ok); ++i) {
          stream_flood.Add(statuses[reinterpret_cast<intptr_t>(tag)].error_code());
        }
        cq.Shutdown();
        while (cq.Next(&tag, &ok)) {
        }
      }
    });
  }

  // 16 clients running GetCohortUplift back to back with one read key.
  void ExpensiveReads() {
    for (int c = 0; c < 16; ++c) {
      threads.emplace_back([this, c] {
        auto stub = tnps::v1::TrainingService::NewStub(NewChannel(300 + c));
        tnps::v1::GetCohortUpliftRequest request;
        request.set_cohort_id(absl::GetFlag(FLAGS_cohort_id));
        request.set_pre_days(28);
        request.set_post_days(28);
        while (!stop) {
          grpc::ClientContext context;
          Authorize(context, absl::GetFlag(FLAGS_attacker_read_key));
          context.set_deadline(Clock::now() + std::chrono::seconds(30));
          tnps::v1::GetCohortUpliftResponse response;
          const grpc::Status status = stub->GetCohortUplift(&context, request, &response);
          expensive_reads.Add(status.error_code());
          // A refused client retries after a pause, as told to.
          if (!status.ok()) absl::SleepFor(absl::Milliseconds(50));
        }
      });
    }
  }

  // 4 clients guessing keys as fast as they can.
  void UnauthenticatedFlood() {
    for (int c = 0; c < 4; ++c) {
      threads.emplace_back([this, c] {
        auto stub = tnps::v1::AnalyticsService::NewStub(NewChannel(400 + c));
        std::mt19937_64 random(c);
        tnps::v1::GetNpsRequest request;
        *request.mutable_filter() = LastYear();
        while (!stop) {
          grpc::ClientContext context;
          Authorize(context, absl::StrCat("tnps_", absl::Hex(random(), absl::kZeroPad16), "_",
                                          std::string(64, '0')));
          tnps::v1::GetNpsResponse response;
          unauthenticated_flood.Add(stub->GetNps(&context, request, &response).error_code());
          ++unauthenticated_calls;
        }
      });
    }
  }

  // 4 clients calling GetProgramImpact with a 20 ms deadline.
  void ShortDeadlines() {
    for (int c = 0; c < 4; ++c) {
      threads.emplace_back([this, c] {
        auto stub = tnps::v1::TrainingService::NewStub(NewChannel(500 + c));
        tnps::v1::GetProgramImpactRequest request;
        request.set_program_id(absl::GetFlag(FLAGS_program_id));
        while (!stop) {
          grpc::ClientContext context;
          Authorize(context, absl::GetFlag(FLAGS_attacker_read_key));
          context.set_deadline(Clock::now() + std::chrono::milliseconds(20));
          tnps::v1::GetProgramImpactResponse response;
          short_deadlines.Add(stub->GetProgramImpact(&context, request, &response).error_code());
          absl::SleepFor(absl::Milliseconds(20));
        }
      });
    }
  }

  void StopAll() {
    stop = true;
    for (std::thread& t : threads) t.join();
  }
};

int64_t Query(pqxx::connection& conn, const std::string& sql) {
  pqxx::nontransaction txn(conn);
  return txn.exec1(sql)[0].as<int64_t>();
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  ServerSampler sampler(absl::GetFlag(FLAGS_server_pid));
  pqxx::connection db(absl::GetFlag(FLAGS_database_url));
  Victim victim;

  std::vector<double> idle_ms, attack_ms, after_ms;
  victim.Run(absl::GetFlag(FLAGS_idle), idle_ms);
  const auto [idle_rss, idle_threads] = sampler.TakePeaks();

  Attacks attacks;
  const absl::Time attack_start = absl::Now();
  const std::vector<std::string> chosen = absl::StrSplit(absl::GetFlag(FLAGS_attacks), ',');
  auto runs = [&](const char* name) {
    return std::find(chosen.begin(), chosen.end(), name) != chosen.end();
  };
  if (runs("unread")) attacks.UnreadAnswers();
  if (runs("silent")) attacks.SilentStreams();
  if (runs("big")) attacks.BigUnauthenticated();
  if (runs("idle")) attacks.IdleConnections();
  if (runs("flood")) attacks.StreamFlood();
  if (runs("uplift")) attacks.ExpensiveReads();
  if (runs("guess")) attacks.UnauthenticatedFlood();
  if (runs("deadline")) attacks.ShortDeadlines();
  victim.Run(absl::GetFlag(FLAGS_attack), attack_ms);
  const double attack_seconds = absl::ToDoubleSeconds(absl::Now() - attack_start);
  const int64_t flood_calls = attacks.unauthenticated_calls;
  attacks.StopAll();
  const auto [attack_rss, attack_threads] = sampler.TakePeaks();

  // Statements of the attacker still running once it has gone.
  absl::SleepFor(absl::Seconds(1));
  const int64_t running =
      Query(db,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = "
            "'active' AND pid <> pg_backend_pid()");

  victim.Run(absl::GetFlag(FLAGS_after), after_ms);
  const auto [after_rss, after_threads] = sampler.TakePeaks();

  const int64_t stored =
      Query(db, "SELECT count(*) FROM responses WHERE external_id LIKE 'victim-%'");
  tnps::v1::GetNpsRequest check;
  *check.mutable_filter() = LastYear();
  grpc::ClientContext context;
  Authorize(context, absl::GetFlag(FLAGS_victim_read_key));
  tnps::v1::GetNpsResponse answer;
  const absl::Time check_start = absl::Now();
  const grpc::Status served =
      tnps::v1::AnalyticsService::NewStub(NewChannel(9))->GetNps(&context, check, &answer);
  const double check_ms = absl::ToDoubleMilliseconds(absl::Now() - check_start);

  std::printf("%-40s %s\n", "phase", "server peak RSS / threads; victim SubmitResponse p50 / p99");
  std::printf("%-40s %.0f MB / %d; %.2f / %.2f ms (%zu calls)\n", "idle", idle_rss, idle_threads,
              Percentile(idle_ms, 0.5), Percentile(idle_ms, 0.99), idle_ms.size());
  std::printf("%-40s %.0f MB / %d; %.2f / %.2f ms (%zu calls)\n", "under attack", attack_rss,
              attack_threads, Percentile(attack_ms, 0.5), Percentile(attack_ms, 0.99),
              attack_ms.size());
  std::printf("%-40s %.0f MB / %d; %.2f / %.2f ms (%zu calls)\n", "after", after_rss, after_threads,
              Percentile(after_ms, 0.5), Percentile(after_ms, 0.99), after_ms.size());
  std::printf("victim p99 under attack / idle: %.2f\n",
              Percentile(attack_ms, 0.99) / std::max(0.001, Percentile(idle_ms, 0.99)));
  std::printf("victim: %lld sent, %lld acked, %lld stored; failures: %s\n",
              static_cast<long long>(victim.sent()), static_cast<long long>(victim.acked()),
              static_cast<long long>(stored), victim.failures().Describe().c_str());
  std::printf(
      "server afterwards: GetNps %s in %.1f ms; %lld statements still running 1 s after "
      "the attack\n",
      served.ok() ? "OK" : served.error_message().c_str(), check_ms,
      static_cast<long long>(running));
  std::printf("\nwhat each attacker received (%.0f s):\n", attack_seconds);
  std::printf("  300 unread GetNpsTrend on one connection: %s\n",
              attacks.unread.Describe().c_str());
  std::printf("  20 silent streams of 999 responses: %s\n",
              attacks.silent_streams.Describe().c_str());
  std::printf("  3.8 MiB SubmitResponses without a key: %s\n",
              attacks.big_unauthenticated.Describe().c_str());
  std::printf("  400 idle connections: %d connected\n", attacks.idle_connections.load());
  std::printf("  2,000 calls at once on one connection: %s\n",
              attacks.stream_flood.Describe().c_str());
  std::printf("  16 clients of GetCohortUplift: %s\n", attacks.expensive_reads.Describe().c_str());
  std::printf("  guessed keys: %.0f calls/s; %s\n", flood_calls / attack_seconds,
              attacks.unauthenticated_flood.Describe().c_str());
  std::printf("  GetProgramImpact with a 20 ms deadline: %s\n",
              attacks.short_deadlines.Describe().c_str());
  return 0;
}
