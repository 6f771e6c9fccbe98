// tnps-server: IngestService, AnalyticsService, TrainingService and
// ResponseService in one process, the local default and the test target.
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.pb.h"
#include "logging/log.h"
#include "services/alerts/alert_deliverer.h"
#include "services/alerts/alert_service.h"
#include "services/analytics/analytics_service.h"
#include "services/common/authenticator.h"
#include "services/common/call_executor.h"
#include "services/common/call_observer.h"
#include "services/common/database_health.h"
#include "services/common/env_default.h"
#include "services/common/flag_help.h"
#include "services/common/replica_heartbeat.h"
#include "services/common/server_credentials.h"
#include "services/common/server_metrics.h"
#include "services/ingest/ingest_service.h"
#include "services/responses/response_service.h"
#include "services/training/training_service.h"
#include "storage/alert_outbox.h"
#include "storage/alert_store.h"
#include "storage/analytics_store.h"
#include "storage/api_key_store.h"
#include "storage/connection_pool.h"
#include "storage/migration_runner.h"
#include "storage/replica_registry.h"
#include "storage/response_records.h"
#include "storage/response_store.h"
#include "storage/response_writer.h"
#include "storage/retention.h"
#include "storage/rollup_compactor.h"
#include "storage/training_store.h"

using tnps::logging::Log;
using tnps::logging::LogLevel;
using tnps::services::EnvDefault;

ABSL_FLAG(std::string, database_url, "",
          "libpq connection string or URI of the tnps database (env TNPS_DATABASE_URL); prefer "
          "--database_url_file when it holds a password");
ABSL_FLAG(std::string, database_url_file, EnvDefault("TNPS_DATABASE_URL_FILE", ""),
          "file holding --database_url, so that its password is on no command line (env "
          "TNPS_DATABASE_URL_FILE)");
ABSL_FLAG(std::string, read_database_url, "",
          "libpq connection string or URI of a standby (or a load balancer over standbys) that "
          "serves the analytics and training estimates, so that heavy reads leave the primary "
          "to ingest; calls with a consistency_token still see that write. Empty: every read "
          "goes to --database_url (env TNPS_READ_DATABASE_URL; prefer --read_database_url_file "
          "when it holds a password)");
ABSL_FLAG(std::string, read_database_url_file, EnvDefault("TNPS_READ_DATABASE_URL_FILE", ""),
          "file holding --read_database_url (env TNPS_READ_DATABASE_URL_FILE)");
ABSL_FLAG(absl::Duration, read_replay_wait, EnvDefault("TNPS_READ_REPLAY_WAIT", absl::Seconds(2)),
          "how long a read with a consistency_token waits for the standby to replay that write "
          "before it is run on the primary instead (env TNPS_READ_REPLAY_WAIT)");
ABSL_FLAG(absl::Duration, replica_heartbeat, EnvDefault("TNPS_REPLICA_HEARTBEAT", absl::Seconds(2)),
          "how often this server renews its row in server_replicas; each API key's rate limits "
          "are divided among the replicas whose row is at most 5 heartbeats old (env "
          "TNPS_REPLICA_HEARTBEAT)");
ABSL_FLAG(std::string, listen, EnvDefault("TNPS_LISTEN", "127.0.0.1:50051"),
          "host:port to serve gRPC on; port 0 picks a free one (env TNPS_LISTEN)");
ABSL_FLAG(int, write_threads, EnvDefault("TNPS_WRITE_THREADS", 4),
          "ingest transactions in flight at once, each on its own database connection (env "
          "TNPS_WRITE_THREADS)");
ABSL_FLAG(int64_t, max_queued_rows, EnvDefault("TNPS_MAX_QUEUED_ROWS", int64_t{50000}),
          "responses waiting for an ingest transaction; a submission beyond them is answered "
          "RESOURCE_EXHAUSTED (env TNPS_MAX_QUEUED_ROWS)");
ABSL_FLAG(int, read_threads, EnvDefault("TNPS_READ_THREADS", 4),
          "threads that run AnalyticsService and TrainingService calls; each holds a database "
          "connection while it works (env TNPS_READ_THREADS)");
ABSL_FLAG(int, max_queued_reads, EnvDefault("TNPS_MAX_QUEUED_READS", 64),
          "read calls waiting for a thread; beyond them a call is answered RESOURCE_EXHAUSTED "
          "(env TNPS_MAX_QUEUED_READS)");
ABSL_FLAG(int, max_running_reads_per_tenant, EnvDefault("TNPS_MAX_RUNNING_READS_PER_TENANT", 2),
          "read calls of one tenant running at once; the others wait their turn (env "
          "TNPS_MAX_RUNNING_READS_PER_TENANT)");
ABSL_FLAG(int, max_queued_reads_per_tenant, EnvDefault("TNPS_MAX_QUEUED_READS_PER_TENANT", 16),
          "read calls of one tenant waiting; beyond them its calls are answered "
          "RESOURCE_EXHAUSTED (env TNPS_MAX_QUEUED_READS_PER_TENANT)");
