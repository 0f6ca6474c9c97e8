// The buffered request log (server/log.hpp) under concurrency: writer threads flooding request
// lines while other threads flush and write immediate events, and a process exit right after a
// flood (the atexit hook stops the flusher and writes what is left). Every line must arrive
// whole (valid JSON, never interleaved), exactly once, and in each thread's own order; an
// immediate event must follow every line its thread buffered before it. Built and run under
// ThreadSanitizer by scripts/test; also part of the ASan/UBSan suite.
#include "api/json.hpp"
#include "server/log.hpp"
#include "tests/tsan/tsan_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace renewmatch::server {
namespace {

using renewmatch::testing::FileLines;
using renewmatch::testing::StdoutToFile;
using renewmatch::testing::TempDir;

constexpr int kWriters = 4;
constexpr int kLinesPerWriter = 4000;
constexpr int kLinesPerMark = 250;

// Writer `w`'s lines: requests "w<w>-<i>" and, every kLinesPerMark lines, an immediate event
// "mark w<w>-<i>" (after request i).
void Flood(int w) {
    for (int i = 0; i < kLinesPerWriter; ++i) {
        const std::string id = "w" + std::to_string(w) + "-" + std::to_string(i);
        LogRequest(RequestLogEntry{id, "GET", "/healthz", 200, 15, 0.25, "127.0.0.1:9"});
        if ((i + 1) % kLinesPerMark == 0) LogEvent("info", "mark " + id);
    }
}

// The value of "field":"..." in a log line ("" when absent).
std::string Field(const std::string& line, const std::string& field) {
    const std::string key = "\"" + field + "\":\"";
    const auto at = line.find(key);
    if (at == std::string::npos) return "";
    const auto begin = at + key.size();
    return line.substr(begin, line.find('"', begin) - begin);
}

// Checks the flood's lines in `lines`: each whole, each request once and in its writer's order,
// each mark after its writer's request it names and before the next one.
void CheckFlood(const std::vector<std::string>& lines) {
    std::map<int, int> next;  // writer -> next expected request index
    int requests = 0, marks = 0;
    for (const std::string& line : lines) {
        auto doc = api::ParseDocument(line);
        ASSERT_TRUE(doc.has_value() && doc->IsObject()) << "not one JSON object: " << line;
        std::string id = Field(line, "requestId");
        const std::string msg = Field(line, "msg");
        bool is_mark = false;
        if (msg.rfind("mark w", 0) == 0) {
            id = msg.substr(5);
            is_mark = true;
        }
        if (id.empty() || id[0] != 'w') continue;  // not ours
        const auto dash = id.find('-');
        const int w = std::stoi(id.substr(1, dash - 1));
        const int i = std::stoi(id.substr(dash + 1));
        if (is_mark) {
            ++marks;
            // Immediate lines come after everything the same thread buffered before.
            ASSERT_EQ(next[w], i + 1) << "mark out of order: " << line;
        } else {
            ++requests;
            ASSERT_EQ(next[w], i) << "request line out of order or repeated: " << line;
            ++next[w];
        }
    }
    EXPECT_EQ(requests, kWriters * kLinesPerWriter);
    EXPECT_EQ(marks, kWriters * (kLinesPerWriter / kLinesPerMark));
}

TEST(LogTsan, FloodWithConcurrentFlushesKeepsEveryLineWholeOnceAndInOrder) {
    TempDir dir;
    const auto path = dir / "flood.log";
    {
        StdoutToFile redirect(path.string());
        std::atomic<bool> done{false};
        // Flushes at random moments against the flusher thread and the writers.
        std::thread flusher([&done] {
            while (!done.load()) {
                FlushLog();
                BufferLogLine(R"({"msg":"flush marker"})");
                std::this_thread::sleep_for(std::chrono::microseconds(300));
            }
        });
        std::vector<std::thread> writers;
        for (int w = 0; w < kWriters; ++w) writers.emplace_back(Flood, w);
        for (auto& t : writers) t.join();
        done.store(true);
        flusher.join();
        FlushLog();
    }
    CheckFlood(FileLines(path));
}

// renewmatchd returns from main after the drain: the atexit hook must write what the flood left
// in the buffer while the flusher and concurrent FlushLog calls were writing the rest.
TEST(LogTsanDeathTest, ExitRightAfterAFloodWritesEveryLine) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    TempDir dir;
    // The threadsafe style re-runs this test in a fresh process up to the statement: the path
    // comes from the environment so that parent and child agree on it.
    if (std::getenv("RENEWMATCH_TSAN_LOG_EXIT") == nullptr) {
        ::setenv("RENEWMATCH_TSAN_LOG_EXIT", (dir / "exit.log").string().c_str(), 1);
    }
    const std::string path = std::getenv("RENEWMATCH_TSAN_LOG_EXIT");
    EXPECT_EXIT(
        {
            std::fflush(stdout);
            const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, STDOUT_FILENO);
            std::atomic<bool> done{false};
            std::thread flusher([&done] {
                while (!done.load()) {
                    FlushLog();
                    std::this_thread::sleep_for(std::chrono::microseconds(500));
                }
            });
            std::vector<std::thread> writers;
            for (int w = 0; w < kWriters; ++w) writers.emplace_back(Flood, w);
            for (auto& t : writers) t.join();
            done.store(true);
            flusher.join();
            // Left in the buffer: exit comes well within kLogFlushInterval.
            for (int i = 0; i < 500; ++i) {
                LogRequest(RequestLogEntry{"tail-" + std::to_string(i), "GET", "/healthz", 200, 15,
                                           0.25, "127.0.0.1:9"});
            }
            std::exit(0);
        },
        ::testing::ExitedWithCode(0), "");
    const std::vector<std::string> lines = FileLines(path);
    ::unsetenv("RENEWMATCH_TSAN_LOG_EXIT");
    CheckFlood(lines);
    int tail = 0;
    for (const std::string& line : lines) {
        if (Field(line, "requestId") == "tail-" + std::to_string(tail)) ++tail;
    }
    EXPECT_EQ(tail, 500);
}

}  // namespace
}  // namespace renewmatch::server
