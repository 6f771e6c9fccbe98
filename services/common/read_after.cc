#include "services/common/read_after.h"

#include <optional>

#include "core/consistency_token.h"
#include "storage/call_limits.h"

namespace tnps::services {

void ReadAfterToken(const std::string& token, std::vector<core::FieldViolation>& violations) {
  std::string problem;
  const std::optional<core::WalPosition> position = core::ParseConsistencyToken(token, &problem);
  if (!position) {
    violations.push_back({"consistency_token", problem});
    return;
  }
  if (*position != 0) storage::ReadAfter(*position);
}

}  // namespace tnps::services