ABSL_FLAG(absl::Duration, stream_idle_timeout,
          EnvDefault("TNPS_STREAM_IDLE_TIMEOUT", absl::Minutes(1)),
          "a StreamResponses call whose client sends nothing for this long is ended; responses "
          "received since its last committed batch are not stored (env "
          "TNPS_STREAM_IDLE_TIMEOUT)");
ABSL_FLAG(int, max_concurrent_streams, EnvDefault("TNPS_MAX_CONCURRENT_STREAMS", 64),
          "calls one HTTP/2 connection may have open at once (env TNPS_MAX_CONCURRENT_STREAMS)");
ABSL_FLAG(absl::Duration, max_connection_idle,
          EnvDefault("TNPS_MAX_CONNECTION_IDLE", absl::Minutes(5)),
          "a connection without calls for this long is closed (env TNPS_MAX_CONNECTION_IDLE)");
ABSL_FLAG(absl::Duration, keepalive_time, EnvDefault("TNPS_KEEPALIVE_TIME", absl::Minutes(1)),
          "the server pings an idle connection this often and closes it if the ping is not "
          "answered within 20 s (env TNPS_KEEPALIVE_TIME)");
ABSL_FLAG(int64_t, grpc_memory_bytes, EnvDefault("TNPS_GRPC_MEMORY_BYTES", int64_t{128} << 20),
          "memory gRPC may use for connections and messages in flight (env "
          "TNPS_GRPC_MEMORY_BYTES)");
ABSL_FLAG(absl::Duration, auth_cache_ttl, EnvDefault("TNPS_AUTH_CACHE_TTL", absl::Seconds(10)),
          "how long a verified API key is trusted without asking the database; a revocation "
          "takes effect within it (env TNPS_AUTH_CACHE_TTL)");
ABSL_FLAG(double, default_calls_per_second, EnvDefault("TNPS_DEFAULT_CALLS_PER_SECOND", 1000.0),
          "calls per second each API key may make, for tenants without limits of their own "
          "(tnpsctl rate-limit) (env TNPS_DEFAULT_CALLS_PER_SECOND)");
ABSL_FLAG(int64_t, default_call_burst, EnvDefault("TNPS_DEFAULT_CALL_BURST", int64_t{2000}),
          "calls a key may make at once beyond its rate (env TNPS_DEFAULT_CALL_BURST)");
ABSL_FLAG(double, default_rows_per_second, EnvDefault("TNPS_DEFAULT_ROWS_PER_SECOND", 50000.0),
          "responses per second each API key may submit, for tenants without limits of their "
          "own (env TNPS_DEFAULT_ROWS_PER_SECOND)");
ABSL_FLAG(int64_t, default_row_burst, EnvDefault("TNPS_DEFAULT_ROW_BURST", int64_t{100000}),
          "responses a key may submit at once beyond its rate (env TNPS_DEFAULT_ROW_BURST)");
ABSL_FLAG(double, auth_failures_per_second, EnvDefault("TNPS_AUTH_FAILURES_PER_SECOND", 10.0),
          "failed authentications per second one client address may cause; beyond them and "
          "--auth_failure_burst, its calls with keys not yet verified are refused (env "
          "TNPS_AUTH_FAILURES_PER_SECOND)");
ABSL_FLAG(int64_t, auth_failure_burst, EnvDefault("TNPS_AUTH_FAILURE_BURST", int64_t{100}),
          "failed authentications one client address may cause at once (env "
          "TNPS_AUTH_FAILURE_BURST)");
ABSL_FLAG(absl::Duration, refusal_delay, EnvDefault("TNPS_REFUSAL_DELAY", absl::Milliseconds(250)),
          "refusals (no valid key, over a rate limit, a full queue) are answered after this "
          "long, so that a client retrying at once cannot flood the server (env "
          "TNPS_REFUSAL_DELAY)");
ABSL_FLAG(bool, access_log, EnvDefault("TNPS_ACCESS_LOG", false),
          "write a JSON line per call to the log: method, peer, tenant, key id, code, latency, "
          "rows (env TNPS_ACCESS_LOG)");
ABSL_FLAG(double, access_log_sample_rate, EnvDefault("TNPS_ACCESS_LOG_SAMPLE_RATE", 1.0),
          "with --access_log, the share of calls logged, from 0 to 1 (env "
          "TNPS_ACCESS_LOG_SAMPLE_RATE)");
ABSL_FLAG(std::string, metrics_listen, EnvDefault("TNPS_METRICS_LISTEN", ""),
          "host:port to serve Prometheus metrics on (/metrics, plain HTTP); empty: no metrics. "
          "Loopback only unless --metrics_allow_remote; port 0 picks a free one (env "
          "TNPS_METRICS_LISTEN)");
ABSL_FLAG(bool, metrics_allow_remote, EnvDefault("TNPS_METRICS_ALLOW_REMOTE", false),
          "serve metrics on an address other machines can reach (a Prometheus on another host, "
          "behind a firewall: metrics are unauthenticated plain HTTP) (env "
          "TNPS_METRICS_ALLOW_REMOTE)");
