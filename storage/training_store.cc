#include "storage/training_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "storage/audit_log.h"
#include "storage/pg_text.h"
#include "storage/rollup_reader.h"

namespace tnps::storage {
namespace {

// A timestamptz column as microseconds since the epoch.
std::string Micros(absl::string_view column) {
  return absl::StrCat("(extract(epoch FROM ", column, ") * 1000000)::bigint");
}

constexpr char kExcludedCounts[] = "training_excluded_counts";
// A response excluded itself is in no rollup and not in
// excluded_agent_counts either (migration 0013), so the two sums never
// count one twice. The first reads the partial index of excluded responses.
constexpr char kExcludedCountsSql[] = R"sql(
SELECT (SELECT count(*) FROM excluded_agents WHERE tenant_id = $1),
       (SELECT count(*) FROM responses
        WHERE tenant_id = $1 AND excluded AND local_day BETWEEN $2::date AND $3::date)
       + (SELECT COALESCE(sum(promoters + passives + detractors), 0) FROM excluded_agent_counts
          WHERE tenant_id = $1 AND local_day BETWEEN $2::date AND $3::date))sql";

constexpr char kUpsertAgents[] = "training_upsert_agents";
constexpr char kUpsertAgentsSql[] = R"sql(
INSERT INTO agents AS a (tenant_id, agent_id, team_id, display_name, region, hire_date, active)
SELECT $1, i.agent_id, i.team_id, nullif(i.display_name, ''), nullif(i.region, ''),
       nullif(i.hire_date, '')::date, i.active
FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[])
  AS i(agent_id, team_id, display_name, region, hire_date, active)
ON CONFLICT (tenant_id, agent_id) DO UPDATE
  SET team_id = excluded.team_id, display_name = excluded.display_name,
      region = excluded.region, hire_date = excluded.hire_date, active = excluded.active
RETURNING (xmax = 0))sql";

const std::string kProgramColumns =
    absl::StrCat("program_id, name, description, hours_per_participant, cost_per_hour_micros, ",
                 "currency_code, ", Micros("created_at"), ", value_per_point_micros");

constexpr char kInsertProgram[] = "training_insert_program";
// Programmes and cohorts are numbered per tenant (migration 0012): the next
// id is one more than the tenant's largest, taken under this lock so that
// two creations cannot pick the same. The key is the tenant id, negated, so
// that it meets no other advisory lock of tnps.
constexpr char kLockTenantIds[] = "training_lock_tenant_ids";
constexpr char kLockTenantIdsSql[] = "SELECT pg_advisory_xact_lock(-$1::bigint)";
constexpr char kListPrograms[] = "training_list_programs";
constexpr char kGetProgram[] = "training_get_program";

const std::string kCohortColumns = absl::StrCat(
    "c.cohort_id, c.program_id, c.name, c.planned_start::text, c.planned_end::text, ",
    "(SELECT count(*) FROM training_enrollments e ",
    " WHERE e.tenant_id = c.tenant_id AND e.cohort_id = c.cohort_id), ",
    "(SELECT count(e.completed_at) FROM training_enrollments e ",
    " WHERE e.tenant_id = c.tenant_id AND e.cohort_id = c.cohort_id), ", Micros("c.created_at"));

constexpr char kInsertCohort[] = "training_insert_cohort";
constexpr char kInsertCohortSql[] = R"sql(
INSERT INTO training_cohorts (tenant_id, cohort_id, program_id, name, planned_start, planned_end)
SELECT $1, coalesce(max(cohort_id), 0) + 1, $2::bigint, $3::text, $4::date, $5::date
FROM training_cohorts WHERE tenant_id = $1
ON CONFLICT (tenant_id, program_id, name) DO NOTHING
RETURNING cohort_id)sql";
constexpr char kListCohorts[] = "training_list_cohorts";
constexpr char kGetCohort[] = "training_get_cohort";
constexpr char kCohortProgram[] = "training_cohort_program";
constexpr char kCohortProgramSql[] =
    "SELECT program_id FROM training_cohorts WHERE tenant_id = $1 AND cohort_id = $2 FOR SHARE";

