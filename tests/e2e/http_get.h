// A plain HTTP GET for the end-to-end tests (metrics, /healthz, Prometheus).
#ifndef TNPS_TESTS_E2E_HTTP_GET_H_
#define TNPS_TESTS_E2E_HTTP_GET_H_

#include <optional>
#include <string>

namespace tnps::testing {

// GET `url`; nullopt unless it answers 200.
std::optional<std::string> HttpGet(const std::string& url);

// The value of one series (its name with its labels, as exposed, e.g.
// `tnps_db_pool_size{pool="read"}`) in what a server's /metrics at
// `metrics_address` (host:port) says now; nullopt when it is not there.
std::optional<double> ScrapedValue(const std::string& metrics_address, const std::string& series);

}  // namespace tnps::testing

#endif  // TNPS_TESTS_E2E_HTTP_GET_H_
