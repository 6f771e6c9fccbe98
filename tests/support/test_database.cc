#include "tests/support/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "storage/database_setup.h"
#include "storage/migration_runner.h"

namespace tnps::testing {

std::string ClusterUrl() {
  const char* url = std::getenv("TNPS_TEST_PG");
  if (url == nullptr || *url == '\0') {
    std::fprintf(stderr,
                 "TNPS_TEST_PG is not set: run the tests through tests/run.sh, which starts a "
                 "throwaway PostgreSQL cluster\n");
    std::abort();
  }
  return url;
}

TestDatabase::TestDatabase(bool migrate) {
  static std::atomic<int> counter{0};
  name_ = absl::StrCat("tnps_test_", getpid(), "_", counter++, "_", std::rand() % 100000);
  if (absl::Status set_up = storage::SetUpDatabase(ClusterUrl(), {.database = name_});
      !set_up.ok()) {
    std::fprintf(stderr, "setting up %s failed: %s\n", name_.c_str(),
                 std::string(set_up.message()).c_str());
    std::abort();
  }
  superuser_url_ = absl::StrCat(ClusterUrl(), " dbname=", name_);
  url_ = absl::StrCat(superuser_url_, " user=", storage::kAppRole);
  owner_url_ = absl::StrCat(superuser_url_, " user=", storage::kOwnerRole);
  if (migrate) {
    absl::StatusOr<std::vector<int>> applied = storage::MigrationRunner(owner_url_).Up();
    if (!applied.ok()) {
      std::fprintf(stderr, "migrating %s failed: %s\n", name_.c_str(),
                   std::string(applied.status().message()).c_str());
      std::abort();
    }
  }
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(absl::StrCat(ClusterUrl(), " dbname=postgres"));
    pqxx::nontransaction(admin).exec0(
        absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dropping %s failed: %s\n", name_.c_str(), e.what());
  }
}

int64_t TestDatabase::QueryInt(const std::string& sql) const {
  pqxx::connection conn(superuser_url_);
  pqxx::nontransaction txn(conn);
  pqxx::row row = txn.exec1(sql);
  return row[0].is_null() ? 0 : row[0].as<int64_t>();
}

std::string TestDatabase::QueryText(const std::string& sql) const {
  pqxx::connection conn(superuser_url_);
  pqxx::nontransaction txn(conn);
  pqxx::row row = txn.exec1(sql);
  return row[0].is_null() ? "" : row[0].as<std::string>();
}

void TestDatabase::Exec(const std::string& sql) const {
  pqxx::connection conn(superuser_url_);
  pqxx::nontransaction(conn).exec0(sql);
}

std::string TestDatabase::UrlAs(const std::string& role) const {
  return absl::StrCat(ClusterUrl(), " dbname=", name_, " user=", role);
}

void TestDatabase::DropLogin(const std::string& role) const {
  Exec(absl::StrCat("DROP OWNED BY ", role));
  pqxx::connection admin(absl::StrCat(ClusterUrl(), " dbname=postgres"));
  pqxx::nontransaction(admin).exec0(absl::StrCat("DROP ROLE ", role));
}

}  // namespace tnps::testing
