// Tenants the load benchmarks create through the schema owner: without
// rate limits (they measure throughput, and the server's default is 1,000
// calls/s per key), with an ingest key, and optionally an alert
// subscription that matches a third of MakeBenchRow's rows.
#ifndef TNPS_BENCH_BENCH_TENANT_H_
#define TNPS_BENCH_BENCH_TENANT_H_

#include <cstdint>
#include <string>

#include "storage/connection_pool.h"
#include "tnps/v1/survey_response.pb.h"

namespace tnps::bench {

struct BenchTenant {
  // `name` with the time appended, so that runs do not collide.
  std::string name;
  int64_t tenant_id = 0;
  std::string ingest_key;
};

// Aborts on failure: a benchmark without its tenant measures nothing.
BenchTenant NewBenchTenant(storage::ConnectionPool& pool, const std::string& name);

// Subscribes `url` to the tenant's responses whose attribute "segment" is
// "alerted" (every third row of MakeBenchRow), paused or not.
void SubscribeToAThird(storage::ConnectionPool& pool, int64_t tenant_id, const std::string& url,
                       bool paused);

// Row `i` of a phase `prefix`: 1,000 agents in 50 teams, 3 channels, two
// years from 2024-01-01; attribute "segment" is "alerted" for every third.
tnps::v1::SurveyResponse MakeBenchRow(const std::string& prefix, int i);

}  // namespace tnps::bench

#endif  // TNPS_BENCH_BENCH_TENANT_H_
