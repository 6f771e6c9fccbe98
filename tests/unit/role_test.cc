#include "core/role.h"

#include <gtest/gtest.h>

namespace tnps::core {
namespace {

TEST(Role, AdminMayDoEverything) {
  EXPECT_TRUE(RoleGrants(Role::kAdmin, Role::kIngest));
  EXPECT_TRUE(RoleGrants(Role::kAdmin, Role::kRead));
  EXPECT_TRUE(RoleGrants(Role::kAdmin, Role::kAdmin));
}

TEST(Role, ReadAndIngestAreSeparate) {
  EXPECT_FALSE(RoleGrants(Role::kRead, Role::kIngest));
  EXPECT_FALSE(RoleGrants(Role::kIngest, Role::kRead));
  EXPECT_FALSE(RoleGrants(Role::kIngest, Role::kAdmin));
}

TEST(Role, NamesRoundTrip) {
  for (Role role : {Role::kIngest, Role::kRead, Role::kAdmin}) {
    EXPECT_EQ(ParseRole(RoleName(role)), role);
  }
  EXPECT_EQ(ParseRole("root"), std::nullopt);
}

}  // namespace
}  // namespace tnps::core
