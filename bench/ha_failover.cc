// The failover test of the HA stack (deploy/ha/ha-cluster.sh,
// docs/high-availability.md): clients ingest steadily through HAProxy, as
// CRMs do (a call that fails is retried with the same external_ids until it
// is acknowledged), while the primary PostgreSQL is killed with SIGKILL
// round after round, and one tnps-server replica too. In odd rounds only
// the postmaster dies (Patroni restarts it, or a standby takes over); in
// even rounds its Patroni dies with it, as when the machine is lost, so a
// standby is promoted once the leader key expires; the node is then
// started again and rejoins as a standby before the next round. After each round the
// clients pause and the database is recounted: every acknowledged response
// stored exactly once, nothing stored that was not acknowledged, and every
// rollup equal to a recount; with --read_key_file, GetNps through HAProxy
// with the latest consistency token (read from a standby) counts every
// acknowledged response too. Prints the unavailability window of each
// failover (from the first failed write to the first successful one after
// it) and exits 1 on any loss, duplicate or mismatch.
//
//   ha_failover --ha_dir DIR --api_key_file F [--read_key_file F] [--rounds 5] [--clients 4]
//     [--replica_kill_round 2] [--steady_seconds 3]
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/consistency_token.h"
#include "storage/pg_text.h"
#include "tests/support/test_database.h"
#include "tnps/v1/analytics_service.grpc.pb.h"
#include "tnps/v1/ingest_service.grpc.pb.h"

ABSL_FLAG(std::string, ha_dir, "", "the directory deploy/ha/ha-cluster.sh start made");
ABSL_FLAG(std::string, api_key_file, "", "an ingest or admin key of the tenant");
ABSL_FLAG(std::string, read_key_file, "",
          "a read key of the tenant: each round also reads the count back with GetNps and the "
          "latest consistency token");
ABSL_FLAG(int, rounds, 5, "failovers of the primary");
ABSL_FLAG(int, clients, 4, "ingesting clients");
ABSL_FLAG(int, replica_kill_round, 2, "the round that also kills tnps-server replica 1 (0: none)");
ABSL_FLAG(int, steady_seconds, 3, "seconds of steady ingest before each kill");
ABSL_FLAG(int, round_timeout_seconds, 120, "longest a round may take");

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return std::string(absl::StripAsciiWhitespace(text));
}

bool HttpOk(const std::string& url) {
  return std::system(absl::StrCat("curl -fs --noproxy '*' -o /dev/null ", url).c_str()) == 0;
}

// What every client shares: the outage being measured, and the ids
// acknowledged so far.
struct Shared {
  std::mutex mu;
  std::vector<std::string> acked;
  std::optional<absl::Time> first_failure;
  std::optional<absl::Time> last_failure;
  std::optional<absl::Time> recovered;
  int64_t failed_calls = 0;
  // The latest consistency token's position among acknowledged writes.
  tnps::core::WalPosition written_up_to = 0;
  std::atomic<bool> paused{false};
  std::atomic<bool> stop{false};
  std::atomic<int> in_flight{0};
};