const std::string kEnrollmentSelect = absl::StrCat(
    "SELECT e.agent_id, e.cohort_id, ", Micros("e.enrolled_at"), ", ", Micros("e.completed_at"),
    ", (e.completed_at AT TIME ZONE t.time_zone)::date::text "
    "FROM training_enrollments e JOIN tenants t USING (tenant_id) ");
constexpr char kCohortEnrollments[] = "training_cohort_enrollments";
constexpr char kProgramEnrollments[] = "training_program_enrollments";

constexpr char kEnrollCheck[] = "training_enroll_check";
constexpr char kEnrollCheckSql[] = R"sql(
SELECT i.n, a.agent_id IS NOT NULL, e.cohort_id
FROM unnest($3::text[]) WITH ORDINALITY AS i(agent_id, n)
LEFT JOIN agents a ON a.tenant_id = $1 AND a.agent_id = i.agent_id
LEFT JOIN training_enrollments e
  ON e.tenant_id = $1 AND e.program_id = $2 AND e.agent_id = i.agent_id
ORDER BY i.n)sql";
constexpr char kEnroll[] = "training_enroll";
constexpr char kEnrollSql[] = R"sql(
INSERT INTO training_enrollments (tenant_id, program_id, cohort_id, agent_id, enrolled_at)
SELECT $1, $2, $3, i.agent_id, $5::timestamptz FROM unnest($4::text[]) AS i(agent_id)
ON CONFLICT DO NOTHING)sql";

constexpr char kCompletionCheck[] = "training_completion_check";
constexpr char kRecordCompletions[] = "training_record_completions";
constexpr char kRecordCompletionsSql[] = R"sql(
WITH i AS (
  SELECT * FROM unnest($3::text[], $4::timestamptz[]) AS i(agent_id, completed_at)
), changed AS (
  UPDATE training_enrollments e SET completed_at = i.completed_at
  FROM i
  WHERE e.tenant_id = $1 AND e.cohort_id = $2 AND e.agent_id = i.agent_id
    AND e.completed_at IS DISTINCT FROM i.completed_at
  RETURNING e.tenant_id, e.cohort_id, e.agent_id, e.completed_at
)
INSERT INTO training_completion_log (tenant_id, cohort_id, agent_id, completed_at)
SELECT tenant_id, cohort_id, agent_id, completed_at FROM changed)sql";

absl::CivilDay ParseDay(const pqxx::field& field) { return ParseDateText(field.c_str()); }

absl::Time TimeAt(const pqxx::field& field) { return absl::FromUnixMicros(field.as<int64_t>()); }

Program ProgramFromRow(const pqxx::row& row) {
  return Program{row[0].as<int64_t>(), row[1].as<std::string>(), row[2].as<std::string>(),
                 row[3].as<double>(),  row[4].as<int64_t>(),     row[5].as<std::string>(),
                 TimeAt(row[6]),       row[7].as<int64_t>()};
}

Cohort CohortFromRow(const pqxx::row& row) {
  return Cohort{row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<std::string>(),
                ParseDay(row[3]),     ParseDay(row[4]),     row[5].as<int>(),
                row[6].as<int>(),     TimeAt(row[7])};
}

core::Enrollment EnrollmentFromRow(const pqxx::row& row) {
  core::Enrollment e{row[0].as<std::string>(), row[1].as<int64_t>(), TimeAt(row[2]), std::nullopt,
                     std::nullopt};
  if (!row[3].is_null()) {
    e.completed_at = TimeAt(row[3]);
    e.completed_day = ParseDay(row[4]);
  }
  return e;
}

// Up to 20 ids, then how many more: a summary, not a copy of the request.
std::string SampleOf(const std::vector<std::string>& ids) {
  constexpr size_t kShown = 20;
  std::vector<std::string> shown(ids.begin(), ids.begin() + std::min(ids.size(), kShown));
  std::string text = absl::StrJoin(shown, ", ");
  if (ids.size() > kShown) absl::StrAppend(&text, " and ", ids.size() - kShown, " more");
  return text;
}

}  // namespace

