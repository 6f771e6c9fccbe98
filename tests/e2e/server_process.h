// Runs the real tnps-server binary (path compiled in as TNPS_SERVER_BIN) against a test
// database on a free loopback port, for end-to-end tests.
#ifndef TNPS_TESTS_E2E_SERVER_PROCESS_H_
#define TNPS_TESTS_E2E_SERVER_PROCESS_H_

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace tnps::testing {

class ServerProcess {
 public:
  // Starts the server and waits until it listens; aborts the test binary if
  // it does not within 20 seconds.
  // An empty `database_url` passes none (the flags say where it is).
  ServerProcess(const std::string& database_url, const std::vector<std::string>& extra_flags = {});
  // SIGTERM, then waits for the process.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  const std::string& address() const { return address_; }
  // Where the server serves Prometheus metrics (--metrics_listen); empty
  // without.
  const std::string& metrics_address() const { return metrics_address_; }
  std::shared_ptr<grpc::Channel> NewChannel() const;

  // kill -9, as a crash or an OOM kill would, and reaps the process.
  void Kill9();
  // SIGTERM, as an orchestrator stopping it would; returns at once.
  void Terminate();
  // Waits for the process to exit and for all it said; Log() is complete.
  void WaitForExit();
  pid_t pid() const { return pid_; }

  // What the server has written to its stderr so far, start-up included.
  std::string Log() const;

 private:
  void Reap();

  pid_t pid_ = -1;
  int stderr_fd_ = -1;
  std::string address_;
  std::string metrics_address_;
  std::thread drain_;
  mutable std::mutex log_mu_;
  std::string log_;
};

// Runs a program to completion; returns its exit code and what it printed.
// The Threads: line of /proc/PID/status; -1 if it cannot be read.
int ThreadsOf(pid_t pid);

struct CommandResult {
  int exit_code;
  std::string stdout_text;
  std::string stderr_text;
};
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::vector<std::string>& extra_env = {});

// A free loopback port (bound, then released).
int FreeLoopbackPort();

// The value of environment variable `name`; aborts if unset.
std::string RequiredEnv(const char* name);

}  // namespace tnps::testing

#endif  // TNPS_TESTS_E2E_SERVER_PROCESS_H_