ABSL_FLAG(bool, migrate_on_start, EnvDefault("TNPS_MIGRATE_ON_START", false),
          "apply pending schema migrations before serving (env TNPS_MIGRATE_ON_START)");
ABSL_FLAG(int, max_message_bytes, EnvDefault("TNPS_MAX_MESSAGE_BYTES", 4 << 20),
          "largest request message accepted; 1,000 responses with comments of 3,000 characters "
          "fit (env TNPS_MAX_MESSAGE_BYTES)");
ABSL_FLAG(std::string, tls_cert_file, EnvDefault("TNPS_TLS_CERT_FILE", ""),
          "PEM certificate chain to serve TLS with; re-read when it changes (env "
          "TNPS_TLS_CERT_FILE)");
ABSL_FLAG(std::string, tls_key_file, EnvDefault("TNPS_TLS_KEY_FILE", ""),
          "PEM private key of --tls_cert_file; re-read when it changes (env TNPS_TLS_KEY_FILE)");
ABSL_FLAG(std::string, tls_client_ca_file, EnvDefault("TNPS_TLS_CLIENT_CA_FILE", ""),
          "PEM CA certificates; when set, every client must present a certificate one of them "
          "signed (mutual TLS) (env TNPS_TLS_CLIENT_CA_FILE)");
ABSL_FLAG(absl::Duration, tls_reload_interval,
          EnvDefault("TNPS_TLS_RELOAD_INTERVAL", absl::Minutes(1)),
          "how often the TLS files are checked for a new version (env TNPS_TLS_RELOAD_INTERVAL)");
ABSL_FLAG(bool, allow_plaintext, EnvDefault("TNPS_ALLOW_PLAINTEXT", false),
          "serve without TLS on an address other machines can reach, for a server behind a "
          "proxy that terminates TLS (env TNPS_ALLOW_PLAINTEXT)");
ABSL_FLAG(absl::Duration, compact_interval, EnvDefault("TNPS_COMPACT_INTERVAL", absl::Seconds(5)),
          "how often the rollups catch up with new responses when idle; queries are "
          "exact either way, adding the change rows not yet compacted (env "
          "TNPS_COMPACT_INTERVAL)");
ABSL_FLAG(int64_t, attribute_backfill_batch,
          EnvDefault("TNPS_ATTRIBUTE_BACKFILL_BATCH", int64_t{20000}),
          "responses one back-fill batch of a newly declared attribute dimension reads, under "
          "the tenant's attribute lock (erasures and exclusions wait for it; ingest never does) "
          "(env TNPS_ATTRIBUTE_BACKFILL_BATCH)");
ABSL_FLAG(int, max_exports, EnvDefault("TNPS_MAX_EXPORTS", 4),
          "ExportResponses calls open at once; beyond, a new one is answered RESOURCE_EXHAUSTED "
          "(env TNPS_MAX_EXPORTS)");
ABSL_FLAG(absl::Duration, retention_interval,
          EnvDefault("TNPS_RETENTION_INTERVAL", absl::Minutes(1)),
          "how often retention policies (tnpsctl retention) are applied and export marks kept "
          "(env TNPS_RETENTION_INTERVAL)");
ABSL_FLAG(double, retention_busy_share, EnvDefault("TNPS_RETENTION_BUSY_SHARE", 0.1),
          "while retention has a backlog, the share of the time it works; the rest is left to "
          "ingest (env TNPS_RETENTION_BUSY_SHARE)");
ABSL_FLAG(int, retention_batch_rows, EnvDefault("TNPS_RETENTION_BATCH_ROWS", 500),
          "responses retention redacts or deletes per transaction (env "
          "TNPS_RETENTION_BATCH_ROWS)");
ABSL_FLAG(bool, alert_allow_private_targets, EnvDefault("TNPS_ALERT_ALLOW_PRIVATE_TARGETS", false),
          "deliver alert webhooks to loopback, private and link-local addresses too, and accept "
          "http:// targets (receivers on the operator's own network, tests); otherwise only "
          "https:// to public addresses (env TNPS_ALERT_ALLOW_PRIVATE_TARGETS)");
ABSL_FLAG(std::string, alert_ca_file, EnvDefault("TNPS_ALERT_CA_FILE", ""),
          "PEM CA certificates webhook receivers' certificates must chain to; empty: the "
          "system's (env TNPS_ALERT_CA_FILE)");
ABSL_FLAG(absl::Duration, alert_connect_timeout,
          EnvDefault("TNPS_ALERT_CONNECT_TIMEOUT", absl::Seconds(5)),
          "how long a webhook delivery may take to connect (env TNPS_ALERT_CONNECT_TIMEOUT)");
ABSL_FLAG(absl::Duration, alert_timeout, EnvDefault("TNPS_ALERT_TIMEOUT", absl::Seconds(10)),
          "how long a webhook delivery may take in all (env TNPS_ALERT_TIMEOUT)");
