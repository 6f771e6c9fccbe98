// The response attribute keys a tenant declares as dimensions (journey
// touchpoints such as "queue" or "ivr_path"), counted in rollups of their
// own (migrations/0020_attribute_dimensions.up.sql): declaring one,
// listing them with their back-fill's progress, removing one.
#ifndef TNPS_STORAGE_ATTRIBUTE_DIMENSIONS_H_
#define TNPS_STORAGE_ATTRIBUTE_DIMENSIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/connection_pool.h"

namespace tnps::storage {

// Keys a tenant may declare.
inline constexpr int kMaxAttributeDimensions = 8;

struct AttributeDimension {
  std::string key;
  absl::Time declared_at;
  // Ready: every response written before the declaration is counted, so
  // reads on the key are exact; until then they are refused.
  bool ready = false;
  // Responses written before the declaration that the back-fill has
  // counted so far (those with the key, counted in the rollups).
  int64_t backfilled_responses = 0;
  absl::Time backfill_done_at;  // InfinitePast until ready
};

class AttributeDimensions {
 public:
  explicit AttributeDimensions(ConnectionPool& pool);

  // Declares `key` (checked by the caller) for `tenant_id`: responses
  // written from now on are counted at once, older ones by the compactor's
  // back-fill. Returns false if it was declared already.
  // FailedPrecondition if the tenant has kMaxAttributeDimensions keys. Holds the tenant's
  // counting lock only for the declaration itself.
  absl::StatusOr<bool> Declare(int64_t tenant_id, const std::string& key);
  // The tenant's keys, in declaration order.
  absl::StatusOr<std::vector<AttributeDimension>> List(int64_t tenant_id);
  // Removes `key` and its counts; NotFound if it is not declared.
  absl::Status Remove(int64_t tenant_id, const std::string& key);

 private:
  ConnectionPool& pool_;
};

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_ATTRIBUTE_DIMENSIONS_H_
