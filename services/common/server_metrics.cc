#include "services/common/server_metrics.h"

#include <dirent.h>
#include <google/protobuf/descriptor.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <sys/resource.h>
#include <unistd.h>

#include <exception>
#include <fstream>
#include <sstream>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "services/common/grpc_status.h"
#include "services/common/server_credentials.h"

namespace tnps::services {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

// Families whose values are read at scrape time rather than counted as
// things happen: pools, queues, the process.
class ScrapeTimeMetrics : public prometheus::Collectable {
 public:
  using Sampler = std::function<void(std::vector<MetricFamily>&)>;

  void Add(Sampler sampler) {
    absl::MutexLock lock(&mu_);
    samplers_.push_back(std::move(sampler));
  }

  std::vector<MetricFamily> Collect() const override {
    std::vector<MetricFamily> families;
    absl::MutexLock lock(&mu_);
    for (const Sampler& sampler : samplers_) sampler(families);
    return families;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<Sampler> samplers_ ABSL_GUARDED_BY(mu_);
};

namespace {

constexpr grpc::StatusCode kCodesFromStart[] = {grpc::StatusCode::OK,
                                                grpc::StatusCode::UNKNOWN,
                                                grpc::StatusCode::INTERNAL,
                                                grpc::StatusCode::UNAVAILABLE,
                                                grpc::StatusCode::DEADLINE_EXCEEDED,
                                                grpc::StatusCode::DATA_LOSS};

// Seconds, from a millisecond up: unary calls, group commits, compaction
// rounds. Streams (StreamResponses, exports, watches) land in the top ones.
const prometheus::Histogram::BucketBoundaries kSecondBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
const prometheus::Histogram::BucketBoundaries kRowBuckets = {1,   2,   5,   10,   20,   50,
                                                             100, 200, 500, 1000, 2000, 5000};
const prometheus::Histogram::BucketBoundaries kSubmissionBuckets = {1, 2, 4, 8, 16, 32, 64, 128};

const char* OutcomeName(storage::WriteOutcome outcome) {
  switch (outcome) {
    case storage::WriteOutcome::kAccepted:
      return "accepted";
    case storage::WriteOutcome::kDuplicate:
      return "duplicate";
    case storage::WriteOutcome::kConflict:
      return "conflict";
    case storage::WriteOutcome::kSuppressed:
      return "suppressed";
  }
  return "unknown";
}

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

ClientMetric Value(MetricType type, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return metric;
}

// The process's figures from /proc, under the names every Prometheus
// client library uses.
void SampleProcess(std::vector<MetricFamily>& out) {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  // Fields after the command name, which is in parentheses and may hold
  // spaces: the third field of stat(5) is the first here.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return;
  std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ', absl::SkipEmpty());
  const auto field = [&](int number) {  // as numbered in proc(5)
    double value = 0;
    const size_t i = static_cast<size_t>(number - 3);
    if (i < fields.size()) (void)absl::SimpleAtod(fields[i], &value);
    return value;
  };
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  double boot_time = 0;
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);) {
    if (absl::StartsWith(line, "btime ")) (void)absl::SimpleAtod(line.substr(6), &boot_time);
  }
  int open_fds = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (const dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++open_fds;
    }
    closedir(dir);
    --open_fds;  // the directory's own
  }
  rlimit files{};
  getrlimit(RLIMIT_NOFILE, &files);

  const auto add = [&](const char* name, const char* help, MetricType type, double value) {
    MetricFamily family = Family(name, help, type);
    family.metric.push_back(Value(type, value));
    out.push_back(std::move(family));
  };
  add("process_cpu_seconds_total", "User and system CPU time spent, in seconds.",
      MetricType::Counter, (field(14) + field(15)) / ticks);
  add("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
      field(24) * page);
  add("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
      field(23));
  add("process_threads", "Threads of the process.", MetricType::Gauge, field(20));
  add("process_open_fds", "Open file descriptors.", MetricType::Gauge, open_fds);
  add("process_max_fds", "Limit on open file descriptors.", MetricType::Gauge,
      static_cast<double>(files.rlim_cur));
  add("process_start_time_seconds", "Start time of the process since the Unix epoch, in seconds.",
      MetricType::Gauge, boot_time + field(22) / ticks);
}

}  // namespace

