// Applies the schema migrations in migrations/ to a database: in order, one
// transaction per file, each recorded with its checksum in schema_migrations,
// under an advisory lock so that replicas starting together are safe.
#ifndef TNPS_STORAGE_MIGRATION_RUNNER_H_
#define TNPS_STORAGE_MIGRATION_RUNNER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tnps::storage {

struct MigrationSource {
  int version;
  std::string title;
  std::string up_sql;
  std::string down_sql;
};

// The migrations compiled into this binary (generated from migrations/).
const std::vector<MigrationSource>& EmbeddedMigrations();

struct MigrationState {
  int version;
  std::string title;
  bool applied;
};

class MigrationRunner {
 public:
  explicit MigrationRunner(std::string database_url,
                           std::vector<MigrationSource> migrations = EmbeddedMigrations());

  // Applies every pending migration; returns the versions applied now.
  // FAILED_PRECONDITION if an applied migration's checksum differs from the
  // file's, or the database has a migration this binary does not know.
  absl::StatusOr<std::vector<int>> Up();

  // Reverts applied migrations newer than `target_version`, newest first;
  // returns the versions reverted.
  absl::StatusOr<std::vector<int>> DownTo(int target_version);

  // Every known migration and whether it is applied.
  absl::StatusOr<std::vector<MigrationState>> Status();

 private:
  const std::string database_url_;
  const std::vector<MigrationSource> migrations_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_MIGRATION_RUNNER_H_
