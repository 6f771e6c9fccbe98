// The token that carries read-your-writes from an ingest call to a read
// that may be served by a standby: the primary's WAL position once the
// write committed. Clients treat it as opaque; its text may change between
// versions, and the parser names what is wrong with one it cannot read.
#ifndef TNPS_CORE_CONSISTENCY_TOKEN_H_
#define TNPS_CORE_CONSISTENCY_TOKEN_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace tnps::core {

// A WAL position (PostgreSQL's pg_lsn) as a byte offset; 0 is "none".
using WalPosition = uint64_t;

// "w1." followed by the position in 16 lowercase hex digits.
std::string FormatConsistencyToken(WalPosition position);

// The position a token carries; 0 for "" (no token). nullopt, with the
// reason in `problem`, for anything FormatConsistencyToken cannot have
// written.
std::optional<WalPosition> ParseConsistencyToken(absl::string_view token, std::string* problem);

// The later of two tokens' positions, for a call whose writes committed in
// several transactions.
inline WalPosition LaterPosition(WalPosition a, WalPosition b) { return a > b ? a : b; }

}  // namespace tnps::core

#endif  // TNPS_CORE_CONSISTENCY_TOKEN_H_