ServerMetrics::ServerMetrics(const std::vector<std::string>& services)
    : registry_(std::make_shared<prometheus::Registry>()),
      sampled_(std::make_shared<ScrapeTimeMetrics>()),
      readiness_(std::make_shared<ScrapeTimeMetrics>()) {
  prometheus::Registry& r = *registry_;
  calls_ = &prometheus::BuildCounter()
                .Name("grpc_server_handled_total")
                .Help("Calls finished, by service, method and status code.")
                .Register(r);
  call_seconds_ = &prometheus::BuildHistogram()
                       .Name("grpc_server_handling_seconds")
                       .Help(
                           "Time from a call's start to its status, in seconds (for streams "
                           "their whole life).")
                       .Register(r);
  const auto add_method = [this](std::string service, std::string method) {
    auto series = std::make_unique<MethodSeries>();
    series->service = std::move(service);
    series->method = std::move(method);
    const prometheus::Labels labels = {{"grpc_service", series->service},
                                       {"grpc_method", series->method}};
    series->latency = &call_seconds_->Add(labels, kSecondBuckets);
    // OK and the codes that are the server's fault exist from the start, at
    // zero, so that rate() sees the first of them (a series born at 3 has no
    // increase to show); the others appear when first used.
    for (grpc::StatusCode code : kCodesFromStart) {
      prometheus::Labels with_code = labels;
      with_code["grpc_code"] = StatusCodeName(code);
      series->by_code[code] = &calls_->Add(with_code);
    }
    return series;
  };
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(name);
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string method = service->method(i)->name();
      methods_.emplace(absl::StrCat("/", name, "/", method), add_method(name, method));
    }
  }
  unknown_method_ = add_method("unknown", "unknown");

  auto& stored = prometheus::BuildCounter()
                     .Name("tnps_ingest_responses_total")
                     .Help(
                         "Responses ingest handled, by outcome: accepted (stored), duplicate "
                         "(stored before, same payload), conflict (same external_id, other "
                         "payload), suppressed (erased with suppression), rejected (invalid).")
                     .Register(r);
  for (int i = 0; i < 4; ++i) {
    stored_by_outcome_[i] =
        &stored.Add({{"outcome", OutcomeName(static_cast<storage::WriteOutcome>(i))}});
  }
  rejected_ = &stored.Add({{"outcome", "rejected"}});
  commit_rows_ = &prometheus::BuildHistogram()
                      .Name("tnps_ingest_commit_rows")
                      .Help("Responses per group-commit transaction.")
                      .Register(r)
                      .Add({}, kRowBuckets);
  commit_submissions_ = &prometheus::BuildHistogram()
                             .Name("tnps_ingest_commit_submissions")
                             .Help(
                                 "Calls (or stream batches) gathered into one group-commit "
                                 "transaction.")
                             .Register(r)
                             .Add({}, kSubmissionBuckets);
  commit_seconds_ = &prometheus::BuildHistogram()
                         .Name("tnps_ingest_commit_seconds")
                         .Help(
                             "Time of one group-commit transaction, commit included, in "
                             "seconds.")
                         .Register(r)
                         .Add({}, kSecondBuckets);
  commit_failures_ =
      &prometheus::BuildCounter()
           .Name("tnps_ingest_commit_failures_total")
           .Help(
               "Group-commit transactions that failed; nothing of them was stored. A "
               "failed group is retried call by call, so its rows can appear again "
               "in later transactions.")
           .Register(r)
           .Add({});
  compactor_lag_ = &prometheus::BuildGauge()
                        .Name("tnps_compactor_lag_seconds")
                        .Help(
                            "Age of the oldest change row not yet folded into the rollups, "
                            "after the last round; 0 when none is pending. Queries are exact "
                            "either way; a growing lag makes them slower.")
                        .Register(r)
                        .Add({});
  compactor_round_seconds_ = &prometheus::BuildHistogram()
                                  .Name("tnps_compactor_round_seconds")
                                  .Help("Time of one compaction round, in seconds.")
                                  .Register(r)
                                  .Add({}, kSecondBuckets);
  compactor_changes_ = &prometheus::BuildCounter()
                            .Name("tnps_compactor_changes_total")
                            .Help("Change rows folded into the rollups.")
                            .Register(r)
                            .Add({});
  compactor_failures_ = &prometheus::BuildCounter()
                             .Name("tnps_compactor_failures_total")
                             .Help("Compaction rounds that failed (retried).")
                             .Register(r)
                             .Add({});
  compactor_last_success_ = &prometheus::BuildGauge()
                                 .Name("tnps_compactor_last_success_timestamp_seconds")
                                 .Help(
                                     "When a compaction round last succeeded, since the Unix "
                                     "epoch.")
                                 .Register(r)
                                 .Add({});
  database_up_ = &prometheus::BuildGauge()
                      .Name("tnps_database_up")
                      .Help("1 if the last health check reached PostgreSQL, else 0.")
                      .Register(r)
                      .Add({});
  database_check_seconds_ = &prometheus::BuildGauge()
                                 .Name("tnps_database_check_seconds")
                                 .Help("Time of the last health check's query, in seconds.")
                                 .Register(r)
                                 .Add({});
  alert_attempts_ = &prometheus::BuildCounter()
                         .Name("tnps_alert_attempts_total")
                         .Help(
                             "Webhook delivery attempts, by result: delivered, failed (will "
                             "retry), dead (failed, and the retries are over).")
                         .Register(r);
  for (const char* result : {"delivered", "failed", "dead"}) {
    alert_attempts_->Add({{"result", result}});
  }
  sampled_->Add(SampleProcess);
}

