#include "storage/migration_runner.h"

#include <algorithm>
#include <functional>
#include <map>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/pg_error.h"
#include "storage/sha256.h"

namespace tnps::storage {
namespace {

// Arbitrary but fixed: the bytes of "tnpsmigr".
constexpr long long kAdvisoryLockKey = 0x746e70736d696772;

constexpr char kCreateLedger[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  title      text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
))sql";

constexpr char kSelectApplied[] =
    "SELECT version, checksum FROM schema_migrations ORDER BY version";
constexpr char kRecordApplied[] =
    "INSERT INTO schema_migrations (version, title, checksum) VALUES ($1, $2, $3)";
constexpr char kForgetApplied[] = "DELETE FROM schema_migrations WHERE version = $1";

std::string Checksum(const MigrationSource& m) { return HexEncode(Sha256(m.up_sql)); }

// Runs `body` on a fresh connection holding the migration lock; the lock is
// released when the session ends, even if the process dies.
absl::Status WithMigrationLock(const std::string& url,
                               const std::function<absl::Status(pqxx::connection&)>& body) {
  try {
    pqxx::connection conn(url);
    pqxx::nontransaction(conn).exec_params1("SELECT pg_advisory_lock($1)", kAdvisoryLockKey);
    {
      pqxx::work txn(conn);
      txn.exec0(kCreateLedger);
      txn.commit();
    }
    absl::Status status = body(conn);
    pqxx::nontransaction(conn).exec_params1("SELECT pg_advisory_unlock($1)", kAdvisoryLockKey);
    return status;
  } catch (...) {
    return ClassifyCurrentException().status;
  }
}

// version -> checksum of every applied migration.
std::map<int, std::string> ReadApplied(pqxx::connection& conn) {
  std::map<int, std::string> applied;
  pqxx::nontransaction txn(conn);
  for (const auto& row : txn.exec(kSelectApplied)) {
    applied[row[0].as<int>()] = row[1].as<std::string>();
  }
  return applied;
}

absl::Status CheckConsistent(const std::vector<MigrationSource>& known,
                             const std::map<int, std::string>& applied) {
  for (const auto& [version, checksum] : applied) {
    auto it = std::find_if(known.begin(), known.end(),
                           [v = version](const MigrationSource& m) { return m.version == v; });
    if (it == known.end()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the database has migration ", version,
                       " which this binary does not know; run a newer "
                       "build"));
    }
    if (Checksum(*it) != checksum) {
      return absl::FailedPreconditionError(absl::StrCat(
          "migration ", version, "_", it->title,
          " was changed after it was applied (checksum mismatch); add a new migration instead"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

MigrationRunner::MigrationRunner(std::string database_url, std::vector<MigrationSource> migrations)
    : database_url_(std::move(database_url)), migrations_(std::move(migrations)) {}

absl::StatusOr<std::vector<int>> MigrationRunner::Up() {
  std::vector<int> done;
  absl::Status status = WithMigrationLock(database_url_, [&](pqxx::connection& conn) {
    const std::map<int, std::string> applied = ReadApplied(conn);
    if (absl::Status s = CheckConsistent(migrations_, applied); !s.ok()) return s;
    std::vector<const MigrationSource*> pending;
    for (const auto& m : migrations_) {
      if (!applied.contains(m.version)) pending.push_back(&m);
    }
    std::sort(pending.begin(), pending.end(),
              [](auto* a, auto* b) { return a->version < b->version; });
    for (const MigrationSource* m : pending) {
      pqxx::work txn(conn);
      txn.exec0(m->up_sql);
      txn.exec_params0(kRecordApplied, m->version, m->title, Checksum(*m));
      txn.commit();
      done.push_back(m->version);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return done;
}

absl::StatusOr<std::vector<int>> MigrationRunner::DownTo(int target_version) {
  std::vector<int> done;
  absl::Status status = WithMigrationLock(database_url_, [&](pqxx::connection& conn) {
    const std::map<int, std::string> applied = ReadApplied(conn);
    if (absl::Status s = CheckConsistent(migrations_, applied); !s.ok()) return s;
    for (auto it = applied.rbegin(); it != applied.rend() && it->first > target_version; ++it) {
      const MigrationSource& m =
          *std::find_if(migrations_.begin(), migrations_.end(),
                        [v = it->first](const MigrationSource& s) { return s.version == v; });
      pqxx::work txn(conn);
      txn.exec0(m.down_sql);
      txn.exec_params0(kForgetApplied, m.version);
      txn.commit();
      done.push_back(m.version);
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return done;
}

absl::StatusOr<std::vector<MigrationState>> MigrationRunner::Status() {
  std::vector<MigrationState> states;
  absl::Status status = WithMigrationLock(database_url_, [&](pqxx::connection& conn) {
    const std::map<int, std::string> applied = ReadApplied(conn);
    for (const auto& m : migrations_) {
      states.push_back({m.version, m.title, applied.contains(m.version)});
    }
    std::sort(states.begin(), states.end(),
              [](const auto& a, const auto& b) { return a.version < b.version; });
    return CheckConsistent(migrations_, applied);
  });
  if (!status.ok()) return status;
  return states;
}

}  // namespace tnps::storage
