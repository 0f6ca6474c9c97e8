#include "server/log.hpp"
#include "server/metrics.hpp"
#include "tests/support/stdout_capture.hpp"
#include "tests/support/test_util.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace renewmatch::server {
namespace {

TEST(Metrics, CountsRequestsByRouteMethodStatus) {
    Metrics m;
    m.ObserveRequest("healthz", "GET", 200, 0.0005);
    m.ObserveRequest("healthz", "GET", 200, 0.02);
    m.ObserveRequest("unmatched", "GET", 404, 0.001);
    const std::string text = m.RenderPrometheus();
    EXPECT_NE(
        text.find(
            "renewmatch_http_requests_total{route=\"healthz\",method=\"GET\",status=\"200\"} 2\n"),
        std::string::npos)
        << text;
    EXPECT_NE(text.find("renewmatch_http_requests_total{route=\"unmatched\",method=\"GET\",status="
                        "\"404\"} 1\n"),
              std::string::npos);
}

TEST(Metrics, HistogramBucketsAreCumulative) {
    Metrics m;
    m.ObserveRequest("r", "GET", 200, 0.0005);  // <= 0.001
    m.ObserveRequest("r", "GET", 200, 0.003);   // <= 0.005
    m.ObserveRequest("r", "GET", 200, 60.0);    // only +Inf
    const std::string text = m.RenderPrometheus();
    auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
    EXPECT_TRUE(has("renewmatch_http_request_duration_seconds_bucket{route=\"r\",le=\"0.001\"} 1"))
        << text;
    EXPECT_TRUE(
        has("renewmatch_http_request_duration_seconds_bucket{route=\"r\",le=\"0.0025\"} 1"));
    EXPECT_TRUE(has("renewmatch_http_request_duration_seconds_bucket{route=\"r\",le=\"0.005\"} 2"));
    EXPECT_TRUE(has("renewmatch_http_request_duration_seconds_bucket{route=\"r\",le=\"10\"} 2"));
    EXPECT_TRUE(has("renewmatch_http_request_duration_seconds_bucket{route=\"r\",le=\"+Inf\"} 3"));
    EXPECT_TRUE(has("renewmatch_http_request_duration_seconds_count{route=\"r\"} 3"));
    EXPECT_TRUE(has("renewmatch_http_request_duration_seconds_sum{route=\"r\"} 60.0035"));
}

TEST(Metrics, GaugesFollowOpenAndClose) {
    Metrics m;
    m.ConnectionOpened();
    m.ConnectionOpened();
    m.ConnectionClosed();
    m.RequestStarted();
    m.ConnectionRejectedAtLimit();
    const std::string text = m.RenderPrometheus();
    EXPECT_NE(text.find("renewmatch_open_connections 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("renewmatch_in_flight_requests 1\n"), std::string::npos);
    EXPECT_NE(text.find("renewmatch_connections_accepted_total 2\n"), std::string::npos);
    EXPECT_NE(text.find("renewmatch_connections_rejected_total{reason=\"max_connections\"} 1\n"),
              std::string::npos);
}

TEST(Metrics, LabelValuesAreEscaped) {
    EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(Log, RequestLineIsOneValidJsonObject) {
    RequestLogEntry e{"id-1", "GET", "/v1/x\"y\n", 200, 15, 1.25, "127.0.0.1:5000"};
    const std::string line = FormatRequestLog(e);
    EXPECT_EQ(line.find('\n'), std::string::npos);
    rapidjson::Document doc;
    doc.Parse(line.c_str());
    ASSERT_FALSE(doc.HasParseError()) << line;
    EXPECT_STREQ(doc["msg"].GetString(), "request");
    EXPECT_STREQ(doc["requestId"].GetString(), "id-1");
    EXPECT_STREQ(doc["path"].GetString(), "/v1/x\"y\n");
    EXPECT_EQ(doc["status"].GetInt(), 200);
    EXPECT_EQ(doc["bytes"].GetInt(), 15);
    EXPECT_DOUBLE_EQ(doc["durationMs"].GetDouble(), 1.25);
    EXPECT_STREQ(doc["remote"].GetString(), "127.0.0.1:5000");
    EXPECT_TRUE(doc["time"].IsString());
}

TEST(Log, ControlCharactersAreEscaped) {
    EXPECT_EQ(JsonEscape(std::string("a\x01z", 3)), "a\\u0001z");
    EXPECT_EQ(JsonEscape("tab\there"), "tab\\there");
}

// `text` with the value of every "time" member replaced by "T": both functions read the clock
// when they run, so two calls may straddle a millisecond.
std::string WithoutTime(std::string text) {
    const std::string key = "\"time\":\"";
    for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
        const auto begin = at + key.size();
        const auto end = text.find('"', begin);
        if (end == std::string::npos) break;
        text.replace(begin, end - begin, "T");
    }
    return text;
}

TEST(Log, AppendRequestLogIsTheFormattedLinePlusNewline) {
    RequestLogEntry e{"id-2", "POST", "/v1/lists", 201, 12345, 0.5, "[::1]:443"};
    std::string out = "previous\n";
    AppendRequestLog(e, out);
    EXPECT_EQ(WithoutTime(out), "previous\n" + WithoutTime(FormatRequestLog(e)) + "\n");
    EXPECT_NE(out.find("\"time\":\"20"), std::string::npos) << out;
    rapidjson::Document doc;
    doc.Parse(FormatRequestLog(e).c_str());
    ASSERT_FALSE(doc.HasParseError());
    EXPECT_EQ(doc["bytes"].GetInt(), 12345);
    EXPECT_DOUBLE_EQ(doc["durationMs"].GetDouble(), 0.5);
}

TEST(Log, DurationIsWrittenAsPrintfWouldWithThreeDecimals) {
    for (double ms : {0.0, 0.0004, 0.0005, 0.0015, 1.25, 1.2345, 2.0625, 999.9995, 12345.6789, 1e-7,
                      86400000.123}) {
        RequestLogEntry e{"d", "GET", "/", 200, 0, ms, "r"};
        const std::string line = FormatRequestLog(e);
        char expected[64];
        std::snprintf(expected, sizeof expected, "%.3f", ms);
        EXPECT_NE(line.find(",\"durationMs\":" + std::string(expected) + ",\"remote\""),
                  std::string::npos)
            << ms << ": " << line;
    }
}

TEST(Log, TimeIsRfc3339WithMilliseconds) {
    const std::string t = NowRfc3339();
    ASSERT_EQ(t.size(), 24u) << t;  // 2026-11-27T04:30:00.123Z
    EXPECT_EQ(t[4], '-');
    EXPECT_EQ(t[10], 'T');
    EXPECT_EQ(t[19], '.');
    EXPECT_EQ(t.back(), 'Z');
}

// Lines of a file (without newlines).
using renewmatch::testing::FileLines;
using renewmatch::testing::StdoutToFile;

bool Contains(const std::vector<std::string>& lines, const std::string& needle) {
    for (const std::string& line : lines) {
        if (line.find(needle) != std::string::npos) return true;
    }
    return false;
}

TEST(Log, BufferedLinesAreWrittenByTheFlusherWithoutAFlushCall) {
    testing::TempDir dir;
    const std::string path = (dir / "stdout.log").string();
    StdoutToFile redirect(path);
    LogRequest(RequestLogEntry{"flusher-1", "GET", "/healthz", 200, 15, 0.1, "127.0.0.1:1"});
    BufferLogLine(R"({"msg":"flusher-2"})");
    // The flusher writes within kLogFlushInterval; allow a loaded machine 5 s.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::vector<std::string> lines;
    while (std::chrono::steady_clock::now() < deadline) {
        lines = FileLines(path);
        if (Contains(lines, "flusher-2")) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_TRUE(Contains(lines, "\"requestId\":\"flusher-1\"")) << lines.size();
    ASSERT_TRUE(Contains(lines, "flusher-2"));
}

TEST(Log, ImmediateLinesComeAfterEveryBufferedLineAndFlushLogWritesAll) {
    testing::TempDir dir;
    const std::string path = (dir / "stdout.log").string();
    {
        StdoutToFile redirect(path);
        for (int i = 0; i < 100; ++i) {
            LogRequest(RequestLogEntry{"order-" + std::to_string(i), "GET", "/healthz", 200, 15,
                                       0.1, "127.0.0.1:1"});
        }
        LogEvent("info", "order marker");
        LogRequest(RequestLogEntry{"order-after", "GET", "/healthz", 200, 15, 0.1, "x"});
        FlushLog();
    }
    const std::vector<std::string> lines = FileLines(path);
    std::vector<std::string> ours;
    for (const std::string& line : lines) {
        if (line.find("order-") != std::string::npos ||
            line.find("order marker") != std::string::npos) {
            ours.push_back(line);
        }
    }
    ASSERT_EQ(ours.size(), 102u);
    for (int i = 0; i < 100; ++i) {
        EXPECT_NE(ours[static_cast<std::size_t>(i)].find("\"requestId\":\"order-" +
                                                         std::to_string(i) + "\""),
                  std::string::npos)
            << i << ": " << ours[static_cast<std::size_t>(i)];
    }
    EXPECT_NE(ours[100].find("order marker"), std::string::npos) << ours[100];
    EXPECT_NE(ours[101].find("order-after"), std::string::npos) << ours[101];
    for (const std::string& line : ours) {
        rapidjson::Document doc;
        doc.Parse(line.c_str());
        EXPECT_FALSE(doc.HasParseError()) << line;
    }
}

// A clean exit (std::exit, as renewmatchd's return from main) writes every buffered line: the
// child process logs 2,000 request lines and exits at once, well within kLogFlushInterval.
TEST(LogDeathTest, ExitWritesEveryBufferedLine) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    // The threadsafe style re-runs this test in a fresh process up to the statement: the path
    // comes from the environment so that parent and child agree on it.
    testing::TempDir dir;
    if (std::getenv("RENEWMATCH_LOG_EXIT_TEST") == nullptr) {
        ::setenv("RENEWMATCH_LOG_EXIT_TEST", (dir / "exit.log").string().c_str(), 1);
    }
    const std::string path = std::getenv("RENEWMATCH_LOG_EXIT_TEST");
    EXPECT_EXIT(
        {
            std::fflush(stdout);  // gtest's own buffered output stays out of the file
            const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, STDOUT_FILENO);
            for (int i = 0; i < 2000; ++i) {
                LogRequest(RequestLogEntry{"exit-" + std::to_string(i), "GET", "/healthz", 200, 15,
                                           0.1, "127.0.0.1:1"});
            }
            std::exit(0);
        },
        ::testing::ExitedWithCode(0), "");
    std::vector<std::string> lines;
    for (const std::string& line : FileLines(path)) {
        if (line.find("\"requestId\":\"exit-") != std::string::npos) lines.push_back(line);
    }
    ::unsetenv("RENEWMATCH_LOG_EXIT_TEST");
    ASSERT_EQ(lines.size(), 2000u);
    EXPECT_NE(lines.front().find("\"requestId\":\"exit-0\""), std::string::npos) << lines.front();
    EXPECT_NE(lines.back().find("\"requestId\":\"exit-1999\""), std::string::npos) << lines.back();
}

TEST(Metrics, ManyMethodsAndStatusesOfOneRouteRenderSorted) {
    Metrics m;
    m.ObserveRequest("lists", "POST", 201, 0.01);
    m.ObserveRequest("lists", "GET", 404, 0.01);
    m.ObserveRequest("lists", "GET", 200, 0.01);
    m.ObserveRequest("lists", "GET", 200, 0.01);
    m.ObserveRequest("a", "GET", 200, 0.01);
    const std::string text = m.RenderPrometheus();
    const auto a = text.find("{route=\"a\",method=\"GET\",status=\"200\"} 1\n");
    const auto get200 = text.find("{route=\"lists\",method=\"GET\",status=\"200\"} 2\n");
    const auto get404 = text.find("{route=\"lists\",method=\"GET\",status=\"404\"} 1\n");
    const auto post201 = text.find("{route=\"lists\",method=\"POST\",status=\"201\"} 1\n");
    ASSERT_NE(a, std::string::npos) << text;
    ASSERT_NE(get200, std::string::npos) << text;
    ASSERT_NE(get404, std::string::npos) << text;
    ASSERT_NE(post201, std::string::npos) << text;
    EXPECT_LT(a, get200);
    EXPECT_LT(get200, get404);
    EXPECT_LT(get404, post201);
    EXPECT_NE(text.find("renewmatch_http_request_duration_seconds_count{route=\"lists\"} 4\n"),
              std::string::npos);
}

}  // namespace
}  // namespace renewmatch::server