TrainingStore::TrainingStore(ConnectionPool& pool) : pool_(pool) {
  pool_.Prepare(kUpsertAgents, kUpsertAgentsSql);
  pool_.Prepare(kExcludedCounts, kExcludedCountsSql);
  pool_.Prepare(kInsertProgram,
                absl::StrCat("INSERT INTO training_programs (tenant_id, program_id, name, "
                             "description, hours_per_participant, cost_per_hour_micros, "
                             "currency_code, value_per_point_micros) "
                             "SELECT $1, coalesce(max(program_id), 0) + 1, $2::text, $3::text, "
                             "$4::double precision, $5::bigint, $6::text, $7::bigint "
                             "FROM training_programs WHERE tenant_id = $1 "
                             "ON CONFLICT (tenant_id, name) DO NOTHING RETURNING ",
                             kProgramColumns));
  pool_.Prepare(kLockTenantIds, kLockTenantIdsSql);
  pool_.Prepare(kListPrograms, absl::StrCat("SELECT ", kProgramColumns,
                                            " FROM training_programs WHERE tenant_id = $1 "
                                            "ORDER BY program_id"));
  pool_.Prepare(kGetProgram, absl::StrCat("SELECT ", kProgramColumns,
                                          " FROM training_programs "
                                          "WHERE tenant_id = $1 AND program_id = $2"));
  pool_.Prepare(kInsertCohort, kInsertCohortSql);
  pool_.Prepare(kListCohorts, absl::StrCat("SELECT ", kCohortColumns,
                                           " FROM training_cohorts c WHERE c.tenant_id = $1 "
                                           "AND ($2::bigint = 0 OR c.program_id = $2) "
                                           "ORDER BY c.program_id, c.planned_start, c.cohort_id"));
  pool_.Prepare(kGetCohort, absl::StrCat("SELECT ", kCohortColumns,
                                         " FROM training_cohorts c "
                                         "WHERE c.tenant_id = $1 AND c.cohort_id = $2"));
  pool_.Prepare(kCohortProgram, kCohortProgramSql);
  pool_.Prepare(kCohortEnrollments,
                absl::StrCat(kEnrollmentSelect,
                             "WHERE e.tenant_id = $1 AND e.cohort_id = $2 ORDER BY e.agent_id"));
  pool_.Prepare(kProgramEnrollments,
                absl::StrCat(kEnrollmentSelect,
                             "WHERE e.tenant_id = $1 AND e.program_id = $2 ORDER BY e.agent_id"));
  pool_.Prepare(kEnrollCheck, kEnrollCheckSql);
  pool_.Prepare(kEnroll, kEnrollSql);
  pool_.Prepare(
      kCompletionCheck,
      absl::StrCat("SELECT i.n, ", Micros("e.enrolled_at"), ", ", Micros("e.completed_at"),
                   " FROM unnest($3::text[]) WITH ORDINALITY AS i(agent_id, n) "
                   "LEFT JOIN training_enrollments e ON e.tenant_id = $1 "
                   "AND e.cohort_id = $2 AND e.agent_id = i.agent_id ORDER BY i.n"));
  pool_.Prepare(kRecordCompletions, kRecordCompletionsSql);
}

