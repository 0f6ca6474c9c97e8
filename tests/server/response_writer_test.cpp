// SerializeResponse (server/response_writer) must produce exactly the bytes Beast's own
// serializer writes for the same message: the server switched from http::async_write to one
// buffer per response, and no header, header order or body byte may change with it.
#include "server/response_writer.hpp"

#include "api/response.hpp"

#include <boost/beast/http/write.hpp>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace renewmatch::server {
namespace {

namespace http = api::http;

// What Beast's serializer writes for `response` (operator<< runs http::write).
std::string BeastBytes(const api::HttpResponse& response) {
    std::ostringstream os;
    os << response;
    return os.str();
}

TEST(ResponseWriter, JsonResponseMatchesBeast) {
    api::HttpResponse res = api::JsonResponse(http::status::ok, R"({"status":"ok"})");
    res.set("X-Request-Id", "0123456789abcdef0123456789abcdef");
    res.keep_alive(true);
    res.prepare_payload();
    std::string out = "left over from the previous response";
    ASSERT_TRUE(SerializeResponse(res, out));
    EXPECT_EQ(out, BeastBytes(res));
    EXPECT_EQ(out,
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: "
              "0123456789abcdef0123456789abcdef\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}");
}

TEST(ResponseWriter, ErrorWithExtraHeadersAndConnectionCloseMatchesBeast) {
    api::ApiError error =
        api::ApiError::Make(Errc::kUnavailable, "not ready: database", "not_ready");
    error.headers.emplace_back("Retry-After", "1");
    api::HttpResponse res = api::ErrorResponse(error, "req-1");
    res.set("X-Request-Id", "req-1");
    res.keep_alive(false);
    res.prepare_payload();
    std::string out;
    ASSERT_TRUE(SerializeResponse(res, out));
    EXPECT_EQ(out, BeastBytes(res));
    EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\r\nRetry-After: 1\r\n"), std::string::npos) << out;
    EXPECT_EQ(out.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << out;
}

TEST(ResponseWriter, NoContentCustomReasonAndHttp10MatchBeast) {
    api::HttpResponse no_content = api::NoContentResponse();
    no_content.prepare_payload();
    std::string out;
    ASSERT_TRUE(SerializeResponse(no_content, out));
    EXPECT_EQ(out, BeastBytes(no_content));

    api::HttpResponse custom = api::TextResponse(http::status::not_found, "gone", "text/plain");
    custom.reason("Nothing Here");
    custom.version(10);
    custom.prepare_payload();
    ASSERT_TRUE(SerializeResponse(custom, out));
    EXPECT_EQ(out, BeastBytes(custom));
    EXPECT_EQ(out.rfind("HTTP/1.0 404 Nothing Here\r\n", 0), 0u) << out;
}

TEST(ResponseWriter, LargeBodyStaysOutOfTheBuffer) {
    const std::string body(kCoalesceBodyLimit + 1, 'x');
    api::HttpResponse res = api::TextResponse(http::status::ok, body, "application/yaml");
    res.prepare_payload();
    std::string out;
    EXPECT_FALSE(SerializeResponse(res, out));
    // The buffer holds exactly the header; header + body is Beast's message.
    EXPECT_EQ(out + body, BeastBytes(res));

    api::HttpResponse at_limit =
        api::TextResponse(http::status::ok, std::string(kCoalesceBodyLimit, 'y'));
    at_limit.prepare_payload();
    EXPECT_TRUE(SerializeResponse(at_limit, out));
    EXPECT_EQ(out, BeastBytes(at_limit));
}

}  // namespace
}  // namespace renewmatch::server
