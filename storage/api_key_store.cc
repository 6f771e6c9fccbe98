#include "storage/api_key_store.h"

#include <openssl/crypto.h>

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/api_key.h"
#include "storage/audit_log.h"
#include "storage/pg_text.h"
#include "storage/sha256.h"

namespace tnps::storage {
namespace {

constexpr char kInsertKey[] = "api_key_insert";
constexpr char kInsertKeySql[] = R"sql(
INSERT INTO api_keys (key_id, tenant_id, secret_sha256, role, expires_at)
SELECT $1, tenant_id, decode($2, 'hex'), $3, $5::timestamptz FROM tenants WHERE name = $4
RETURNING tenant_id)sql";
// The key a rotation replaces: valid now, locked until the rotation commits.
constexpr char kRotatedKey[] = "api_key_rotated";
constexpr char kRotatedKeySql[] = R"sql(
SELECT t.name, k.role, k.tenant_id FROM api_keys k JOIN tenants t USING (tenant_id)
WHERE k.key_id = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
FOR UPDATE OF k)sql";
constexpr char kExpireKey[] = "api_key_expire";
constexpr char kExpireKeySql[] = R"sql(
UPDATE api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), now() + $2::interval)
WHERE key_id = $1)sql";
// At most one write per key and kLastUseResolution (per server, when its
// cache looks the key up again).
constexpr char kRecordUse[] = "api_key_record_use";
constexpr char kRecordUseSql[] = R"sql(
UPDATE api_keys SET last_used_at = now()
WHERE key_id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 hour'))sql";
constexpr char kRevokeKey[] = "api_key_revoke";
constexpr char kRevokeKeySql[] = R"sql(
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE key_id = $1
RETURNING tenant_id)sql";
constexpr char kSelectKey[] = "api_key_by_id";
constexpr char kSelectKeySql[] = R"sql(
SELECT k.tenant_id, encode(k.secret_sha256, 'hex'), k.role, t.time_zone,
       l.calls_per_second, l.call_burst, l.rows_per_second, l.row_burst,
       (extract(epoch FROM k.expires_at) * 1000000)::bigint,
       k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 hour',
       encode(t.id_key, 'hex')
FROM api_keys k JOIN tenants t USING (tenant_id)
LEFT JOIN tenant_rate_limits l USING (tenant_id)
WHERE k.key_id = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()))sql";
constexpr char kSelectTenantKeys[] = "api_keys_of_tenant";
constexpr char kSelectTenantKeysSql[] = R"sql(
SELECT t.tenant_id, k.key_id, k.role,
       (extract(epoch FROM k.created_at) * 1000000)::bigint,
       (extract(epoch FROM k.revoked_at) * 1000000)::bigint,
       (extract(epoch FROM k.expires_at) * 1000000)::bigint,
       (extract(epoch FROM k.last_used_at) * 1000000)::bigint
FROM tenants t LEFT JOIN api_keys k USING (tenant_id)
WHERE t.name = $1
ORDER BY k.created_at, k.key_id)sql";

absl::Status Unauthenticated() {
  return absl::UnauthenticatedError("invalid, revoked or expired API key");
}

std::optional<absl::Time> OptionalTime(const pqxx::field& micros) {
  if (micros.is_null()) return std::nullopt;
  return absl::FromUnixMicros(micros.as<int64_t>());
}

// A timestamptz parameter: NULL for nullopt.
std::optional<std::string> TimeParam(std::optional<absl::Time> t) {
  if (!t) return std::nullopt;
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", *t, absl::UTCTimeZone());
}

IssuedKey NewKey() {
  IssuedKey issued;
  issued.key_id = HexEncode(RandomBytes(core::kApiKeyIdHexDigits / 2));
  const std::string secret = HexEncode(RandomBytes(core::kApiKeySecretHexDigits / 2));
  issued.key = core::FormatApiKey(issued.key_id, secret);
  return issued;
}

// The hex SHA-256 of the secret part of a key made by NewKey.
std::string SecretHash(const IssuedKey& key) {
  return HexEncode(Sha256(core::ParseApiKey(key.key)->secret));
}

}  // namespace

ApiKeyStore::ApiKeyStore(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kInsertKey, kInsertKeySql);
  pool_.Prepare(kRevokeKey, kRevokeKeySql);
  pool_.Prepare(kRotatedKey, kRotatedKeySql);
  pool_.Prepare(kExpireKey, kExpireKeySql);
  pool_.Prepare(kRecordUse, kRecordUseSql);
  pool_.Prepare(kSelectKey, kSelectKeySql);
  pool_.Prepare(kSelectTenantKeys, kSelectTenantKeysSql);
}

absl::StatusOr<IssuedKey> ApiKeyStore::Issue(absl::string_view tenant_name, core::Role role,
                                             std::optional<absl::Time> expires_at) {
  if (expires_at && *expires_at <= absl::Now()) {
    return absl::InvalidArgumentError("a new key's expiry must be in the future");
  }
  const IssuedKey issued = NewKey();
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<IssuedKey> {
    pqxx::work txn(conn);
    pqxx::result r = txn.exec_prepared(kInsertKey, issued.key_id, SecretHash(issued),
                                       std::string(core::RoleName(role)), std::string(tenant_name),
                                       TimeParam(expires_at));
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no tenant named ", tenant_name));
    AppendAudit(txn, {.tenant_id = r[0][0].as<int64_t>(),
                      .action = "key.create",
                      .target = issued.key_id,
                      .summary_json = JsonObjectText(
                          {{"role", std::string(core::RoleName(role))},
                           {"expires_at", TimeParam(expires_at).value_or("never")}})});
    txn.commit();
    return issued;
  });
}

