#include "tests/e2e/server_process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace tnps::testing {
namespace {

// The server's JSON log lines that say where it listens.
constexpr char kListening[] = "\"msg\":\"listening\",\"address\":\"";
constexpr char kMetrics[] = "\"msg\":\"serving metrics\",\"metrics_address\":\"";

// The quoted value that follows `marker` in `text`, once the line is
// complete; empty before.
std::string ValueAfter(const std::string& text, const char* marker) {
  const size_t at = text.find(marker);
  if (at == std::string::npos || text.find('\n', at) == std::string::npos) return "";
  const size_t start = at + std::strlen(marker);
  return text.substr(start, text.find('"', start) - start);
}

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::abort();
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

}  // namespace

int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    Die("cannot find a free loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

std::string RequiredEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    Die(absl::StrCat(name, " is not set: run the tests through tests/run.sh"));
  }
  return value;
}

ServerProcess::ServerProcess(const std::string& database_url,
                             const std::vector<std::string>& extra_flags) {
  // No grace on SIGTERM unless a test asks for one (its flag comes later
  // and wins): every test stops its server.
  std::vector<std::string> args = {TNPS_SERVER_BIN, "--listen=127.0.0.1:0", "--shutdown_grace=0s"};
  if (!database_url.empty()) args.push_back("--database_url=" + database_url);
  args.insert(args.end(), extra_flags.begin(), extra_flags.end());
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) Die("pipe failed");
  pid_ = fork();
  if (pid_ == 0) {
    // Never outlive the test: an orphaned server would hold ctest's pipe open.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(pipe_fds[1], STDOUT_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    // The test blocks no signals the server relies on, but be explicit.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    std::vector<char*> argv = CStrings(args);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  stderr_fd_ = pipe_fds[0];

  // Read stderr until the server says where it listens.
  std::string seen;
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (address_.empty()) {
    pollfd pfd{stderr_fd_, POLLIN, 0};
    const int remaining = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    if (remaining <= 0 || poll(&pfd, 1, remaining) <= 0) {
      Die("tnps-server did not start listening within 20 s; it said:\n" + seen);
    }
    char buffer[1024];
    const ssize_t n = read(stderr_fd_, buffer, sizeof buffer);
    if (n <= 0) Die("tnps-server exited during start-up; it said:\n" + seen);
    seen.append(buffer, static_cast<size_t>(n));
    address_ = ValueAfter(seen, kListening);
  }
  metrics_address_ = ValueAfter(seen, kMetrics);
  log_ = seen;
  // Keep draining so that the server never blocks on a full pipe; forward
  // what it says to the test's own stderr.
  drain_ = std::thread([this, fd = stderr_fd_] {
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof buffer)) > 0) {
      fwrite(buffer, 1, static_cast<size_t>(n), stderr);
      std::lock_guard<std::mutex> lock(log_mu_);
      if (log_.size() < (16 << 20)) log_.append(buffer, static_cast<size_t>(n));
    }
  });
}

std::string ServerProcess::Log() const {
  std::lock_guard<std::mutex> lock(log_mu_);
  return log_;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    Reap();
  }
  if (drain_.joinable()) drain_.join();
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

void ServerProcess::Terminate() { kill(pid_, SIGTERM); }

void ServerProcess::WaitForExit() {
  if (pid_ > 0) Reap();
  if (drain_.joinable()) drain_.join();
}

void ServerProcess::Kill9() {
  kill(pid_, SIGKILL);
  Reap();
}

void ServerProcess::Reap() {
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::shared_ptr<grpc::Channel> ServerProcess::NewChannel() const {
  // A distinct channel argument keeps each channel on its own connection.
  grpc::ChannelArguments args;
  static std::atomic<int> next_channel{0};
  args.SetInt("tnps.test.channel_id", next_channel++);
  return grpc::CreateCustomChannel(address_, grpc::InsecureChannelCredentials(), args);
}

int ThreadsOf(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

CommandResult RunCommand(const std::vector<std::string>& argv_in,
                         const std::vector<std::string>& extra_env) {
  std::vector<std::string> args = argv_in;
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) Die("pipe failed");
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    close(out_pipe[0]);
    close(err_pipe[0]);
    std::vector<char*> argv = CStrings(args);
    std::vector<char*> envp = CStrings(env);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  CommandResult result{};
  std::thread err_reader([&] { result.stderr_text = ReadAll(err_pipe[0]); });
  result.stdout_text = ReadAll(out_pipe[0]);
  err_reader.join();
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace tnps::testing