ServerMetrics::~ServerMetrics() = default;

ServerMetrics::MethodSeries& ServerMetrics::SeriesOf(absl::string_view method) {
  auto it = methods_.find(method);
  return it == methods_.end() ? *unknown_method_ : *it->second;
}

void ServerMetrics::ObserveCall(absl::string_view method, grpc::StatusCode code,
                                absl::Duration latency) {
  MethodSeries& series = SeriesOf(method);
  series.latency->Observe(absl::ToDoubleSeconds(latency));
  const int c = static_cast<int>(code);
  const size_t i = c >= 0 && c < 17 ? static_cast<size_t>(c) : 2;  // UNKNOWN
  prometheus::Counter* counter = series.by_code[i].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the same counter for the same labels, so two
    // threads racing here share one.
    counter = &calls_->Add({{"grpc_service", series.service},
                            {"grpc_method", series.method},
                            {"grpc_code", StatusCodeName(static_cast<grpc::StatusCode>(i))}});
    series.by_code[i].store(counter, std::memory_order_release);
  }
  counter->Increment();
}

void ServerMetrics::ObserveCommit(const storage::CommitStats& commit) {
  commit_seconds_->Observe(absl::ToDoubleSeconds(commit.duration));
  if (!commit.ok) {
    commit_failures_->Increment();
    return;
  }
  commit_rows_->Observe(static_cast<double>(commit.rows));
  commit_submissions_->Observe(static_cast<double>(commit.submissions));
  for (int i = 0; i < 4; ++i) {
    if (commit.outcomes[i] > 0) {
      stored_by_outcome_[i]->Increment(static_cast<double>(commit.outcomes[i]));
    }
  }
}

void ServerMetrics::CountRejected(int64_t responses) {
  if (responses > 0) rejected_->Increment(static_cast<double>(responses));
}

void ServerMetrics::ObserveCompaction(const storage::CompactionRound& round) {
  compactor_round_seconds_->Observe(absl::ToDoubleSeconds(round.duration));
  if (!round.status.ok()) {
    compactor_failures_->Increment();
    return;
  }
  compactor_changes_->Increment(static_cast<double>(round.taken));
  compactor_lag_->Set(absl::ToDoubleSeconds(round.oldest_pending_age));
  compactor_last_success_->Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
}

void ServerMetrics::ObserveDatabaseCheck(bool reachable, absl::Duration took) {
  database_up_->Set(reachable ? 1 : 0);
  database_check_seconds_->Set(absl::ToDoubleSeconds(took));
}

void ServerMetrics::CountAlertAttempt(absl::string_view result) {
  alert_attempts_->Add({{"result", std::string(result)}}).Increment();
}

