// A plain HTTP GET for the end-to-end tests (metrics, /healthz, Prometheus).
#ifndef TNPS_TESTS_E2E_HTTP_GET_H_
#define TNPS_TESTS_E2E_HTTP_GET_H_

#include <optional>
#include <string>

namespace tnps::testing {

// GET `url`; nullopt unless it answers 200.
std::optional<std::string> HttpGet(const std::string& url);

}  // namespace tnps::testing

#endif  // TNPS_TESTS_E2E_HTTP_GET_H_