void Client(int id, const std::string& server, const std::string& key, Shared& shared) {
  auto stub = tnps::v1::IngestService::NewStub(
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials()));
  for (int64_t seq = 0; !shared.stop.load(); ++seq) {
    while (shared.paused.load() && !shared.stop.load()) absl::SleepFor(absl::Milliseconds(20));
    if (shared.stop.load()) break;
    ++shared.in_flight;
    tnps::v1::SubmitResponsesRequest request;
    const absl::Time now = absl::Now();
    for (int j = 0; j < 10; ++j) {
      tnps::v1::SurveyResponse* r = request.add_responses();
      r->set_external_id(absl::StrCat("ha-", id, "-", seq, "-", j));
      r->set_interaction_id(r->external_id());
      r->set_agent_id(absl::StrCat("agent-", (seq + j) % 20));
      r->set_team_id(absl::StrCat("team-", (seq + j) % 20 % 4));
      r->set_channel(static_cast<tnps::v1::Channel>(1 + j % 3));
      r->set_score(static_cast<int>((seq * 7 + j) % 11));
      r->mutable_interaction_time()->set_seconds(absl::ToUnixSeconds(now) - 3600);
      r->mutable_response_time()->set_seconds(absl::ToUnixSeconds(now) - 1800);
    }
    // Retried with the same external_ids until acknowledged, as a CRM does.
    while (true) {
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + key);
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      tnps::v1::SubmitResponsesResponse response;
      const grpc::Status status = stub->SubmitResponses(&context, request, &response);
      const absl::Time at = absl::Now();
      bool all_stored = status.ok();
      if (status.ok()) {
        for (const auto& result : response.results()) {
          if (result.outcome() != tnps::v1::ITEM_OUTCOME_ACCEPTED &&
              result.outcome() != tnps::v1::ITEM_OUTCOME_DUPLICATE) {
            all_stored = false;
          }
        }
      }
      std::lock_guard<std::mutex> lock(shared.mu);
      if (all_stored) {
        for (const auto& r : request.responses()) shared.acked.push_back(r.external_id());
        std::string problem;
        shared.written_up_to = tnps::core::LaterPosition(
            shared.written_up_to,
            tnps::core::ParseConsistencyToken(response.consistency_token(), &problem).value_or(0));
        if (shared.first_failure && !shared.recovered) shared.recovered = at;
        break;
      }
      ++shared.failed_calls;
      if (!shared.first_failure) shared.first_failure = at;
      shared.last_failure = at;
      shared.recovered.reset();
      if (shared.stop.load()) break;
      shared.mu.unlock();
      absl::SleepFor(absl::Milliseconds(100));
      shared.mu.lock();
    }
    --shared.in_flight;
  }
}

class Cluster {
 public:
  explicit Cluster(std::string dir) : dir_(std::move(dir)) {
    base_ = std::stoi(ReadFile(dir_ + "/base_port"));
  }

  // The member (1..3) whose Patroni answers GET /primary with 200.
  std::optional<int> Primary() const {
    for (int i = 1; i <= 3; ++i) {
      if (HttpOk(absl::StrCat("http://127.0.0.1:", base_ + 20 + i, "/primary"))) return i;
    }
    return std::nullopt;
  }

  // Three members running, one of them a synchronous standby.
  bool Healthy() const {
    return std::system(absl::StrCat("curl -fs --noproxy '*' http://127.0.0.1:", base_ + 21,
                                    "/cluster | grep -q sync_standby && test $(curl -fs "
                                    "--noproxy '*' http://127.0.0.1:",
                                    base_ + 21, "/cluster | grep -o '\"state\": *\"",
                                    "\\(running\\|streaming\\)\"' | wc -l) -eq 3")
                           .c_str()) == 0;
  }

  // SIGKILL to member i's postmaster: the crash of the primary's database.
  bool KillPostgres(int member) const {
    const std::string pid_file = absl::StrCat(dir_, "/pg/pg", member, "/data/postmaster.pid");
    std::ifstream in(pid_file);
    pid_t pid = 0;
    in >> pid;
    return pid > 0 && kill(pid, SIGKILL) == 0;
  }

  // SIGKILL to member i's Patroni and postmaster: the machine is gone.
  bool KillNode(int member) const {
    const pid_t patroni = std::stoi(ReadFile(absl::StrCat(dir_, "/pg/patroni", member, ".pid")));
    return kill(patroni, SIGKILL) == 0 && KillPostgres(member);
  }

  // Starts member i's Patroni again (as deploy/ha/ha-cluster.sh does).
  bool StartNode(int member) const {
    const std::string command = absl::StrCat(
        "(cd / && exec runuser -u postgres -- sh -c 'echo $$ >\"$0\"; exec patroni "
        "\"$1\"' ",
        dir_, "/pg/patroni", member, ".pid ", dir_, "/pg/pg", member, ".yml) >>", dir_,
        "/logs/patroni", member, ".log 2>&1 &");
    return std::system(command.c_str()) == 0;
  }

  bool KillServer(int replica) const {
    const pid_t pid = std::stoi(ReadFile(absl::StrCat(dir_, "/tnps/tnps", replica, ".pid")));
    return kill(pid, SIGKILL) == 0;
  }

  std::string OwnerUrl() const { return ReadFile(dir_ + "/secrets/owner.url"); }

 private:
  std::string dir_;
  int base_ = 0;
};

