#include "storage/pg_error.h"

#include <exception>
#include <pqxx/pqxx>
#include <string>

#include "absl/strings/str_cat.h"

namespace tnps::storage {
namespace {

// SQLSTATEs after which the connection cannot be trusted: class 08
// (connection exception), operator intervention (shutdown, crash, recovery),
// too many connections, and a write refused as read-only (25006): the
// server became a standby after a failover, and a new connection (through
// HAProxy's write port, or target_session_attrs=read-write) reaches the new
// primary.
bool IsConnectionState(const std::string& state) {
  return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03" ||
         state == "53300" || state == "25006";
}

}  // namespace

PgFailure ClassifyCurrentException() {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    return {absl::UnavailableError(absl::StrCat("database unavailable: ", e.what())), true, false};
  } catch (const pqxx::in_doubt_error& e) {
    return {absl::UnavailableError("lost the database connection during commit; the outcome is "
                                   "unknown, so retry (ingest is idempotent)"),
            true, false};
  } catch (const pqxx::transaction_rollback& e) {
    return {absl::AbortedError(absl::StrCat("transaction rolled back: ", e.what())), false, true};
  } catch (const pqxx::sql_error& e) {
    if (IsConnectionState(e.sqlstate())) {
      return {absl::UnavailableError(absl::StrCat("database unavailable: ", e.what())), true,
              false};
    }
    if (e.sqlstate() == "57014") {
      return {absl::DeadlineExceededError("the database statement timed out"), false, false};
    }
    return {absl::InternalError(absl::StrCat("database error ", e.sqlstate(), ": ", e.what())),
            false, false};
  } catch (const std::exception& e) {
    return {absl::InternalError(absl::StrCat("database access failed: ", e.what())), false, false};
  } catch (...) {
    return {absl::InternalError("database access failed with an unknown exception"), false, false};
  }
}

}  // namespace tnps::storage
