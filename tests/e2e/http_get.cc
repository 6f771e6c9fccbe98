#include "tests/e2e/http_get.h"

#include <curl/curl.h>

#include "absl/strings/numbers.h"

namespace tnps::testing {
namespace {

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

std::optional<std::string> HttpGet(const std::string& url) {
  CURL* curl = curl_easy_init();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  const CURLcode result = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(curl);
  if (result != CURLE_OK || code != 200) return std::nullopt;
  return body;
}

std::optional<double> ScrapedValue(const std::string& metrics_address, const std::string& series) {
  const std::optional<std::string> body = HttpGet("http://" + metrics_address + "/metrics");
  if (!body) return std::nullopt;
  const size_t at = body->find("\n" + series + " ");
  if (at == std::string::npos) return std::nullopt;
  const size_t start = at + series.size() + 2;
  double value = 0;
  if (!absl::SimpleAtod(body->substr(start, body->find('\n', start) - start), &value)) {
    return std::nullopt;
  }
  return value;
}

}  // namespace tnps::testing
