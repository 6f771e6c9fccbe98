#include "tests/e2e/webhook_receiver.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/e2e/json_fields.h"

namespace tnps::testing {
namespace {

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::abort();
}

}  // namespace

WebhookReceiver::WebhookReceiver(int port, const std::vector<std::string>& secrets) {
  char dir[] = "/tmp/tnps-webhook-XXXXXX";
  if (mkdtemp(dir) == nullptr) Die("mkdtemp failed");
  dir_ = dir;
  record_ = dir_ + "/requests.jsonl";
  std::ofstream(record_).flush();
  std::vector<std::string> args = {
      "python3", TNPS_WEBHOOK_RECEIVER, "--port", std::to_string(port), "--record", record_};
  // Secrets in files, never on a command line.
  for (size_t i = 0; i < secrets.size(); ++i) {
    const std::string file = absl::StrCat(dir_, "/secret-", i);
    std::ofstream(file) << secrets[i];
    args.push_back("--secret-file");
    args.push_back(file);
  }
  int out[2];
  if (pipe(out) != 0) Die("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    close(out[1]);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  std::string said;
  char c;
  while (read(out[0], &c, 1) == 1 && c != '\n') said.push_back(c);
  close(out[0]);
  if (said.rfind("listening ", 0) != 0) Die("the webhook receiver did not start: " + said);
  port_ = std::stoi(said.substr(10));
}

WebhookReceiver::~WebhookReceiver() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string WebhookReceiver::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

std::vector<ReceivedRequest> WebhookReceiver::Requests() const {
  std::vector<ReceivedRequest> out;
  std::ifstream in(record_);
  std::string line;
  while (std::getline(in, line)) {
    google::protobuf::Struct entry;
    if (!google::protobuf::util::JsonStringToMessage(line, &entry).ok()) continue;
    if (entry.fields().contains("connection")) continue;
    ReceivedRequest r;
    r.path = JsonText(entry, "path");
    r.event_id = JsonText(entry, "event_id");
    r.event_type = JsonText(entry, "event_type");
    r.attempt = JsonText(entry, "attempt");
    r.signature = JsonText(entry, "signature");
    r.signatures = static_cast<int>(JsonNumber(entry, "signatures"));
    for (const auto& v : entry.fields().at("valid_secrets").list_value().values()) {
      r.valid_secrets.push_back(static_cast<int>(v.number_value()));
    }
    r.timestamp_age = JsonNumber(entry, "timestamp_age");
    r.received_at =
        absl::FromUnixNanos(static_cast<int64_t>(JsonNumber(entry, "received_at") * 1e9));
    r.body = JsonText(entry, "body");
    r.parsed = google::protobuf::util::JsonStringToMessage(r.body, &r.event).ok();
    out.push_back(std::move(r));
  }
  return out;
}

int WebhookReceiver::Connections() const {
  std::ifstream in(record_);
  std::string line;
  int connections = 0;
  while (std::getline(in, line)) {
    if (line.find("\"connection\"") != std::string::npos) ++connections;
  }
  return connections;
}

std::vector<ReceivedRequest> WebhookReceiver::WaitForRequests(size_t count,
                                                              absl::Duration timeout) const {
  const absl::Time deadline = absl::Now() + timeout;
  std::vector<ReceivedRequest> seen = Requests();
  while (seen.size() < count && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    seen = Requests();
  }
  return seen;
}

}  // namespace tnps::testing
