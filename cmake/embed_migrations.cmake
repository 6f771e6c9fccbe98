# Writes a C++ source that holds every migrations/NNNN_title.{up,down}.sql
# file, so that binaries apply the schema they were built with wherever they
# run. Invoked as: cmake -DMIGRATIONS_DIR=... -DOUTPUT=... -P embed_migrations.cmake
file(GLOB ups RELATIVE ${MIGRATIONS_DIR} ${MIGRATIONS_DIR}/*.up.sql)
list(SORT ups)
set(body "")
foreach(up ${ups})
  string(REGEX MATCH "^([0-9][0-9][0-9][0-9])_(.+)\\.up\\.sql$" ok ${up})
  if(NOT ok)
    message(FATAL_ERROR "migration file ${up} is not named NNNN_title.up.sql")
  endif()
  set(version ${CMAKE_MATCH_1})
  set(title ${CMAKE_MATCH_2})
  string(REGEX REPLACE "^0+" "" version_number "${version}")
  set(down_file ${MIGRATIONS_DIR}/${version}_${title}.down.sql)
  if(NOT EXISTS ${down_file})
    message(FATAL_ERROR "migration ${up} has no ${version}_${title}.down.sql")
  endif()
  file(READ ${MIGRATIONS_DIR}/${up} up_sql)
  file(READ ${down_file} down_sql)
  string(APPEND body "    {${version_number}, \"${title}\", R\"tnpssql(${up_sql})tnpssql\", R\"tnpssql(${down_sql})tnpssql\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp "// Generated from migrations/ by cmake/embed_migrations.cmake. Do not edit.
#include \"storage/migration_runner.h\"

namespace tnps::storage {

const std::vector<MigrationSource>& EmbeddedMigrations() {
  static const auto* const kMigrations = new std::vector<MigrationSource>{
${body}  };
  return *kMigrations;
}

}  // namespace tnps::storage
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