// Tenant-wide response count as GetNps answers it through `server`, for a
// read after `token`: the replicas read it from a standby. -1 on failure.
int64_t NpsCount(const std::string& server, const std::string& key, const std::string& token) {
  auto stub = tnps::v1::AnalyticsService::NewStub(
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials()));
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  tnps::v1::GetNpsRequest request;
  for (auto [date, day] : {std::pair{request.mutable_filter()->mutable_start_date(), today - 1},
                           std::pair{request.mutable_filter()->mutable_end_date(), today + 1}}) {
    date->set_year(static_cast<int>(day.year()));
    date->set_month(day.month());
    date->set_day(day.day());
  }
  request.set_consistency_token(token);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + key);
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  tnps::v1::GetNpsResponse response;
  const grpc::Status status = stub->GetNps(&context, request, &response);
  if (!status.ok()) {
    std::printf("GetNps failed: %s\n", status.error_message().c_str());
    return -1;
  }
  return response.summary().responses();
}

// The standby pools' fallbacks to the primary, summed over the replicas
// that answer (their metrics ports), as "behind B, failed F".
std::string StandbyFallbacks(int base, int replicas) {
  double behind = 0, failed = 0;
  for (int i = 1; i <= replicas; ++i) {
    FILE* pipe = popen(absl::StrCat("curl -fs --noproxy '*' http://127.0.0.1:", base + 70 + i,
                                    "/metrics 2>/dev/null")
                           .c_str(),
                       "r");
    if (pipe == nullptr) continue;
    char line[512];
    while (std::fgets(line, sizeof line, pipe) != nullptr) {
      const std::string text(line);
      const std::string prefix = "tnps_db_pool_primary_fallbacks_total{pool=\"standby\",reason=\"";
      if (!absl::StartsWith(text, prefix)) continue;
      const double value = std::atof(text.substr(text.rfind(' ') + 1).c_str());
      (absl::StartsWith(text.substr(prefix.size()), "behind") ? behind : failed) += value;
    }
    pclose(pipe);
  }
  return absl::StrCat("behind ", behind, ", failed ", failed);
}

