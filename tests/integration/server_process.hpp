// ServerProcess: runs the real renewmatchd binary for an integration test.
//
// Start() launches renewmatchd with `--listen 127.0.0.1:0`, the test certificate, a SQLite file
// in the test's temporary directory and any extra flags; it captures stdout line by line on a
// reader thread and waits (bounded) for the `listening on https://HOST:PORT` line to learn the
// port. Every wait is event-driven with a deadline: lines via a condition variable, process exit
// via a pidfd.
//
// Ownership: owns the child; the destructor SIGKILLs it if still running and reaps it.
// Thread-safety: one test thread uses it; the reader thread only appends lines under a mutex.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace renewmatch::testing {

// The test certificate, generated once per test binary with scripts/gen-test-cert.sh.
struct TestCert {
    std::filesystem::path cert;
    std::filesystem::path key;
};
const TestCert& SharedTestCert();

// Creates and migrates the database at `db_path` and makes the first administrator key offline,
// as an operator does with `renewmatch admin bootstrap` before the daemon starts. Returns the
// key's token, or "" after failing the current test.
std::string BootstrapAdminOffline(const std::filesystem::path& db_path);

class ServerProcess {
  public:
    // Launches renewmatchd. `data_dir` holds the database (renewmatch.db). Fails the current
    // test and returns null when the binary does not start or never logs its port within 20 s.
    static std::unique_ptr<ServerProcess> Start(const std::filesystem::path& data_dir,
                                                const std::vector<std::string>& extra_args = {});
    // Runs renewmatchd to completion with exactly `args` (for start-up failures); returns the
    // exit status and the captured stderr.
    static std::pair<int, std::string> RunToExit(const std::vector<std::string>& args);

    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }

    // Waits until a stdout line containing `needle` has been seen (counting lines already
    // captured); returns it, or nullopt after `timeout`.
    std::optional<std::string> WaitForLine(const std::string& needle,
                                           std::chrono::milliseconds timeout);
    // Every stdout line captured so far.
    std::vector<std::string> Lines();
    // Sends a signal to the process.
    void Signal(int signo);
    // Waits for the process to exit; returns its exit status (128+N when killed by signal N),
    // or nullopt after `timeout`.
    std::optional<int> WaitForExit(std::chrono::milliseconds timeout);

  private:
    ServerProcess() = default;
    void ReadLoop(int fd);

    pid_t pid_ = -1;
    int pidfd_ = -1;
    std::optional<int> exit_status_;
    std::uint16_t port_ = 0;
    std::thread reader_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;  // guarded by mu_
    bool eof_ = false;                // guarded by mu_
};

}  // namespace renewmatch::testing
