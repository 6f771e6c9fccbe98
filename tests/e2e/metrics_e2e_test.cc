// Metrics end to end: a real Prometheus (Debian's package, as its own user)
// scrapes a real tnps-server every second while clients load it, and the
// test asserts on PromQL answers: calls by method and code, ingest by
// outcome, group-commit rows, latency quantiles, pools, the compactor, the
// database and the process. The alert rules of deploy/prometheus load and
// evaluate in the same Prometheus.
#include <curl/curl.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/e2e/http_get.h"
#include "tests/e2e/ingest_fixture.h"

namespace tnps::testing {
namespace {

constexpr char kPrometheus[] = "/usr/bin/prometheus";

std::string UrlEncode(const std::string& text) {
  CURL* curl = curl_easy_init();
  char* encoded = curl_easy_escape(curl, text.data(), static_cast<int>(text.size()));
  std::string out(encoded);
  curl_free(encoded);
  curl_easy_cleanup(curl);
  return out;
}

// A Prometheus server on a free loopback port with its own data directory,
// scraping `target` every second, run as the `prometheus` user when the
// test runs as root.
class PrometheusProcess {
 public:
  PrometheusProcess(const std::string& target, const std::string& rules_file) {
    char dir_template[] = "/tmp/tnps-prometheus.XXXXXX";
    dir_ = mkdtemp(dir_template);
    port_ = FreeLoopbackPort();
    std::filesystem::copy_file(rules_file, dir_ + "/rules.yml");
    std::ofstream(dir_ + "/prometheus.yml") << "global:\n"
                                               "  scrape_interval: 1s\n"
                                               "  evaluation_interval: 1s\n"
                                               "rule_files: [rules.yml]\n"
                                               "scrape_configs:\n"
                                               "  - job_name: tnps\n"
                                               "    static_configs:\n"
                                               "      - targets: ['"
                                            << target << "']\n";
    std::filesystem::create_directory(dir_ + "/data");
    uid_t uid = getuid();
    gid_t gid = getgid();
    if (uid == 0) {
      const passwd* user = getpwnam("prometheus");
      if (user == nullptr) {
        ADD_FAILURE() << "no prometheus user: install the prometheus package";
        return;
      }
      uid = user->pw_uid;
      gid = user->pw_gid;
      for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_)) {
        (void)!chown(entry.path().c_str(), uid, gid);
      }
      (void)!chown(dir_.c_str(), uid, gid);
    }
    std::vector<std::string> args = {kPrometheus, "--config.file=" + dir_ + "/prometheus.yml",
                                     "--storage.tsdb.path=" + dir_ + "/data",
                                     absl::StrCat("--web.listen-address=127.0.0.1:", port_),
                                     "--log.level=warn"};
    pid_ = fork();
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, STDOUT_FILENO);
      if (getuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) {
        _exit(126);
      }
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 200 && !HttpGet(Url("/-/ready")); ++i)
      absl::SleepFor(absl::Milliseconds(100));
  }

  ~PrometheusProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string Url(const std::string& path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

  // The value of an instant PromQL query that yields one sample; nullopt
  // when it yields none (yet).
  std::optional<double> Query(const std::string& promql) const {
    std::optional<std::string> body = HttpGet(Url("/api/v1/query?query=" + UrlEncode(promql)));
    if (!body) return std::nullopt;
    google::protobuf::Struct parsed;
    if (!google::protobuf::util::JsonStringToMessage(*body, &parsed).ok()) return std::nullopt;
    const auto& result =
        parsed.fields().at("data").struct_value().fields().at("result").list_value();
    if (result.values_size() != 1) return std::nullopt;
    const auto& value = result.values(0).struct_value().fields().at("value").list_value();
    double out = 0;
    if (!absl::SimpleAtod(value.values(1).string_value(), &out)) return std::nullopt;
    return out;
  }

  // Waits (up to 30 s: scrapes are a second apart) until `promql` equals
  // `expected`; returns the last value seen.
  std::optional<double> AwaitValue(const std::string& promql, double expected) const {
    std::optional<double> value;
    for (int i = 0; i < 150; ++i) {
      value = Query(promql);
      if (value && *value == expected) break;
      absl::SleepFor(absl::Milliseconds(200));
    }
    return value;
  }

  // The raw JSON of an API path (rules, targets).
  std::string Get(const std::string& path) const { return HttpGet(Url(path)).value_or(""); }

 private:
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

class MetricsE2eTest : public IngestFixture {
 protected:
  std::vector<std::string> ServerFlags() const override {
    return {"--metrics_listen=127.0.0.1:0", "--compact_interval=200ms", "--refusal_delay=0s"};
  }
};

TEST_F(MetricsE2eTest, PrometheusScrapesWhatTheServerDid) {
  if (access(kPrometheus, X_OK) != 0) {
    FAIL() << kPrometheus << " is missing: deploy/install-deps.sh --tests installs it";
  }
  ASSERT_FALSE(server_->metrics_address().empty());
  PrometheusProcess prometheus(server_->metrics_address(), TNPS_PROMETHEUS_RULES);
  ASSERT_TRUE(prometheus.AwaitValue("up{job=\"tnps\"}", 1) == 1) << "Prometheus never scraped";

  // Load from four clients at once: per client 75 valid single responses,
  // 5 invalid ones (score 11) and one batch of 25 of which 3 invalid and 2
  // already stored (duplicates).
  constexpr int kClients = 4;
  std::vector<std::thread> clients;
  std::atomic<int> failures{0};
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([this, c, &failures] {
      for (int i = 0; i < 75; ++i) {
        if (!Submit(ingest_key_a_, ValidResponse(absl::StrCat("c", c, "-", i))).ok()) ++failures;
      }
      for (int i = 0; i < 5; ++i) {
        tnps::v1::SurveyResponse bad = ValidResponse(absl::StrCat("bad", c, "-", i));
        bad.set_score(11);
        if (Submit(ingest_key_a_, bad).error_code() != grpc::StatusCode::INVALID_ARGUMENT) {
          ++failures;
        }
      }
      std::vector<tnps::v1::SurveyResponse> batch;
      for (int i = 0; i < 25; ++i) {
        // 0 and 1 repeat single submissions: duplicates.
        batch.push_back(
            ValidResponse(i < 2 ? absl::StrCat("c", c, "-", i) : absl::StrCat("batch", c, "-", i)));
        if (i >= 22) batch.back().set_score(-1);
      }
      tnps::v1::SubmitResponsesResponse out;
      if (!SubmitBatch(ingest_key_a_, batch, &out).ok() || out.accepted_count() != 20 ||
          out.duplicate_count() != 2 || out.rejected_count() != 3) {
        ++failures;
      }
    });
  }
  for (std::thread& t : clients) t.join();
  ASSERT_EQ(failures.load(), 0);
  ASSERT_EQ(ResponseCount(), kClients * (75 + 20));

  const std::string ingest = "grpc_service=\"tnps.v1.IngestService\"";
  EXPECT_EQ(prometheus.AwaitValue("grpc_server_handled_total{" + ingest +
                                      ",grpc_method=\"SubmitResponse\","
                                      "grpc_code=\"OK\"}",
                                  kClients * 75),
            kClients * 75);
  EXPECT_EQ(prometheus.AwaitValue("grpc_server_handled_total{" + ingest +
                                      ",grpc_method=\"SubmitResponse\","
                                      "grpc_code=\"INVALID_ARGUMENT\"}",
                                  kClients * 5),
            kClients * 5);
  EXPECT_EQ(prometheus.AwaitValue(
                "sum(grpc_server_handled_total{" + ingest + ",grpc_method=\"SubmitResponses\"})",
                kClients),
            kClients);
  EXPECT_EQ(prometheus.AwaitValue("tnps_ingest_responses_total{outcome=\"accepted\"}",
                                  kClients * (75 + 20)),
            kClients * (75 + 20));
  EXPECT_EQ(
      prometheus.AwaitValue("tnps_ingest_responses_total{outcome=\"duplicate\"}", kClients * 2),
      kClients * 2);
  EXPECT_EQ(prometheus.AwaitValue("tnps_ingest_responses_total{outcome=\"rejected\"}",
                                  kClients * (5 + 3)),
            kClients * (5 + 3));
  // Every stored or found row went through a group commit.
  EXPECT_EQ(prometheus.AwaitValue("tnps_ingest_commit_rows_sum", kClients * (75 + 22)),
            kClients * (75 + 22));
  // Transactions: at least one, at most one per call that stored rows
  // (group commit gathers concurrent calls into fewer).
  const std::optional<double> commits = prometheus.Query("tnps_ingest_commit_rows_count");
  ASSERT_TRUE(commits);
  EXPECT_GE(*commits, 1);
  EXPECT_LE(*commits, kClients * 76);

  // Latency: every call took more than nothing and less than the 10 s
  // histogram bucket; the p99 over the load sits between.
  const std::optional<double> p99 = prometheus.Query(
      "histogram_quantile(0.99, sum by (le) (rate(grpc_server_handling_seconds_bucket{" + ingest +
      ",grpc_method=\"SubmitResponse\"}[1m])))");
  ASSERT_TRUE(p99);
  EXPECT_GT(*p99, 0);
  EXPECT_LT(*p99, 10);
  EXPECT_EQ(prometheus.AwaitValue(
                "grpc_server_handling_seconds_count{" + ingest + ",grpc_method=\"SubmitResponse\"}",
                kClients * 80),
            kClients * 80);

  // The compactor folds every change row in: no backlog left, no failure.
  EXPECT_EQ(prometheus.AwaitValue("tnps_compactor_lag_seconds", 0), 0);
  EXPECT_EQ(db_->QueryInt("SELECT count(*) FROM rollup_changes"), 0);
  EXPECT_GT(prometheus.Query("tnps_compactor_changes_total").value_or(0), 0);
  EXPECT_EQ(prometheus.Query("tnps_compactor_failures_total"), 0);
  EXPECT_GT(prometheus.Query("tnps_compactor_round_seconds_count").value_or(0), 0);

  // Pools, queues, database and process.
  EXPECT_EQ(prometheus.Query("tnps_db_pool_size{pool=\"ingest\"}"), 4);
  EXPECT_EQ(prometheus.AwaitValue("tnps_db_pool_connections{pool=\"ingest\",state=\"in_use\"}", 0),
            0);
  EXPECT_GE(
      prometheus.Query("tnps_db_pool_connections{pool=\"ingest\",state=\"idle\"}").value_or(0), 1);
  EXPECT_EQ(prometheus.Query("tnps_db_pool_wait_timeouts_total{pool=\"ingest\"}"), 0);
  EXPECT_EQ(prometheus.AwaitValue("tnps_ingest_queued_responses", 0), 0);
  EXPECT_EQ(prometheus.Query("tnps_read_queued_calls"), 0);
  EXPECT_EQ(prometheus.AwaitValue("tnps_database_up", 1), 1);
  // Threads come and go (gRPC's pollers): the same count give or take a few.
  EXPECT_NEAR(prometheus.Query("process_threads").value_or(0), ThreadsOf(server_->pid()), 8);
  const std::optional<double> rss = prometheus.Query("process_resident_memory_bytes");
  ASSERT_TRUE(rss);
  EXPECT_GT(*rss, 5e6);
  EXPECT_LT(*rss, 2e9);

  // The shipped rules load and evaluate; the error ratio sees no server
  // errors (the INVALID_ARGUMENTs were the callers'), and nothing fires.
  const std::string rules = prometheus.Get("/api/v1/rules");
  EXPECT_THAT(rules, ::testing::HasSubstr("\"name\":\"TnpsServerDown\""));
  EXPECT_THAT(rules, ::testing::Not(::testing::HasSubstr("\"health\":\"err\"")));
  EXPECT_THAT(prometheus.Get("/api/v1/query?query=" + UrlEncode("ALERTS{alertstate=\"firing\"}")),
              ::testing::HasSubstr("\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                                   "\"result\":[]}"));
}