absl::StatusOr<RosterWrite> TrainingStore::UpsertAgents(int64_t tenant_id,
                                                        const std::vector<RosterAgent>& agents) {
  PgArrayLiteral ids, teams, names, regions, hire_dates, active;
  for (const RosterAgent& a : agents) {
    ids.Add(a.agent_id);
    teams.Add(a.team_id);
    names.Add(a.display_name);
    regions.Add(a.region);
    hire_dates.Add(a.hire_date ? DateText(*a.hire_date) : "");
    active.Add(a.active ? "true" : "false");
  }
  const std::string id_text = std::move(ids).Finish(), team_text = std::move(teams).Finish(),
                    name_text = std::move(names).Finish(),
                    region_text = std::move(regions).Finish(),
                    hire_text = std::move(hire_dates).Finish(),
                    active_text = std::move(active).Finish();
  return pool_.Run([&](pqxx::connection_base& conn) {
    RosterWrite out;
    pqxx::work txn(conn);
    for (const auto& row : txn.exec_prepared(kUpsertAgents, tenant_id, id_text, team_text,
                                             name_text, region_text, hire_text, active_text)) {
      ++(row[0].as<bool>() ? out.created : out.updated);
    }
    std::vector<std::string> agent_ids;
    for (const RosterAgent& a : agents) agent_ids.push_back(a.agent_id);
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = "agents.upsert",
                      .target = SampleOf(agent_ids),
                      .summary_json = JsonObjectText({{"created", absl::StrCat(out.created)},
                                                      {"updated", absl::StrCat(out.updated)}})});
    txn.commit();
    return out;
  });
}

absl::StatusOr<Program> TrainingStore::CreateProgram(int64_t tenant_id, const Program& program) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<Program> {
    pqxx::work txn(conn);
    txn.exec_prepared(kLockTenantIds, tenant_id);
    pqxx::result r = txn.exec_prepared(kInsertProgram, tenant_id, program.name, program.description,
                                       program.hours_per_participant, program.cost_per_hour_micros,
                                       program.currency_code, program.value_per_point_micros);
    if (r.empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat("a programme named \"", program.name, "\" already exists"));
    }
    Program created = ProgramFromRow(r[0]);
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = "program.create",
                      .target = absl::StrCat(created.program_id),
                      .summary_json = JsonObjectText({{"name", program.name}})});
    txn.commit();
    return created;
  });
}

absl::StatusOr<std::vector<Program>> TrainingStore::ListPrograms(int64_t tenant_id) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    std::vector<Program> programs;
    pqxx::read_transaction txn(conn);
    for (const auto& row : txn.exec_prepared(kListPrograms, tenant_id)) {
      programs.push_back(ProgramFromRow(row));
    }
    return programs;
  });
}

absl::StatusOr<Program> TrainingStore::GetProgram(int64_t tenant_id, int64_t program_id) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<Program> {
    pqxx::read_transaction txn(conn);
    pqxx::result r = txn.exec_prepared(kGetProgram, tenant_id, program_id);
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no programme ", program_id));
    return ProgramFromRow(r[0]);
  });
}

absl::StatusOr<Cohort> TrainingStore::CreateCohort(int64_t tenant_id, const Cohort& cohort) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<Cohort> {
    pqxx::work txn(conn);
    if (txn.exec_prepared(kGetProgram, tenant_id, cohort.program_id).empty()) {
      return absl::NotFoundError(absl::StrCat("no programme ", cohort.program_id));
    }
    txn.exec_prepared(kLockTenantIds, tenant_id);
    pqxx::result r =
        txn.exec_prepared(kInsertCohort, tenant_id, cohort.program_id, cohort.name,
                          DateText(cohort.planned_start), DateText(cohort.planned_end));
    if (r.empty()) {
      return absl::AlreadyExistsError(absl::StrCat(
          "programme ", cohort.program_id, " already has a cohort named \"", cohort.name, "\""));
    }
    Cohort created =
        CohortFromRow(txn.exec_prepared1(kGetCohort, tenant_id, r[0][0].as<int64_t>()));
    AppendAudit(txn,
                {.tenant_id = tenant_id,
                 .action = "cohort.create",
                 .target = absl::StrCat(created.cohort_id),
                 .summary_json = JsonObjectText({{"program_id", absl::StrCat(cohort.program_id)},
                                                 {"name", cohort.name},
                                                 {"planned_start", DateText(cohort.planned_start)},
                                                 {"planned_end", DateText(cohort.planned_end)}})});
    txn.commit();
    return created;
  });
}

