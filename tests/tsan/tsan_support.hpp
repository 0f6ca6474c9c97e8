// Helpers of the ThreadSanitizer suite (tests/tsan): stdout redirected to a file (the request
// log is written to fd 1), the lines of a file, and a test TLS certificate for an in-process
// HttpServer.
//
// Thread-safety: StdoutToFile swaps fd 1 for the whole process (construct and destroy it on the
// test thread, with no other thread printing through stdio); the rest are plain functions.
#pragma once

#include "tests/support/test_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace renewmatch::testing {

// Points stdout (fd 1) at `path` (truncated) until destroyed.
class StdoutToFile {
  public:
    explicit StdoutToFile(const std::string& path) {
        std::fflush(stdout);
        saved_ = ::dup(STDOUT_FILENO);
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, STDOUT_FILENO);
        ::close(fd);
    }
    ~StdoutToFile() {
        std::fflush(stdout);
        ::dup2(saved_, STDOUT_FILENO);
        ::close(saved_);
    }
    StdoutToFile(const StdoutToFile&) = delete;
    StdoutToFile& operator=(const StdoutToFile&) = delete;

  private:
    int saved_ = -1;
};

// The lines of a file, without their newlines.
inline std::vector<std::string> FileLines(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// A self-signed certificate for localhost/127.0.0.1 made once per process with
// scripts/gen-test-cert.sh (cert.pem, key.pem in a temporary directory).
struct TsanTestCert {
    std::filesystem::path cert;
    std::filesystem::path key;
};
inline const TsanTestCert& TestCertificate() {
    static TempDir dir;
    static const TsanTestCert cert = [] {
        const std::string cmd =
            (SourceDir() / "scripts/gen-test-cert.sh").string() + " " + dir.path().string();
        if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << "gen-test-cert.sh failed: " << cmd;
        return TsanTestCert{dir / "cert.pem", dir / "key.pem"};
    }();
    return cert;
}

}  // namespace renewmatch::testing
