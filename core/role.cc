#include "core/role.h"

namespace tnps::core {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kIngest:
      return "ingest";
    case Role::kRead:
      return "read";
    case Role::kAdmin:
      return "admin";
  }
  return "";
}

std::optional<Role> ParseRole(absl::string_view name) {
  for (Role role : {Role::kIngest, Role::kRead, Role::kAdmin}) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

bool RoleGrants(Role held, Role needed) { return held == Role::kAdmin || held == needed; }

}  // namespace tnps::core
