// The roles an API key can carry and what each may do.
#ifndef TNPS_CORE_ROLE_H_
#define TNPS_CORE_ROLE_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace tnps::core {

// `ingest` is for CRM integrations, `read` for BI, `admin` for HR and
// operators; admin may do everything the others may.
enum class Role { kIngest, kRead, kAdmin };

absl::string_view RoleName(Role role);
std::optional<Role> ParseRole(absl::string_view name);

// Whether a key with role `held` may call an RPC that needs `needed`.
bool RoleGrants(Role held, Role needed);

}  // namespace tnps::core

#endif  // TNPS_CORE_ROLE_H_