absl::StatusOr<std::vector<Cohort>> TrainingStore::ListCohorts(int64_t tenant_id,
                                                               int64_t program_id) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    std::vector<Cohort> cohorts;
    pqxx::read_transaction txn(conn);
    for (const auto& row : txn.exec_prepared(kListCohorts, tenant_id, program_id)) {
      cohorts.push_back(CohortFromRow(row));
    }
    return cohorts;
  });
}

absl::StatusOr<Cohort> TrainingStore::GetCohort(int64_t tenant_id, int64_t cohort_id) {
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<Cohort> {
    pqxx::read_transaction txn(conn);
    pqxx::result r = txn.exec_prepared(kGetCohort, tenant_id, cohort_id);
    if (r.empty()) return absl::NotFoundError(absl::StrCat("no cohort ", cohort_id));
    return CohortFromRow(r[0]);
  });
}

absl::StatusOr<std::vector<core::Enrollment>> TrainingStore::CohortEnrollments(int64_t tenant_id,
                                                                               int64_t cohort_id) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    std::vector<core::Enrollment> out;
    pqxx::read_transaction txn(conn);
    for (const auto& row : txn.exec_prepared(kCohortEnrollments, tenant_id, cohort_id)) {
      out.push_back(EnrollmentFromRow(row));
    }
    return out;
  });
}

absl::StatusOr<std::vector<core::Enrollment>> TrainingStore::ProgramEnrollments(
    int64_t tenant_id, int64_t program_id) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    std::vector<core::Enrollment> out;
    pqxx::read_transaction txn(conn);
    for (const auto& row : txn.exec_prepared(kProgramEnrollments, tenant_id, program_id)) {
      out.push_back(EnrollmentFromRow(row));
    }
    return out;
  });
}

absl::StatusOr<EnrollmentWrite> TrainingStore::Enroll(int64_t tenant_id, int64_t cohort_id,
                                                      const std::vector<std::string>& agent_ids,
                                                      absl::Time enrolled_at) {
  PgArrayLiteral ids;
  for (const auto& id : agent_ids) ids.Add(id);
  const std::string id_text = std::move(ids).Finish();
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<EnrollmentWrite> {
    EnrollmentWrite out;
    pqxx::work txn(conn);
    pqxx::result cohort = txn.exec_prepared(kCohortProgram, tenant_id, cohort_id);
    if (cohort.empty()) return absl::NotFoundError(absl::StrCat("no cohort ", cohort_id));
    const int64_t program_id = cohort[0][0].as<int64_t>();
    for (const auto& row : txn.exec_prepared(kEnrollCheck, tenant_id, program_id, id_text)) {
      const size_t i = row[0].as<size_t>() - 1;
      const std::string field = absl::StrCat("agent_ids[", i, "]");
      if (!row[1].as<bool>()) {
        out.violations.push_back(
            {field, absl::StrCat("unknown agent \"", agent_ids[i],
                                 "\"; agents exist once ingested or synced with UpsertAgents")});
      } else if (!row[2].is_null()) {
        out.violations.push_back(
            {field, absl::StrCat("agent \"", agent_ids[i], "\" is already enrolled in cohort ",
                                 row[2].as<int64_t>(), " of this programme")});
      }
    }
    if (!out.violations.empty()) return out;
    const pqxx::result inserted = txn.exec_prepared(kEnroll, tenant_id, program_id, cohort_id,
                                                    id_text, TimestampText(enrolled_at));
    if (inserted.affected_rows() != agent_ids.size()) {  // rolled back
      return absl::AbortedError("another request enrolled some of these agents at the same time");
    }
    out.enrolled = static_cast<int>(agent_ids.size());
    AppendAudit(txn, {.tenant_id = tenant_id,
                      .action = "cohort.enroll",
                      .target = absl::StrCat(cohort_id),
                      .summary_json = JsonObjectText({{"agents", SampleOf(agent_ids)},
                                                      {"enrolled", absl::StrCat(out.enrolled)}})});
    txn.commit();
    return out;
  });
}

