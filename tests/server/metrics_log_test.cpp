#include "server/log.hpp"
#include "server/metrics.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

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

}  // namespace
}  // namespace renewmatch::server
