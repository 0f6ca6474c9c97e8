// Capturing what the process writes to stdout (the request log is written to fd 1) for tests
// that check the log lines: StdoutToFile redirects fd 1 to a file, FileLines reads it back.
// Used by tests/server (log tests) and tests/tsan.
//
// Thread-safety: StdoutToFile swaps fd 1 for the whole process (construct and destroy it on the
// test thread, with no other thread printing through stdio); FileLines is a plain function.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
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

}  // namespace renewmatch::testing
