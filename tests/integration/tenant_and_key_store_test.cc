#include <gtest/gtest.h>

#include "storage/api_key_store.h"
#include "storage/connection_pool.h"
#include "storage/tenant_store.h"
#include "tests/support/test_database.h"

namespace tnps::storage {
namespace {

class TenantAndKeyStoreTest : public ::testing::Test {
 protected:
  tnps::testing::TestDatabase db_;
  // The operator's role, as tnpsctl connects.
  ConnectionPool pool_{{.database_url = db_.owner_url(), .size = 2}};
  TenantStore tenants_{pool_};
  ApiKeyStore keys_{pool_};
};

TEST_F(TenantAndKeyStoreTest, CreatesTenantWithItsTimeZone) {
  absl::StatusOr<Tenant> tenant = tenants_.Create("acme", "Europe/Zurich");
  ASSERT_TRUE(tenant.ok()) << tenant.status();
  absl::StatusOr<Tenant> found = tenants_.FindByName("acme");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->tenant_id, tenant->tenant_id);
  EXPECT_EQ(found->time_zone, "Europe/Zurich");
}

TEST_F(TenantAndKeyStoreTest, RejectsDuplicateNamesAndUnknownZones) {
  ASSERT_TRUE(tenants_.Create("acme", "UTC").ok());
  EXPECT_TRUE(absl::IsAlreadyExists(tenants_.Create("acme", "UTC").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(tenants_.Create("other", "Mars/Base").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(tenants_.Create("bad name", "UTC").status()));
  EXPECT_TRUE(absl::IsNotFound(tenants_.FindByName("nobody").status()));
}

TEST_F(TenantAndKeyStoreTest, IssuedKeyAuthenticatesToItsTenantAndRole) {
  absl::StatusOr<Tenant> tenant = tenants_.Create("acme", "UTC");
  ASSERT_TRUE(tenant.ok());
  absl::StatusOr<IssuedKey> key = keys_.Issue("acme", core::Role::kRead);
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<Principal> principal = keys_.Authenticate(key->key);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->tenant_id, tenant->tenant_id);
  EXPECT_EQ(principal->role, core::Role::kRead);
  EXPECT_EQ(principal->key_id, key->key_id);
}

TEST_F(TenantAndKeyStoreTest, OnlyTheHashOfTheSecretIsStored) {
  ASSERT_TRUE(tenants_.Create("acme", "UTC").ok());
  absl::StatusOr<IssuedKey> key = keys_.Issue("acme", core::Role::kIngest);
  ASSERT_TRUE(key.ok());
  const std::string secret = key->key.substr(key->key.rfind('_') + 1);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM api_keys WHERE encode(secret_sha256, 'hex') = '" +
                         secret + "'"),
            0);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM api_keys WHERE secret_sha256 = sha256('" + secret +
                         "'::bytea)"),
            1);
}

TEST_F(TenantAndKeyStoreTest, RevokedWrongAndUnknownKeysAreUnauthenticated) {
  ASSERT_TRUE(tenants_.Create("acme", "UTC").ok());
  absl::StatusOr<IssuedKey> key = keys_.Issue("acme", core::Role::kIngest);
  ASSERT_TRUE(key.ok());
  std::string wrong_secret = key->key;
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';
  EXPECT_TRUE(absl::IsUnauthenticated(keys_.Authenticate(wrong_secret).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(keys_.Authenticate("tnps_nonsense").status()));
  ASSERT_TRUE(keys_.Revoke(key->key_id).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(keys_.Authenticate(key->key).status()));
  EXPECT_TRUE(absl::IsNotFound(keys_.Revoke("0000000000000000")));
}

TEST_F(TenantAndKeyStoreTest, KeysForUnknownTenantsAreNotIssued) {
  EXPECT_TRUE(absl::IsNotFound(keys_.Issue("nobody", core::Role::kAdmin).status()));
}

TEST(ConnectionPool, UnreachableDatabaseIsUnavailable) {
  ConnectionPool pool(
      {.database_url = "host=127.0.0.1 port=1 dbname=x connect_timeout=2", .size = 1});
  absl::Status status = pool.Ping();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
}

}  // namespace
}  // namespace tnps::storage
