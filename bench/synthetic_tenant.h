// A synthetic tenant loaded straight into PostgreSQL for the benchmarks:
// 1,000 agents in 50 teams, 3 channels, two years of interactions ending
// 2026-10-31, scores skewed as real TNPS answers are; the rollups built by
// the running server's compactor from change rows, as ingest would leave
// them.
#ifndef TNPS_BENCH_SYNTHETIC_TENANT_H_
#define TNPS_BENCH_SYNTHETIC_TENANT_H_

#include <cstdint>
#include <string>

namespace tnps::bench {

inline constexpr int kSyntheticDays = 730;

struct SyntheticOptions {
  // Also a comment, two attributes and a customer reference per response:
  // customer "cust-K" answered responses_per_customer times, spread over
  // the two years and many agents.
  bool personal_data = false;
  int responses_per_customer = 20;
};

// Loads `responses` responses into tenant `tenant_id` through `url` (the
// schema owner), waits until the server has compacted the rollups, then
// VACUUM ANALYZE. Progress goes to stderr.
void LoadSyntheticTenant(const std::string& url, int64_t tenant_id, int64_t responses,
                         const SyntheticOptions& options);

}  // namespace tnps::bench

#endif  // TNPS_BENCH_SYNTHETIC_TENANT_H_