TEST_F(MetricsE2eTest, ServerErrorsShowInTheMetricsAndTheErrorRatio) {
  ASSERT_FALSE(server_->metrics_address().empty());
  PrometheusProcess prometheus(server_->metrics_address(), TNPS_PROMETHEUS_RULES);
  ASSERT_TRUE(prometheus.AwaitValue("up{job=\"tnps\"}", 1) == 1) << "Prometheus never scraped";
  // A real failure inside the database: every insert raises.
  db_->Exec(R"sql(
    CREATE FUNCTION fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'injected failure'; END $$;
    CREATE TRIGGER fail_insert BEFORE INSERT ON responses
      FOR EACH ROW EXECUTE FUNCTION fail_insert();)sql");
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(Submit(ingest_key_a_, ValidResponse(absl::StrCat("f", i))).error_code(),
              grpc::StatusCode::INTERNAL);
  }
  EXPECT_EQ(prometheus.AwaitValue("grpc_server_handled_total{grpc_method=\"SubmitResponse\","
                                  "grpc_code=\"INTERNAL\"}",
                                  3),
            3);
  EXPECT_EQ(prometheus.AwaitValue("tnps_ingest_commit_failures_total", 3), 3);
  EXPECT_EQ(prometheus.AwaitValue("tnps:grpc_server_errors:ratio_rate5m", 1), 1);
}

