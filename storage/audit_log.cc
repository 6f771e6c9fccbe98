#include "storage/audit_log.h"

#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "storage/sha256.h"

namespace tnps::storage {
namespace {

thread_local std::string current_actor;

constexpr char kAppendSql[] = R"sql(
INSERT INTO audit_events (seq, occurred_at, tenant_id, actor, action, target, summary,
                          prev_hash, hash)
VALUES (0, now(), $1::bigint, $2, $3, $4, $5::jsonb, '\x', '\x'))sql";

constexpr char kListSql[] = R"sql(
SELECT e.seq, (extract(epoch FROM e.occurred_at) * 1000000)::bigint, e.tenant_id,
       coalesce(t.name, ''), e.actor, e.action, e.target, e.summary::text
FROM audit_events e LEFT JOIN tenants t USING (tenant_id)
WHERE ($1 = '' OR e.tenant_id = (SELECT tenant_id FROM tenants WHERE name = $1))
  AND e.occurred_at >= $2::timestamptz
ORDER BY e.seq
LIMIT $3)sql";

constexpr char kChainPageSql[] = R"sql(
SELECT seq, (extract(epoch FROM occurred_at) * 1000000)::bigint, coalesce(tenant_id::text, ''),
       actor, action, target, summary::text, encode(prev_hash, 'hex'), encode(hash, 'hex')
FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT 10000)sql";

}  // namespace

ScopedAuditActor::ScopedAuditActor(std::string actor) : previous_(std::move(current_actor)) {
  current_actor = std::move(actor);
}

ScopedAuditActor::~ScopedAuditActor() { current_actor = std::move(previous_); }

const std::string& CurrentAuditActor() {
  static const std::string kUnknown = "unknown";
  return current_actor.empty() ? kUnknown : current_actor;
}

void AppendAudit(pqxx::transaction_base& txn, const AuditEntry& entry) {
  // The chain trigger numbers, times and hashes the event.
  std::optional<std::string> tenant;
  if (entry.tenant_id) tenant = absl::StrCat(*entry.tenant_id);
  txn.exec_params0(kAppendSql, tenant, CurrentAuditActor(), entry.action, entry.target,
                   entry.summary_json);
}

AuditStore::AuditStore(ConnectionPool& pool) : pool_(pool) {}

absl::StatusOr<std::vector<AuditEvent>> AuditStore::List(absl::string_view tenant_name,
                                                         absl::Time since, int64_t limit) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<std::vector<AuditEvent>> {
    pqxx::read_transaction txn(conn);
    if (!tenant_name.empty() &&
        txn.exec_params("SELECT 1 FROM tenants WHERE name = $1", std::string(tenant_name))
            .empty()) {
      return absl::NotFoundError(absl::StrCat("no tenant named ", tenant_name));
    }
    std::vector<AuditEvent> events;
    for (const auto& row : txn.exec_params(
             kListSql, std::string(tenant_name),
             since == absl::InfinitePast()
                 ? std::string("-infinity")
                 : absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", since, absl::UTCTimeZone()),
             static_cast<long long>(limit))) {
      AuditEvent e;
      e.seq = row[0].as<int64_t>();
      e.occurred_at = absl::FromUnixMicros(row[1].as<int64_t>());
      if (!row[2].is_null()) e.tenant_id = row[2].as<int64_t>();
      e.tenant_name = row[3].as<std::string>();
      e.actor = row[4].as<std::string>();
      e.action = row[5].as<std::string>();
      e.target = row[6].as<std::string>();
      e.summary_json = row[7].as<std::string>();
      events.push_back(std::move(e));
    }
    return events;
  });
}

absl::StatusOr<AuditVerification> AuditStore::Verify() {
  return pool_.Run([&](pqxx::connection_base& conn) {
    // One snapshot for the whole chain.
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only> txn(conn);
    AuditVerification result;
    std::string previous_hash = HexEncode(std::string(32, '\0'));
    int64_t previous_seq = 0;
    while (true) {
      const pqxx::result page = txn.exec_params(kChainPageSql, previous_seq);
      for (const auto& row : page) {
        const int64_t seq = row[0].as<int64_t>();
        // The same text as audit_event_text() in the migration.
        const std::string text = absl::StrJoin(
            {row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
             row[3].as<std::string>(), row[4].as<std::string>(), row[5].as<std::string>(),
             row[6].as<std::string>()},
            "\x1f");
        const std::string prev_hash = row[7].as<std::string>();
        const std::string hash = row[8].as<std::string>();
        ++result.events;
        if (!result.first_broken) {
          if (seq != previous_seq + 1) {
            result.first_broken = seq;
            result.problem =
                absl::StrCat("events ", previous_seq + 1, " to ", seq - 1, " are missing");
          } else if (prev_hash != previous_hash) {
            result.first_broken = seq;
            result.problem = "its link does not match the previous event's hash";
          } else if (HexEncode(Sha256(absl::HexStringToBytes(prev_hash) + text)) != hash) {
            result.first_broken = seq;
            result.problem = "its fields do not match its hash (edited)";
          }
        }
        previous_seq = seq;
        previous_hash = hash;
      }
      if (page.size() < 10000) break;
    }
    result.head_seq = previous_seq;
    result.head_hash = result.events > 0 ? previous_hash : "";
    return result;
  });
}

}  // namespace tnps::storage
