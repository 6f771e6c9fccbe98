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
  // As tnps-server authenticates: the runtime role.
  ConnectionPool app_pool_{{.database_url = db_.url(), .size = 1}};
  ApiKeyStore server_keys_{app_pool_};

  // Seconds from now to the key's column `column` (negative: in the past).
  int64_t SecondsUntil(const std::string& key_id, const std::string& column) {
    return db_.QueryInt("SELECT round(extract(epoch FROM " + column +
                        " - now()))::bigint FROM api_keys WHERE key_id = '" + key_id + "'");
  }
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

TEST_F(TenantAndKeyStoreTest, ExpiredKeysAreUnauthenticated) {
  ASSERT_TRUE(tenants_.Create("acme", "UTC").ok());
  const absl::Time in_an_hour = absl::Now() + absl::Hours(1);
  absl::StatusOr<IssuedKey> key = keys_.Issue("acme", core::Role::kRead, in_an_hour);
  ASSERT_TRUE(key.ok()) << key.status();
  absl::StatusOr<Principal> principal = server_keys_.Authenticate(key->key);
  ASSERT_TRUE(principal.ok()) << principal.status();
  ASSERT_TRUE(principal->expires_at.has_value());
  EXPECT_LT(absl::AbsDuration(*principal->expires_at - in_an_hour), absl::Milliseconds(1));
  db_.Exec("UPDATE api_keys SET expires_at = now() - interval '1 second'");
  EXPECT_TRUE(absl::IsUnauthenticated(server_keys_.Authenticate(key->key).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      keys_.Issue("acme", core::Role::kRead, absl::Now() - absl::Seconds(1)).status()));
  absl::StatusOr<std::vector<ApiKeyInfo>> listed = keys_.List("acme");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_TRUE((*listed)[0].expires_at.has_value());
  EXPECT_FALSE((*listed)[0].revoked_at.has_value());
}

TEST_F(TenantAndKeyStoreTest, RotationKeepsTheOldKeyForTheGracePeriodOnly) {
  ASSERT_TRUE(tenants_.Create("acme", "UTC").ok());
  absl::StatusOr<IssuedKey> old_key = keys_.Issue("acme", core::Role::kIngest);
  ASSERT_TRUE(old_key.ok());
  absl::StatusOr<IssuedKey> new_key = keys_.Rotate(old_key->key_id, absl::Hours(24));
  ASSERT_TRUE(new_key.ok()) << new_key.status();
  EXPECT_NE(new_key->key_id, old_key->key_id);
  // Both valid during the grace period, for the same tenant and role.
  for (const IssuedKey* key : {&*old_key, &*new_key}) {
    absl::StatusOr<Principal> p = server_keys_.Authenticate(key->key);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(p->role, core::Role::kIngest);
    EXPECT_EQ(p->tenant_id, db_.QueryInt("SELECT tenant_id FROM tenants WHERE name = 'acme'"));
  }
  EXPECT_NEAR(SecondsUntil(old_key->key_id, "expires_at"), 24 * 3600, 5);
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM api_keys WHERE key_id = '" + new_key->key_id +
                         "' AND expires_at IS NULL"),
            1);
  // Rotating again with no grace ends the previous key at once; an expired
  // or revoked key cannot be rotated.
  absl::StatusOr<IssuedKey> third = keys_.Rotate(new_key->key_id, absl::ZeroDuration());
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_TRUE(absl::IsUnauthenticated(server_keys_.Authenticate(new_key->key).status()));
  EXPECT_TRUE(server_keys_.Authenticate(third->key).ok());
  EXPECT_TRUE(absl::IsNotFound(keys_.Rotate(new_key->key_id, absl::Hours(1)).status()));
  ASSERT_TRUE(keys_.Revoke(third->key_id).ok());
  EXPECT_TRUE(absl::IsNotFound(keys_.Rotate(third->key_id, absl::Hours(1)).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_.Rotate(old_key->key_id, -absl::Seconds(1)).status()));
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM api_keys"), 3);
}

TEST_F(TenantAndKeyStoreTest, LastUseIsRecordedToTheHour) {
  ASSERT_TRUE(tenants_.Create("acme", "UTC").ok());
  absl::StatusOr<IssuedKey> key = keys_.Issue("acme", core::Role::kRead);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM api_keys WHERE last_used_at IS NULL"), 1);
  ASSERT_TRUE(server_keys_.Authenticate(key->key).ok());
  EXPECT_NEAR(SecondsUntil(key->key_id, "last_used_at"), 0, 5);
  // Used 30 minutes ago: not written again.
  db_.Exec("UPDATE api_keys SET last_used_at = now() - interval '30 minutes'");
  ASSERT_TRUE(server_keys_.Authenticate(key->key).ok());
  EXPECT_NEAR(SecondsUntil(key->key_id, "last_used_at"), -1800, 5);
  // Used two hours ago: written.
  db_.Exec("UPDATE api_keys SET last_used_at = now() - interval '2 hours'");
  ASSERT_TRUE(server_keys_.Authenticate(key->key).ok());
  EXPECT_NEAR(SecondsUntil(key->key_id, "last_used_at"), 0, 5);
  absl::StatusOr<std::vector<ApiKeyInfo>> listed = keys_.List("acme");
  ASSERT_TRUE(listed.ok());
  ASSERT_TRUE((*listed)[0].last_used_at.has_value());
  // A failed check records nothing.
  db_.Exec("UPDATE api_keys SET last_used_at = NULL");
  std::string wrong = key->key;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_FALSE(server_keys_.Authenticate(wrong).ok());
  EXPECT_EQ(db_.QueryInt("SELECT count(*) FROM api_keys WHERE last_used_at IS NULL"), 1);
}

TEST_F(TenantAndKeyStoreTest, KeysForUnknownTenantsAreNotIssued) {
  EXPECT_TRUE(absl::IsNotFound(keys_.Issue("nobody", core::Role::kAdmin).status()));
}

TEST(ConnectionPool, UnreachableDatabaseIsUnavailable) {
  ConnectionPool pool(
      {.database_url = "host=127.0.0.1 port=1 dbname=x connect_timeout=2", .size = 1});
  absl::Status status = pool.InRecovery().status();
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
}

}  // namespace
}  // namespace tnps::storage