void ServerMetrics::WatchPool(std::string name, storage::ConnectionPool& pool) {
  sampled_->Add([name = std::move(name), &pool](std::vector<MetricFamily>& out) {
    const storage::PoolStats stats = pool.Stats();
    const std::vector<ClientMetric::Label> labels = {{"pool", name}};
    const auto add = [&](const char* family_name, const char* help, MetricType type, double value,
                         std::vector<ClientMetric::Label> extra = {}) {
      std::vector<ClientMetric::Label> all = labels;
      all.insert(all.end(), extra.begin(), extra.end());
      for (MetricFamily& family : out) {
        if (family.name == family_name) {
          family.metric.push_back(Value(type, value, std::move(all)));
          return;
        }
      }
      MetricFamily family = Family(family_name, help, type);
      family.metric.push_back(Value(type, value, std::move(all)));
      out.push_back(std::move(family));
    };
    add("tnps_db_pool_size", "Connections a pool may open.", MetricType::Gauge, stats.size);
    add("tnps_db_pool_connections", "Open connections of a pool, lent (in_use) or idle.",
        MetricType::Gauge, stats.in_use, {{"state", "in_use"}});
    add("tnps_db_pool_connections", "", MetricType::Gauge, stats.open - stats.in_use,
        {{"state", "idle"}});
    add("tnps_db_pool_waits_total",
        "Callers that found every connection of a pool lent and waited.", MetricType::Counter,
        static_cast<double>(stats.waits));
    add("tnps_db_pool_wait_seconds_total", "Time callers waited for a connection, in seconds.",
        MetricType::Counter, absl::ToDoubleSeconds(stats.wait_time));
    add("tnps_db_pool_wait_timeouts_total",
        "Callers that gave up waiting for a connection (UNAVAILABLE or their deadline).",
        MetricType::Counter, static_cast<double>(stats.wait_timeouts));
    add("tnps_db_pool_replay_waits_total",
        "Queries that found a standby behind their call's consistency token and waited for its "
        "replay.",
        MetricType::Counter, static_cast<double>(stats.replay_waits));
    add("tnps_db_pool_primary_fallbacks_total",
        "Queries of a standby's pool run on the primary instead: the standby was behind their "
        "call's consistency token after --read_replay_wait (behind), or could not serve them "
        "(failed: unreachable, every connection busy, or cancelled by replay).",
        MetricType::Counter, static_cast<double>(stats.replay_fallbacks), {{"reason", "behind"}});
    add("tnps_db_pool_primary_fallbacks_total", "", MetricType::Counter,
        static_cast<double>(stats.failure_fallbacks), {{"reason", "failed"}});
  });
}

void ServerMetrics::WatchQueue(std::string name, std::string help, std::function<double()> depth) {
  sampled_->Add([name = std::move(name), help = std::move(help),
                 depth = std::move(depth)](std::vector<MetricFamily>& out) {
    MetricFamily family = Family(name, help, MetricType::Gauge);
    family.metric.push_back(Value(MetricType::Gauge, depth()));
    out.push_back(std::move(family));
  });
}

void ServerMetrics::StopServing() { exposer_.reset(); }

absl::StatusOr<int> ServerMetrics::Serve(const std::string& address,
                                         std::function<bool()> serving) {
  try {
    // Two threads: Prometheus scrapes one request at a time; the second
    // keeps a stuck client from blocking it.
    exposer_ = std::make_unique<prometheus::Exposer>(address, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on ", address, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(sampled_);
  readiness_->Add([serving = std::move(serving)](std::vector<MetricFamily>& out) {
    MetricFamily family =
        Family("tnps_serving",
               "Whether this replica takes calls: 1 while its database is reachable and it is "
               "not draining, else 0.",
               MetricType::Gauge);
    family.metric.push_back(Value(MetricType::Gauge, serving() ? 1 : 0));
    out.push_back(std::move(family));
  });
  exposer_->RegisterCollectable(readiness_, "/healthz");
  const std::vector<int> ports = exposer_->GetListeningPorts();
  if (ports.empty()) return absl::UnavailableError("metrics: no listening port");
  return ports.front();
}

}  // namespace tnps::services
