// CRM-like single-response ingest for the benchmarks: SubmitResponse calls,
// a fixed number in flight over 8 connections (as a CRM connector pool
// would hold), each call timed.
#ifndef TNPS_BENCH_UNARY_LOAD_H_
#define TNPS_BENCH_UNARY_LOAD_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tnps/v1/ingest_service.pb.h"

namespace tnps::bench {

struct UnaryLoad {
  absl::Duration elapsed;
  // Of the acknowledged calls, in milliseconds, unordered.
  std::vector<double> latencies_ms;
  int failures = 0;
};

// Sends every request to `server` with `key`, `in_flight` at a time. The
// connections' channel arguments start at `channel_base`, so that two
// loads in one process do not share connections.
UnaryLoad RunUnaryLoad(const std::string& server, const std::string& key,
                       const std::vector<tnps::v1::SubmitResponseRequest>& requests, int in_flight,
                       int channel_base);

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
};

// Sorts `ms`; zeros when it is empty.
Percentiles Summarize(std::vector<double>& ms);

}  // namespace tnps::bench

#endif  // TNPS_BENCH_UNARY_LOAD_H_