ABSL_FLAG(absl::Duration, alert_retry_first_delay,
          EnvDefault("TNPS_ALERT_RETRY_FIRST_DELAY", absl::Seconds(10)),
          "the wait after a failed webhook delivery; it doubles after each further failure, up "
          "to an hour, with jitter (env TNPS_ALERT_RETRY_FIRST_DELAY)");
ABSL_FLAG(absl::Duration, alert_give_up_after,
          EnvDefault("TNPS_ALERT_GIVE_UP_AFTER", absl::Hours(24)),
          "how long after its first attempt a webhook delivery is retried before it is marked "
          "dead (env TNPS_ALERT_GIVE_UP_AFTER)");
ABSL_FLAG(int, alert_max_in_flight, EnvDefault("TNPS_ALERT_MAX_IN_FLIGHT", 64),
          "webhook requests in flight at once; at most 4 per subscription, one while its "
          "receiver fails (env TNPS_ALERT_MAX_IN_FLIGHT)");
ABSL_FLAG(int, max_watches, EnvDefault("TNPS_MAX_WATCHES", 64),
          "WatchResponses calls open at once; beyond, a new one is answered RESOURCE_EXHAUSTED "
          "(env TNPS_MAX_WATCHES)");
ABSL_FLAG(int, max_watches_per_tenant, EnvDefault("TNPS_MAX_WATCHES_PER_TENANT", 8),
          "WatchResponses calls one tenant may hold open at once (env "
          "TNPS_MAX_WATCHES_PER_TENANT)");
ABSL_FLAG(absl::Duration, shutdown_grace, EnvDefault("TNPS_SHUTDOWN_GRACE", absl::Seconds(5)),
          "on SIGTERM, how long the server reports NOT_SERVING while still serving, so that "
          "load balancers stop sending calls before it stops accepting them (env "
          "TNPS_SHUTDOWN_GRACE)");
ABSL_FLAG(double, compact_busy_share, EnvDefault("TNPS_COMPACT_BUSY_SHARE", 0.25),
          "while the rollups lag behind, the share of the time the compactor works; "
          "the rest is left to ingest (env TNPS_COMPACT_BUSY_SHARE)");

