// The one place libpqxx exceptions become absl::Status values.
#ifndef TNPS_STORAGE_PG_ERROR_H_
#define TNPS_STORAGE_PG_ERROR_H_

#include "absl/status/status.h"

namespace tnps::storage {

struct PgFailure {
  absl::Status status;
  // The connection cannot be used again (lost, refused, server shutting down).
  bool connection_lost = false;
  // The transaction was rolled back whole (deadlock, serialization failure)
  // and may simply be run again.
  bool retryable = false;
};

// Classifies the exception being handled; call only inside a catch block.
// A lost or refused connection is UNAVAILABLE, a statement timeout
// DEADLINE_EXCEEDED, a rollback ABORTED, anything else INTERNAL.
PgFailure ClassifyCurrentException();

}  // namespace tnps::storage

#endif  // TNPS_STORAGE_PG_ERROR_H_