template <typename F>
bool WaitFor(absl::Duration limit, F condition) {
  const absl::Time deadline = absl::Now() + limit;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(200));
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  // HAProxy answers 503 in HTML while no replica is up: gRPC reports that
  // as UNAVAILABLE, and need not also log each one.
  setenv("GRPC_VERBOSITY", "NONE", 0);
  const std::string dir = absl::GetFlag(FLAGS_ha_dir);
  const Cluster cluster(dir);
  const int base = std::stoi(ReadFile(dir + "/base_port"));
  const std::string server = absl::StrCat("127.0.0.1:", base + 50);
  const std::string key = ReadFile(absl::GetFlag(FLAGS_api_key_file));
  const std::string read_key = absl::GetFlag(FLAGS_read_key_file).empty()
                                   ? ""
                                   : ReadFile(absl::GetFlag(FLAGS_read_key_file));
  const absl::Duration round_limit = absl::Seconds(absl::GetFlag(FLAGS_round_timeout_seconds));

  Shared shared;
  std::vector<std::thread> clients;
  for (int c = 0; c < absl::GetFlag(FLAGS_clients); ++c) {
    clients.emplace_back([&, c] { Client(c, server, key, shared); });
  }
  bool ok = true;
  std::vector<double> windows;
  for (int round = 1; round <= absl::GetFlag(FLAGS_rounds) && ok; ++round) {
    absl::SleepFor(absl::Seconds(absl::GetFlag(FLAGS_steady_seconds)));
    const std::optional<int> primary = cluster.Primary();
    if (!primary) {
      std::printf("round %d: no primary before the kill\n", round);
      ok = false;
      break;
    }
    {
      std::lock_guard<std::mutex> lock(shared.mu);
      shared.first_failure.reset();
      shared.last_failure.reset();
      shared.recovered.reset();
    }
    const bool node_lost = round % 2 == 0;
    if (!(node_lost ? cluster.KillNode(*primary) : cluster.KillPostgres(*primary))) {
      std::printf("round %d: could not kill pg%d\n", round, *primary);
      ok = false;
      break;
    }
    if (round == absl::GetFlag(FLAGS_replica_kill_round)) cluster.KillServer(1);
    // Writes resume on a new primary.
    const bool resumed = WaitFor(round_limit, [&] {
      std::lock_guard<std::mutex> lock(shared.mu);
      return shared.recovered.has_value();
    });
    const std::optional<int> promoted = cluster.Primary();
    if (node_lost) cluster.StartNode(*primary);
    // Back to three members and a synchronous standby before the next round.
    const bool healthy = WaitFor(round_limit, [&] { return cluster.Healthy(); });

    // Recount with the clients paused and nothing in flight.
    shared.paused = true;
    WaitFor(absl::Seconds(30), [&] { return shared.in_flight.load() == 0; });
    std::vector<std::string> acked;
    double window_ms = 0;
    int64_t failed_calls = 0;
    tnps::core::WalPosition written_up_to = 0;
    {
      std::lock_guard<std::mutex> lock(shared.mu);
      acked = shared.acked;
      written_up_to = shared.written_up_to;
      failed_calls = shared.failed_calls;
      if (shared.first_failure && shared.recovered) {
        window_ms = absl::ToDoubleMilliseconds(*shared.recovered - *shared.first_failure);
      }
    }
    int64_t stored = 0, stored_acked = 0, mismatches = -1;
    try {
      pqxx::connection conn(cluster.OwnerUrl());
      pqxx::read_transaction txn(conn);
      stored = txn.exec1("SELECT count(*) FROM responses WHERE external_id LIKE 'ha-%'")[0]
                   .as<int64_t>();
      stored_acked = txn.exec_params1(
                            "SELECT count(*) FROM responses WHERE external_id = "
                            "ANY($1::text[])",
                            tnps::storage::TextArrayLiteral(acked))[0]
                         .as<int64_t>();
      mismatches = txn.exec1(tnps::testing::kRollupMismatchSql)[0].as<int64_t>();
    } catch (const std::exception& e) {
      std::printf("round %d: recount failed: %s\n", round, e.what());
    }
    const int64_t lost = static_cast<int64_t>(acked.size()) - stored_acked;
    const int64_t extra = stored - stored_acked;
    // Read-your-writes across the failover: with the latest token, the
    // estimate read through a standby counts every acknowledged response.
    int64_t read_back = 0;
    if (!read_key.empty()) {
      read_back = NpsCount(server, read_key, tnps::core::FormatConsistencyToken(written_up_to));
      std::printf(
          "round %d: GetNps with the latest consistency token counts %lld of %zu (standby "
          "queries run on the primary since the replicas started: %s)\n",
          round, static_cast<long long>(read_back), acked.size(),
          StandbyFallbacks(base, std::stoi(ReadFile(dir + "/servers"))).c_str());
    }
    std::printf(
        "round %d: killed %s of pg%d; primary now %s; writes failed for %.0f ms (first failed "
        "write "
        "to the first successful one after the last failure; %lld failed calls so far)%s; "
        "acknowledged %zu, stored %lld, lost %lld, "
        "stored but not acknowledged %lld, rollup mismatches %lld\n",
        round, node_lost ? "Patroni and PostgreSQL" : "PostgreSQL", *primary,
        promoted ? absl::StrCat("pg", *promoted).c_str() : "none", window_ms,
        static_cast<long long>(failed_calls),
        round == absl::GetFlag(FLAGS_replica_kill_round) ? "; tnps-server 1 killed too" : "",
        acked.size(), static_cast<long long>(stored), static_cast<long long>(lost),
        static_cast<long long>(extra), static_cast<long long>(mismatches));
    std::fflush(stdout);
    windows.push_back(window_ms);
    // A lost node's standby must have taken over.
    const bool took_over = !node_lost || (promoted && *promoted != *primary);
    ok = resumed && healthy && took_over && lost == 0 && extra == 0 && mismatches == 0 &&
         stored > 0 && (read_key.empty() || read_back == static_cast<int64_t>(acked.size()));
    if (!took_over) std::printf("round %d: no standby took over\n", round);
    if (!resumed) std::printf("round %d: writes did not resume\n", round);
    if (!healthy) std::printf("round %d: the cluster did not recover its standbys\n", round);
    shared.paused = false;
  }
  shared.stop = true;
  for (auto& t : clients) t.join();
  if (!windows.empty()) {
    std::sort(windows.begin(), windows.end());
    std::printf("failovers: %zu; write unavailability min %.0f ms, median %.0f ms, max %.0f ms\n",
                windows.size(), windows.front(), windows[windows.size() / 2], windows.back());
  }
  std::printf("%s\n", ok ? "PASS: nothing lost, nothing doubled, rollups exact" : "FAIL");
  return ok ? 0 : 1;
}