absl::StatusOr<CompletionWrite> TrainingStore::RecordCompletions(
    int64_t tenant_id, int64_t cohort_id, const std::vector<CompletionRecord>& completions) {
  PgArrayLiteral ids, times;
  for (const auto& c : completions) {
    ids.Add(c.agent_id);
    times.Add(TimestampText(c.completed_at));
  }
  const std::string id_text = std::move(ids).Finish(), time_text = std::move(times).Finish();
  return pool_.Run([&](pqxx::connection_base& conn) -> absl::StatusOr<CompletionWrite> {
    CompletionWrite out;
    pqxx::work txn(conn);
    if (txn.exec_prepared(kCohortProgram, tenant_id, cohort_id).empty()) {
      return absl::NotFoundError(absl::StrCat("no cohort ", cohort_id));
    }
    for (const auto& row : txn.exec_prepared(kCompletionCheck, tenant_id, cohort_id, id_text)) {
      const size_t i = row[0].as<size_t>() - 1;
      const CompletionRecord& c = completions[i];
      if (row[1].is_null()) {
        out.violations.push_back(
            {absl::StrCat("completions[", i, "].agent_id"),
             absl::StrCat("agent \"", c.agent_id, "\" is not enrolled in cohort ", cohort_id)});
        continue;
      }
      const absl::Time enrolled = TimeAt(row[1]);
      if (c.completed_at < enrolled) {
        out.violations.push_back(
            {absl::StrCat("completions[", i, "].completion_time"),
             absl::StrCat("is before the agent's enrolment at ",
                          absl::FormatTime(absl::RFC3339_sec, enrolled, absl::UTCTimeZone()))});
        continue;
      }
      if (row[2].is_null()) {
        ++out.recorded;
      } else if (TimeAt(row[2]) != absl::FromUnixMicros(absl::ToUnixMicros(c.completed_at))) {
        ++out.corrected;
      }
    }
    if (!out.violations.empty()) return out;
    txn.exec_prepared0(kRecordCompletions, tenant_id, cohort_id, id_text, time_text);
    std::vector<std::string> agent_ids;
    for (const CompletionRecord& c : completions) agent_ids.push_back(c.agent_id);
    AppendAudit(txn,
                {.tenant_id = tenant_id,
                 .action = "cohort.complete",
                 .target = absl::StrCat(cohort_id),
                 .summary_json = JsonObjectText({{"agents", SampleOf(agent_ids)},
                                                 {"recorded", absl::StrCat(out.recorded)},
                                                 {"corrected", absl::StrCat(out.corrected)}})});
    txn.commit();
    return out;
  });
}

absl::StatusOr<ExcludedCounts> TrainingStore::Excluded(int64_t tenant_id,
                                                       const core::DayRange& days) {
  return pool_.Run([&](pqxx::connection_base& conn) {
    pqxx::read_transaction txn(conn);
    const pqxx::row row =
        txn.exec_prepared1(kExcludedCounts, tenant_id, DateText(days.first), DateText(days.last));
    return ExcludedCounts{.agents = row[0].as<int64_t>(), .responses = row[1].as<int64_t>()};
  });
}

absl::StatusOr<std::vector<core::AgentPeriodCounts>> TrainingStore::AgentBucketCounts(
    int64_t tenant_id, const core::DayRange& days, core::BucketSize bucket,
    const std::vector<std::string>& agent_ids, const std::vector<std::string>& team_ids) {
  const RollupTime time = bucket == core::BucketSize::kWeek    ? RollupTime::kWeek
                          : bucket == core::BucketSize::kMonth ? RollupTime::kMonth
                                                               : RollupTime::kDay;
  absl::StatusOr<std::vector<RollupRow>> rows = ReadRollups(
      pool_, {.tenant_id = tenant_id, .days = days, .agent_ids = agent_ids, .team_ids = team_ids},
      RollupBy::kAgent, time);
  if (!rows.ok()) return rows.status();
  std::vector<core::AgentPeriodCounts> out;
  out.reserve(rows->size());
  for (RollupRow& row : *rows) out.push_back({std::move(row.key), row.bucket, row.counts});
  return out;
}

}  // namespace tnps::storage
