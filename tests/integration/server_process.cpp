#include "tests/integration/server_process.hpp"

#include "api/keys.hpp"
#include "schema/database.hpp"
#include "tests/support/test_util.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

extern char** environ;

namespace renewmatch::testing {
namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
    std::vector<char*> out;
    for (auto& a : args) out.push_back(a.data());
    out.push_back(nullptr);
    return out;
}

int DecodeStatus(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

const TestCert& SharedTestCert() {
    static TempDir* dir = new TempDir();  // lives for the whole test binary
    static TestCert cert = [] {
        const std::string cmd =
            (SourceDir() / "scripts/gen-test-cert.sh").string() + " " + dir->path().string();
        if (std::system(cmd.c_str()) != 0) {
            ADD_FAILURE() << "gen-test-cert.sh failed: " << cmd;
        }
        return TestCert{dir->path() / "cert.pem", dir->path() / "key.pem"};
    }();
    return cert;
}

std::unique_ptr<ServerProcess> ServerProcess::Start(const std::filesystem::path& data_dir,
                                                    const std::vector<std::string>& extra_args) {
    const TestCert& cert = SharedTestCert();
    std::vector<std::string> args = {RENEWMATCHD_PATH,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--tls-cert",
                                     cert.cert.string(),
                                     "--tls-key",
                                     cert.key.string(),
                                     "--db",
                                     (data_dir / "renewmatch.db").string(),
                                     "--data-dir",
                                     (SourceDir() / "data").string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());

    int out_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0) {
        ADD_FAILURE() << "pipe failed";
        return nullptr;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
    auto argv = Argv(args);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    if (rc != 0) {
        close(out_pipe[0]);
        ADD_FAILURE() << "cannot start " << RENEWMATCHD_PATH << ": " << std::strerror(rc);
        return nullptr;
    }
    std::unique_ptr<ServerProcess> p(new ServerProcess());
    p->pid_ = pid;
    p->pidfd_ = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    const int fd = out_pipe[0];
    p->reader_ = std::thread([raw = p.get(), fd] { raw->ReadLoop(fd); });

    auto line = p->WaitForLine("listening on https://", std::chrono::seconds(20));
    if (!line) {
        ADD_FAILURE() << "renewmatchd did not log 'listening on' within 20 s";
        return nullptr;
    }
    std::smatch m;
    static const std::regex kPort(R"(listening on https://[^"]*:(\d+))");
    if (!std::regex_search(*line, m, kPort)) {
        ADD_FAILURE() << "cannot parse the port from: " << *line;
        return nullptr;
    }
    p->port_ = static_cast<std::uint16_t>(std::stoi(m[1].str()));
    // The live match index loads on its own thread after the listener is up (/readyz is 503
    // until then); tests start from a ready server. A load that fails is for the test to see.
    p->WaitForLine("match index ready", std::chrono::seconds(20));
    return p;
}

std::pair<int, std::string> ServerProcess::RunToExit(const std::vector<std::string>& args_in) {
    std::vector<std::string> args = args_in;
    args.insert(args.begin(), RENEWMATCHD_PATH);
    TempDir dir;
    const auto err_path = dir / "stderr.txt";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    auto argv = Argv(args);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return {-1, "spawn failed"};
    int status = 0;
    waitpid(pid, &status, 0);
    return {DecodeStatus(status), ReadFile(err_path)};
}

void ServerProcess::ReadLoop(int fd) {
    std::string pending;
    char buf[4096];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t pos;
        while ((pos = pending.find('\n')) != std::string::npos) {
            std::lock_guard lock(mu_);
            lines_.push_back(pending.substr(0, pos));
            pending.erase(0, pos + 1);
            cv_.notify_all();
        }
    }
    close(fd);
    std::lock_guard lock(mu_);
    if (!pending.empty()) lines_.push_back(pending);
    eof_ = true;
    cv_.notify_all();
}

std::optional<std::string> ServerProcess::WaitForLine(const std::string& needle,
                                                      std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    std::size_t checked = 0;
    std::optional<std::string> found;
    cv_.wait_for(lock, timeout, [&] {
        for (; checked < lines_.size(); ++checked) {
            if (lines_[checked].find(needle) != std::string::npos) {
                found = lines_[checked];
                return true;
            }
        }
        return eof_;
    });
    return found;
}

std::vector<std::string> ServerProcess::Lines() {
    std::lock_guard lock(mu_);
    return lines_;
}

void ServerProcess::Signal(int signo) {
    kill(pid_, signo);
}

std::optional<int> ServerProcess::WaitForExit(std::chrono::milliseconds timeout) {
    if (exit_status_) return exit_status_;
    if (pidfd_ >= 0) {
        pollfd pfd{pidfd_, POLLIN, 0};
        if (poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
        int status = 0;
        if (waitpid(pid_, &status, 0) == pid_) exit_status_ = DecodeStatus(status);
        return exit_status_;
    }
    // No pidfd (old kernel): poll waitpid with a short interval, bounded by the timeout.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            exit_status_ = DecodeStatus(status);
            return exit_status_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
}

ServerProcess::~ServerProcess() {
    if (!exit_status_ && pid_ > 0) {
        kill(pid_, SIGKILL);
        int status = 0;
        waitpid(pid_, &status, 0);
    }
    if (pidfd_ >= 0) close(pidfd_);
    if (reader_.joinable()) reader_.join();
}

std::string BootstrapAdminOffline(const std::filesystem::path& db_path) {
    auto db = schema::Database::Open(db_path.string());
    if (!db) {
        ADD_FAILURE() << "cannot open " << db_path << ": " << db.error().message();
        return {};
    }
    std::string why;
    if (!(*db)->Migrate(&why)) {
        ADD_FAILURE() << "cannot migrate " << db_path << ": " << why;
        return {};
    }
    auto key = api::BootstrapAdmin(**db);
    if (!key || !key->has_value()) {
        ADD_FAILURE() << "cannot bootstrap the administrator key in " << db_path;
        return {};
    }
    return (*key)->token;
}

}  // namespace renewmatch::testing