class CompactorBacklogE2eTest : public IngestFixture {
 protected:
  // Rounds every 500 ms while idle; after a full round (5,000 change rows)
  // the next waits 99 times as long, so a backlog stays visible.
  std::vector<std::string> ServerFlags() const override {
    return {"--metrics_listen=127.0.0.1:0", "--compact_interval=500ms",
            "--compact_busy_share=0.01"};
  }
};

TEST_F(CompactorBacklogE2eTest, LagIsTheAgeOfTheOldestChangeLeft) {
  ASSERT_FALSE(server_->metrics_address().empty());
  // 6,000 change rows written an hour ago (counts of zero: no figure
  // moves): one round folds 5,000 in and leaves 1,000 an hour old.
  db_->Exec(absl::StrCat(
      "INSERT INTO rollup_changes (tenant_id, local_day, agent_id, team_id, channel, promoters, "
      "passives, detractors, changed_at) SELECT ",
      tenant_a_,
      ", current_date, 'agent-1', 'team-1', 1, 0, 0, 0, now() - interval '1 hour' "
      "FROM generate_series(1, 6000)"));
  // A round whose compaction statement began before the insert committed
  // takes nothing but may already see the rows when it measures the lag:
  // wait for the round that folded 5,000 in.
  double lag = -1;
  int64_t left = -1;
  for (int i = 0; i < 100 && (lag < 3000 || left != 1000); ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    left = db_->QueryInt("SELECT count(*) FROM rollup_changes");
    lag = ScrapedValue(server_->metrics_address(), "tnps_compactor_lag_seconds").value_or(lag);
  }
  EXPECT_GT(lag, 3500) << "the lag never showed the hour-old backlog";
  EXPECT_LT(lag, 3700);
  EXPECT_EQ(left, 1000);
}

}  // namespace
}  // namespace tnps::testing