absl::StatusOr<IssuedKey> ApiKeyStore::Rotate(absl::string_view key_id, absl::Duration grace,
                                              std::optional<absl::Time> expires_at) {
  if (grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("the grace period cannot be negative");
  }
  if (expires_at && *expires_at <= absl::Now()) {
    return absl::InvalidArgumentError("a new key's expiry must be in the future");
  }
  const IssuedKey issued = NewKey();
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<IssuedKey> {
    pqxx::work txn(conn);
    pqxx::result old = txn.exec_prepared(kRotatedKey, std::string(key_id));
    if (old.empty()) {
      return absl::NotFoundError(absl::StrCat("no valid API key ", key_id));
    }
    txn.exec_prepared(kInsertKey, issued.key_id, SecretHash(issued), old[0][1].as<std::string>(),
                      old[0][0].as<std::string>(), TimeParam(expires_at));
    txn.exec_prepared0(kExpireKey, std::string(key_id),
                       absl::StrCat(absl::ToInt64Microseconds(grace), " microseconds"));
    AppendAudit(txn, {.tenant_id = old[0][2].as<int64_t>(),
                      .action = "key.rotate",
                      .target = std::string(key_id),
                      .summary_json = JsonObjectText(
                          {{"new_key", issued.key_id},
                           {"grace", absl::FormatDuration(grace)},
                           {"new_key_expires_at", TimeParam(expires_at).value_or("never")}})});
    txn.commit();
    return issued;
  });
}

absl::Status ApiKeyStore::Revoke(absl::string_view key_id) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::work txn(conn);
    const pqxx::result r = txn.exec_prepared(kRevokeKey, std::string(key_id));
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no API key ", key_id));
    AppendAudit(txn, {.tenant_id = r[0][0].as<int64_t>(),
                      .action = "key.revoke",
                      .target = std::string(key_id)});
    txn.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<Principal> ApiKeyStore::Authenticate(absl::string_view presented_key) {
  absl::StatusOr<core::ApiKeyParts> parts = core::ParseApiKey(presented_key);
  if (!parts.ok()) return Unauthenticated();
  struct StoredKey {
    Principal principal;
    std::string hash;
    bool use_is_stale = false;
  };
  absl::StatusOr<std::optional<StoredKey>> stored =
      pool_.Run([&](pqxx::connection_base& conn) -> std::optional<StoredKey> {
        pqxx::read_transaction txn(conn);
        pqxx::result r = txn.exec_prepared(kSelectKey, parts->key_id);
        if (r.empty()) return std::nullopt;
        std::optional<core::Role> role = core::ParseRole(r[0][2].as<std::string>());
        if (!role) return std::nullopt;
        StoredKey key{{r[0][0].as<int64_t>(), r[0][3].as<std::string>(), parts->key_id, *role},
                      r[0][1].as<std::string>()};
        if (!r[0][4].is_null()) {
          key.principal.rate_limits = core::RateLimits{r[0][4].as<double>(), r[0][5].as<int64_t>(),
                                                       r[0][6].as<double>(), r[0][7].as<int64_t>()};
        }
        key.principal.expires_at = OptionalTime(r[0][8]);
        key.use_is_stale = r[0][9].as<bool>();
        key.principal.response_id_key = absl::HexStringToBytes(r[0][10].as<std::string>());
        return key;
      });
  if (!stored.ok()) return stored.status();
  const std::string presented_hash = HexEncode(Sha256(parts->secret));
  if (!stored->has_value() || (*stored)->hash.size() != presented_hash.size() ||
      CRYPTO_memcmp((*stored)->hash.data(), presented_hash.data(), presented_hash.size()) != 0) {
    return Unauthenticated();
  }
  if ((*stored)->use_is_stale) {
    // Best effort, apart from the check: a failed record costs nothing but
    // the record.
    (void)pool_.Run([&](pqxx::connection_base& conn) {
      pqxx::work txn(conn);
      txn.exec_prepared0(kRecordUse, parts->key_id);
      txn.commit();
      return absl::OkStatus();
    });
  }
  return (*stored)->principal;
}

absl::StatusOr<std::vector<ApiKeyInfo>> ApiKeyStore::List(absl::string_view tenant_name) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<ApiKeyInfo>> {
    pqxx::read_transaction txn(conn);
    pqxx::result r = txn.exec_prepared(kSelectTenantKeys, std::string(tenant_name));
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no tenant named ", tenant_name));
    std::vector<ApiKeyInfo> keys;
    for (const auto& row : r) {
      if (row[1].is_null()) continue;
      keys.push_back({row[1].as<std::string>(),
                      core::ParseRole(row[2].as<std::string>()).value_or(core::Role::kRead),
                      absl::FromUnixMicros(row[3].as<int64_t>()), OptionalTime(row[4]),
                      OptionalTime(row[5]), OptionalTime(row[6])});
    }
    return keys;
  });
}

}  // namespace tnps::storage