namespace {

// Threads of gRPC's synchronous services (server reflection only; the tnps
// services use the callback API).
constexpr int kSyncServiceThreads = 8;

// API keys looked up in the database (cache misses), off gRPC's callback
// threads; beyond the queue, RESOURCE_EXHAUSTED.
constexpr tnps::services::FairExecutorOptions kKeyLookups = {
    .threads = 2, .max_queued = 256, .max_running_per_tenant = 2, .max_queued_per_tenant = 256};

// Refusals waiting for --refusal_delay; beyond, they go out at once.
constexpr size_t kMaxDelayedRefusals = 20000;

// What the health service answers for, besides "" (the whole server).
constexpr const char* kServiceNames[] = {"tnps.v1.IngestService", "tnps.v1.AnalyticsService",
                                         "tnps.v1.TrainingService", "tnps.v1.ResponseService",
                                         "tnps.v1.AlertService"};

// Connections of the compactor, the health check, retention and the
// replica heartbeat.
constexpr int kBackgroundConnections = 4;

// Refuses a --database_url that reaches a standby; logs which server the
// reads go to. A database that does not answer yet is left to the health
// check.
absl::Status CheckDatabaseRoles(const std::string& database_url,
                                const std::string& read_database_url) {
  tnps::storage::ConnectionPool probe({.database_url = database_url, .size = 1});
  if (absl::StatusOr<bool> standby = probe.InRecovery(); standby.ok() && *standby) {
    return absl::FailedPreconditionError(
        "--database_url reaches a standby (in recovery), where every write fails: point it at "
        "the primary (HAProxy's write port, or a multi-host URL with "
        "target_session_attrs=read-write); standbys go in --read_database_url");
  }
  if (read_database_url.empty()) return absl::OkStatus();
  tnps::storage::ConnectionPool reads({.database_url = read_database_url, .size = 1});
  absl::StatusOr<bool> standby = reads.InRecovery();
  if (!standby.ok()) {
    Log(LogLevel::kWarning,
        "--read_database_url does not answer yet; estimates read from the primary until it does",
        {{"error", standby.status().message()}});
  } else if (*standby) {
    Log(LogLevel::kInfo, "estimates read from a standby (--read_database_url)");
  } else {
    Log(LogLevel::kInfo,
        "--read_database_url reaches a primary, not a standby: allowed, but the estimates' "
        "reads compete with ingest there");
  }
  return absl::OkStatus();
}

// Logs why the server cannot start; returns the exit code.
int Fail(int exit_code, absl::string_view message) {
  Log(LogLevel::kError, message);
  return exit_code;
}

int Serve() {
  const std::string database_url = absl::GetFlag(FLAGS_database_url);
  if (database_url.empty()) {
    return Fail(2, "set --database_url_file, --database_url or TNPS_DATABASE_URL");
  }
  const std::string read_database_url = absl::GetFlag(FLAGS_read_database_url);
  if (absl::GetFlag(FLAGS_read_replay_wait) < absl::ZeroDuration()) {
    return Fail(2, "--read_replay_wait must not be negative");
  }
  if (absl::GetFlag(FLAGS_read_threads) < 1 || absl::GetFlag(FLAGS_write_threads) < 1 ||
      absl::GetFlag(FLAGS_max_queued_reads) < 0 ||
      absl::GetFlag(FLAGS_max_running_reads_per_tenant) < 1 ||
      absl::GetFlag(FLAGS_max_queued_reads_per_tenant) < 0) {
    return Fail(2,
                "--read_threads, --write_threads and --max_running_reads_per_tenant must be "
                "positive, the queue sizes not negative");
  }
  const tnps::core::RateLimits default_limits{
      .calls_per_second = absl::GetFlag(FLAGS_default_calls_per_second),
      .call_burst = absl::GetFlag(FLAGS_default_call_burst),
      .rows_per_second = absl::GetFlag(FLAGS_default_rows_per_second),
      .row_burst = absl::GetFlag(FLAGS_default_row_burst)};
  if (std::optional<std::string> problem = tnps::core::RateLimitsProblem(default_limits)) {
    return Fail(2, absl::StrCat("default rate limits: ", *problem));
  }
  if (!(absl::GetFlag(FLAGS_auth_failures_per_second) > 0) ||
      absl::GetFlag(FLAGS_auth_failure_burst) < 1) {
    return Fail(2, "--auth_failures_per_second and --auth_failure_burst must be positive");
  }
  if (!(absl::GetFlag(FLAGS_compact_busy_share) > 0 &&
        absl::GetFlag(FLAGS_compact_busy_share) <= 1)) {
    return Fail(2, "--compact_busy_share must be in (0, 1]");
  }
  if (!(absl::GetFlag(FLAGS_retention_busy_share) > 0 &&
        absl::GetFlag(FLAGS_retention_busy_share) <= 1) ||
      absl::GetFlag(FLAGS_retention_interval) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_max_exports) < 1 || absl::GetFlag(FLAGS_retention_batch_rows) < 1) {
    return Fail(2,
                "--retention_busy_share must be in (0, 1], --retention_interval, "
                "--retention_batch_rows and --max_exports positive");
  }
  if (absl::GetFlag(FLAGS_alert_connect_timeout) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_alert_timeout) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_alert_retry_first_delay) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_alert_give_up_after) <= absl::ZeroDuration() ||
      absl::GetFlag(FLAGS_alert_max_in_flight) < 1 || absl::GetFlag(FLAGS_max_watches) < 1 ||
      absl::GetFlag(FLAGS_max_watches_per_tenant) < 1) {
    return Fail(2,
                "the --alert_* durations, --alert_max_in_flight, --max_watches and "
                "--max_watches_per_tenant must be positive");
  }
  const double log_sample_rate = absl::GetFlag(FLAGS_access_log_sample_rate);
  if (!(log_sample_rate >= 0 && log_sample_rate <= 1)) {
    return Fail(2, "--access_log_sample_rate must be in [0, 1]");
  }
  const std::string metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (absl::StrContains(metrics_listen, ',')) {
    // civetweb would take a list of addresses, beyond the loopback check.
    return Fail(2, "--metrics_listen takes one host:port");
  }
  if (!metrics_listen.empty() && !absl::GetFlag(FLAGS_metrics_allow_remote) &&
      !tnps::services::IsLoopbackAddress(metrics_listen)) {
    return Fail(2, absl::StrCat("--metrics_listen=", metrics_listen,
                                " is not a loopback address; metrics are unauthenticated plain "
                                "HTTP: set --metrics_allow_remote to serve them there"));
  }
  if (absl::GetFlag(FLAGS_stream_idle_timeout) <= absl::ZeroDuration()) {
    return Fail(2, "--stream_idle_timeout must be positive");
  }
  if (absl::GetFlag(FLAGS_replica_heartbeat) < absl::Milliseconds(10)) {
    return Fail(2, "--replica_heartbeat must be at least 10ms");
  }
  const std::string listen = absl::GetFlag(FLAGS_listen);
  absl::StatusOr<tnps::services::ServerSecurity> security = tnps::services::MakeServerSecurity(
      {.cert_file = absl::GetFlag(FLAGS_tls_cert_file),
       .key_file = absl::GetFlag(FLAGS_tls_key_file),
       .client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file),
       .reload_interval = absl::GetFlag(FLAGS_tls_reload_interval)},
      listen, absl::GetFlag(FLAGS_allow_plaintext));
  if (!security.ok()) {
    return Fail(2, security.status().message());
  }
  // Writes need the primary: a URL that reaches a standby (a node named
  // directly that lost an election, say) is a configuration mistake, said
  // now rather than as failed writes. Unreachable is not refused: the
  // server starts NOT_SERVING and serves once PostgreSQL is up.
  if (absl::Status refused = CheckDatabaseRoles(database_url, read_database_url); !refused.ok()) {
    return Fail(2, refused.message());
  }
  if (absl::GetFlag(FLAGS_migrate_on_start)) {
    absl::StatusOr<std::vector<int>> applied = tnps::storage::MigrationRunner(database_url).Up();
    if (!applied.ok()) {
      return Fail(1, absl::StrCat("migrations failed: ", applied.status().message()));
    }
    Log(LogLevel::kInfo, "migrations applied", {{"count", applied->size()}});
  }

  // Declared before everything that reports to it, so that it outlives them.
  std::unique_ptr<tnps::services::ServerMetrics> metrics;
  if (!metrics_listen.empty()) {
    std::vector<std::string> served(std::begin(kServiceNames), std::end(kServiceNames));
    served.push_back("grpc.health.v1.Health");
    served.push_back("grpc.reflection.v1alpha.ServerReflection");
    metrics = std::make_unique<tnps::services::ServerMetrics>(served);
  }
  tnps::services::ServerMetrics* const m = metrics.get();

  // Bulkheads: ingest, reads, key lookups and background work each have
  // their own connections, as many as their threads, so that none of them
  // waits for a connection another one holds.
  tnps::storage::ConnectionPool ingest_pool(
      {.database_url = database_url, .size = absl::GetFlag(FLAGS_write_threads)});
  tnps::storage::ConnectionPool read_pool(
      {.database_url = database_url, .size = absl::GetFlag(FLAGS_read_threads)});
  tnps::storage::ConnectionPool key_pool(
      {.database_url = database_url, .size = kKeyLookups.threads});
  tnps::storage::ConnectionPool background_pool(
      {.database_url = database_url, .size = kBackgroundConnections});
  // The alert delivery worker's: one thread, one connection.
  tnps::storage::ConnectionPool alert_pool({.database_url = database_url, .size = 1});
  // The estimates' reads, on a standby when there is one: as many
  // connections as read threads, and the primary's read pool for calls
  // the standby has not caught up with.
  std::optional<tnps::storage::ConnectionPool> standby_pool;
  if (!read_database_url.empty()) {
    standby_pool.emplace(
        tnps::storage::ConnectionPoolOptions{.database_url = read_database_url,
                                             .size = absl::GetFlag(FLAGS_read_threads),
                                             .primary = &read_pool,
                                             .replay_wait = absl::GetFlag(FLAGS_read_replay_wait)});
  }
  tnps::storage::ConnectionPool& estimate_pool = standby_pool ? *standby_pool : read_pool;
  // Every store before the first query: a connection prepares the
  // statements registered when it opens.
  tnps::storage::ApiKeyStore keys(key_pool);
  tnps::storage::ResponseStore responses(ingest_pool);
  tnps::storage::AnalyticsStore analytics_store(estimate_pool);
  tnps::storage::AttributeDimensions attribute_dimensions(read_pool);
  tnps::storage::TrainingStore training_store(read_pool);
  tnps::storage::TrainingStore training_reads(estimate_pool);
  tnps::storage::RollupCompactor compactor(background_pool);
  tnps::storage::ResponseRecords records(read_pool);
  tnps::storage::AlertStore alert_store(read_pool);
  tnps::storage::AlertOutbox alert_outbox(read_pool);
  tnps::storage::AlertOutbox delivery_outbox(alert_pool);
  tnps::storage::RetentionWorker retention(background_pool);
  tnps::storage::ReplicaRegistry replica_registry(background_pool);

  tnps::storage::ResponseWriter writer(
      responses,
      {.writer_threads = absl::GetFlag(FLAGS_write_threads),
       .max_queued_rows =
           static_cast<size_t>(std::max<int64_t>(0, absl::GetFlag(FLAGS_max_queued_rows))),
       .on_commit = m == nullptr ? std::function<void(const tnps::storage::CommitStats&)>()
                                 : [m](const tnps::storage::CommitStats& commit) {
                                     m->ObserveCommit(commit);
                                   }});
  // The executors outlive the server (declared before it): they finish what
  // is queued.
  tnps::services::FairExecutor key_lookups(kKeyLookups);
  tnps::services::FairExecutor reads(
      {.threads = absl::GetFlag(FLAGS_read_threads),
       .max_queued = absl::GetFlag(FLAGS_max_queued_reads),
       .max_running_per_tenant = absl::GetFlag(FLAGS_max_running_reads_per_tenant),
       .max_queued_per_tenant = absl::GetFlag(FLAGS_max_queued_reads_per_tenant)});
  tnps::services::RateLimiter limiter(
      {.defaults = default_limits,
       .failures_per_second = absl::GetFlag(FLAGS_auth_failures_per_second),
       .failure_burst = absl::GetFlag(FLAGS_auth_failure_burst)});
  tnps::services::ReplicaHeartbeat heartbeat(replica_registry, limiter,
                                             absl::GetFlag(FLAGS_replica_heartbeat));
  tnps::services::Authenticator authenticator(keys, absl::GetFlag(FLAGS_auth_cache_ttl),
                                              key_lookups, limiter);
  tnps::services::RefusalDelay refusals(absl::GetFlag(FLAGS_refusal_delay), kMaxDelayedRefusals);
  tnps::services::CallExecutor read_calls(authenticator, reads, refusals);
  tnps::services::IngestService ingest(
      authenticator, writer, limiter, refusals,
      {.stream_idle_timeout = absl::GetFlag(FLAGS_stream_idle_timeout),
       .on_rejected = [m](int64_t responses) {
         if (m != nullptr) m->CountRejected(responses);
       }});
  tnps::services::AnalyticsService analytics(analytics_store, attribute_dimensions, read_calls);
  tnps::services::TrainingService training(training_store, training_reads, analytics_store,
                                           read_calls);
  tnps::services::AlertService alerts(
      {.store = alert_store,
       .outbox = alert_outbox,
       .records = records,
       .calls = read_calls,
       .authenticator = authenticator,
       .reads = reads,
       .refusals = refusals},
      {.allow_http_targets = absl::GetFlag(FLAGS_alert_allow_private_targets),
       .max_watches = absl::GetFlag(FLAGS_max_watches),
       .max_watches_per_tenant = absl::GetFlag(FLAGS_max_watches_per_tenant),
       .watch_stall_timeout = absl::GetFlag(FLAGS_stream_idle_timeout)});
  tnps::services::AlertDeliverer deliverer(
      delivery_outbox,
      {.max_in_flight = absl::GetFlag(FLAGS_alert_max_in_flight),
       .retry = {.first_delay = absl::GetFlag(FLAGS_alert_retry_first_delay),
                 .give_up_after = absl::GetFlag(FLAGS_alert_give_up_after)},
       .http = {.connect_timeout = absl::GetFlag(FLAGS_alert_connect_timeout),
                .total_timeout = absl::GetFlag(FLAGS_alert_timeout),
                .allow_private_targets = absl::GetFlag(FLAGS_alert_allow_private_targets),
                .ca_file = absl::GetFlag(FLAGS_alert_ca_file)},
       .on_attempt = [m](absl::string_view result) {
         if (m != nullptr) m->CountAlertAttempt(result);
       }});
  tnps::services::ResponseService response_records(
      records, read_calls, authenticator, reads, refusals,
      {.max_exports = absl::GetFlag(FLAGS_max_exports),
       .export_stall_timeout = absl::GetFlag(FLAGS_stream_idle_timeout)});

  grpc::EnableDefaultHealthCheckService(true);
  // Links the health protocol's descriptors into the pool server reflection
  // reads, so that generic clients can describe and call it.
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, security->credentials, &port);
  builder.SetMaxReceiveMessageSize(absl::GetFlag(FLAGS_max_message_bytes));
  // Bounds on what any client can make the server hold: calls per
  // connection, idle and dead connections, gRPC's memory, and the threads of
  // the one synchronous service left (reflection).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                             absl::GetFlag(FLAGS_max_concurrent_streams));
  builder.AddChannelArgument(
      GRPC_ARG_MAX_CONNECTION_IDLE_MS,
      static_cast<int>(absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_max_connection_idle))));
  builder.AddChannelArgument(
      GRPC_ARG_KEEPALIVE_TIME_MS,
      static_cast<int>(absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_keepalive_time))));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20000);
  // gRPC sets SO_REUSEPORT by default, so a second server on the same port
  // would silently share its calls (an old build left running, say): the
  // second one fails to start instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  if (m != nullptr || absl::GetFlag(FLAGS_access_log)) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> observers;
    observers.push_back(std::make_unique<tnps::services::CallObserverFactory>(
        authenticator,
        tnps::services::CallObserverOptions{
            .metrics = m,
            .log_sample_rate = absl::GetFlag(FLAGS_access_log) ? log_sample_rate : 0}));
    builder.experimental().SetInterceptorCreators(std::move(observers));
  }
  grpc::ResourceQuota quota("tnps-server");
  quota.Resize(static_cast<size_t>(absl::GetFlag(FLAGS_grpc_memory_bytes)));
  quota.SetMaxThreads(kSyncServiceThreads);
  builder.SetResourceQuota(quota);
  builder.RegisterService(&ingest);
  builder.RegisterService(&analytics);
  builder.RegisterService(&training);
  builder.RegisterService(&response_records);
  builder.RegisterService(&alerts);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail(1, absl::StrCat("cannot listen on ", listen));
  }
  // What /healthz says (with --metrics_listen): the database check's last
  // answer, until draining begins.
  std::atomic<bool> database_reachable{true};
  std::atomic<bool> draining{false};
  if (m != nullptr) {
    m->WatchPool("ingest", ingest_pool);
    m->WatchPool("read", read_pool);
    m->WatchPool("key", key_pool);
    m->WatchPool("background", background_pool);
    m->WatchPool("alert", alert_pool);
    if (standby_pool) m->WatchPool("standby", *standby_pool);
    m->WatchQueue("tnps_ingest_queued_responses",
                  "Responses waiting for a group-commit transaction.",
                  [&writer] { return static_cast<double>(writer.queued_rows()); });
    m->WatchQueue("tnps_rate_limit_replicas",
                  "Server replicas this one counts as sharing each API key's rate limits.",
                  [&limiter] { return static_cast<double>(limiter.replicas()); });
    m->WatchQueue("tnps_read_queued_calls",
                  "Analytics, training, response and alert calls waiting for a read thread.",
                  [&reads] { return static_cast<double>(reads.queued()); });
    absl::StatusOr<int> metrics_port = m->Serve(metrics_listen, [&database_reachable, &draining] {
      return database_reachable.load() && !draining.load();
    });
    if (!metrics_port.ok()) return Fail(1, metrics_port.status().message());
    Log(LogLevel::kInfo, "serving metrics",
        {{"metrics_address",
          absl::StrCat(metrics_listen.substr(0, metrics_listen.rfind(':')), ":", *metrics_port)}});
  }
  // The line ServerProcess (tests/e2e) and the scripts wait for.
  Log(LogLevel::kInfo, "listening",
      {{"address", absl::StrCat(listen.substr(0, listen.rfind(':')), ":", port)},
       {"security", security->description}});
  // Health by service name too ("tnps.v1.IngestService"...), as load
  // balancers and Kubernetes probes ask; the database check sets them all.
  grpc::HealthCheckServiceInterface& health_service = *server->GetHealthCheckService();
  for (const char* name : kServiceNames) health_service.SetServingStatus(name, true);
  tnps::services::DatabaseHealth health(
      background_pool, health_service, absl::Seconds(2),
      [m, &database_reachable](const tnps::services::DatabaseCheck& check) {
        database_reachable = check.serving();
        if (m != nullptr) m->ObserveDatabaseCheck(check.reachable, check.took);
      });
  compactor.Start({.idle_period = absl::GetFlag(FLAGS_compact_interval),
                   .max_backfill_responses = std::clamp<int64_t>(
                       absl::GetFlag(FLAGS_attribute_backfill_batch), 1, 1'000'000),
                   .busy_share = absl::GetFlag(FLAGS_compact_busy_share),
                   .on_round = [m](const tnps::storage::CompactionRound& round) {
                     if (m != nullptr) m->ObserveCompaction(round);
                   }});
  deliverer.Start();
  retention.Start({.period = absl::GetFlag(FLAGS_retention_interval),
                   .batch_rows = absl::GetFlag(FLAGS_retention_batch_rows),
                   .busy_share = absl::GetFlag(FLAGS_retention_busy_share)});

  // Blocked in main() before any thread started, so only this wait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  // NOT_SERVING first (for good: later database checks change nothing),
  // while still serving, so that load balancers move calls away; then no
  // new calls, and those in flight get up to 10 s.
  const absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  Log(LogLevel::kInfo, "NOT_SERVING; draining",
      {{"signal", signal_number}, {"grace", absl::FormatDuration(grace)}});
  draining = true;
  health_service.Shutdown();
  // The other replicas take this one's share of the rate limits.
  heartbeat.Leave();
  absl::SleepFor(grace);
  const absl::Time drain_start = absl::Now();
  const int64_t written_before = writer.rows_written();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  // Scrapes read the pools and queues destroyed after this function
  // returns; the counters stay until then for the background work's end.
  if (m != nullptr) m->StopServing();
  Log(LogLevel::kInfo, "drained: every call finished; stopping the background work",
      {{"drain_ms", absl::ToDoubleMilliseconds(absl::Now() - drain_start)},
       {"responses_written_while_draining", writer.rows_written() - written_before}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  absl::SetProgramUsageMessage("Serves the tnps gRPC API.");
  if (tnps::services::AsksForHelp(std::vector<std::string>(argv + 1, argv + argc))) {
    std::printf(
        "tnps-server [FLAGS]: serves the tnps gRPC API (README.md, docs/operations.md).\n"
        "Every flag can also be set through the TNPS_* variable its help names; secrets\n"
        "through a file (--database_url_file).\n\n%s",
        tnps::services::FlagList({"tnps_server_main"}, false, [](const absl::CommandLineFlag&) {
          return true;
        }).c_str());
    return 0;
  }
  absl::ParseCommandLine(argc, argv);
  if (absl::Status loaded = tnps::services::LoadSecret(FLAGS_database_url, "TNPS_DATABASE_URL",
                                                       absl::GetFlag(FLAGS_database_url_file));
      !loaded.ok()) {
    return Fail(2, loaded.message());
  }
  if (absl::Status loaded =
          tnps::services::LoadSecret(FLAGS_read_database_url, "TNPS_READ_DATABASE_URL",
                                     absl::GetFlag(FLAGS_read_database_url_file));
      !loaded.ok()) {
    return Fail(2, loaded.message());
  }
  return Serve();
}
