// The server's request path over real TLS (server owner): what a response carries after the
// one-buffer write, pipelined and keep-alive requests on one connection (inline and work-pool
// routes mixed), a body larger than the coalescing limit, and the buffered request log written
// completely by a clean shutdown. The real renewmatchd binary, port 0, the test certificate.
#include "tests/integration/server_process.hpp"
#include "tests/integration/tls_client.hpp"
#include "tests/support/test_util.hpp"

#include <signal.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace renewmatch::testing {
namespace {

using namespace std::chrono_literals;
using api::HttpResponse;
using api::http::verb;

// Every field of a response as (name, value), in order.
std::vector<std::pair<std::string, std::string>> Fields(const HttpResponse& res) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& field : res) {
        out.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    return out;
}

class ServerWireTest : public ::testing::Test {
  protected:
    void StartServer(std::vector<std::string> extra = {}) {
        server_ = ServerProcess::Start(dir_.path(), std::move(extra));
        ASSERT_NE(server_, nullptr);
    }
    TempDir dir_;
    std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerWireTest, HealthzCarriesExactlyItsHeadersAndBody) {
    StartServer();
    TlsClient client(server_->port());
    ASSERT_FALSE(client.Connect());
    auto req = MakeRequest(verb::get, "/healthz");
    req.set("X-Request-Id", "wire-1");
    HttpResponse res;
    ASSERT_FALSE(client.Send(req, &res));
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.version(), 11u);
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"Content-Type", "application/json"},
        {"X-Request-Id", "wire-1"},
        {"Content-Length", "15"},
    };
    EXPECT_EQ(Fields(res), expected);
    EXPECT_EQ(res.body(), R"({"status":"ok"})");
    EXPECT_TRUE(res.keep_alive());
}

TEST_F(ServerWireTest, PipelinedRequestsAreAnsweredInOrderOnOneConnection) {
    StartServer({"--enable-test-routes"});
    TlsClient client(server_->port());
    ASSERT_FALSE(client.Connect());
    // One write with five requests: inline (/healthz), work pool (/readyz, /_test/echo, 404),
    // and inline again. The answers must come back in request order with their own ids.
    std::string raw;
    const std::vector<std::string> targets = {"/healthz", "/readyz", "/_test/echo", "/nowhere",
                                              "/healthz"};
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const bool post = targets[i] == "/_test/echo";
        raw += std::string(post ? "POST " : "GET ") + targets[i] +
               " HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: pipe-" + std::to_string(i) + "\r\n";
        raw += post ? "Content-Length: 5\r\n\r\nhello" : "\r\n";
    }
    ASSERT_FALSE(client.WriteRaw(raw));
    const std::vector<unsigned> statuses = {200, 200, 200, 404, 200};
    for (std::size_t i = 0; i < targets.size(); ++i) {
        HttpResponse res;
        ASSERT_FALSE(client.Read(&res)) << i;
        EXPECT_EQ(res.result_int(), statuses[i]) << targets[i] << ": " << res.body();
        EXPECT_EQ(res["X-Request-Id"], "pipe-" + std::to_string(i));
        EXPECT_EQ(res[api::http::field::content_length], std::to_string(res.body().size()));
        EXPECT_TRUE(res.keep_alive()) << i;
        if (targets[i] == "/_test/echo") {
            EXPECT_EQ(res.body(), "hello");
        }
        if (targets[i] == "/healthz") {
            EXPECT_EQ(res.body(), R"({"status":"ok"})");
        }
    }
    // Keep-alive goes on after the pipeline, on the same connection.
    for (int i = 0; i < 20; ++i) {
        HttpResponse res;
        ASSERT_FALSE(client.Send(MakeRequest(verb::get, i % 2 ? "/healthz" : "/readyz"), &res))
            << i;
        EXPECT_EQ(res.result_int(), 200u) << i;
    }
}

TEST_F(ServerWireTest, BodyLargerThanTheCoalescingLimitArrivesWhole) {
    StartServer();
    TlsClient client(server_->port());
    ASSERT_FALSE(client.Connect());
    HttpResponse res;
    ASSERT_FALSE(client.Send(MakeRequest(verb::get, "/v1/openapi.yaml"), &res));
    EXPECT_EQ(res.result_int(), 200u);
    const std::string expected = ReadFile(SourceDir() / "api" / "openapi.yaml");
    ASSERT_GT(expected.size(), 64u * 1024) << "the document no longer exceeds the coalescing limit";
    EXPECT_EQ(res.body(), expected);
    EXPECT_EQ(res[api::http::field::content_type], "application/yaml");
    // A small response after the large one on the same connection (the reused buffer).
    ASSERT_FALSE(client.Send(MakeRequest(verb::get, "/healthz"), &res));
    EXPECT_EQ(res.body(), R"({"status":"ok"})");
}

TEST_F(ServerWireTest, CleanShutdownWritesEveryRequestLineBeforeStopped) {
    StartServer();
    constexpr int kRequests = 300;
    {
        TlsClient client(server_->port());
        ASSERT_FALSE(client.Connect());
        for (int i = 0; i < kRequests; ++i) {
            auto req = MakeRequest(verb::get, "/healthz");
            req.set("X-Request-Id", "flush-" + std::to_string(i));
            HttpResponse res;
            ASSERT_FALSE(client.Send(req, &res)) << i;
        }
    }
    server_->Signal(SIGTERM);
    auto status = server_->WaitForExit(20s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 0);
    ASSERT_TRUE(server_->WaitForLine("\"msg\":\"stopped\"", 5s));
    const std::vector<std::string> lines = server_->Lines();
    int next = 0;
    std::size_t stopped_at = lines.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].find("\"msg\":\"stopped\"") != std::string::npos) stopped_at = i;
        if (next < kRequests && lines[i].find("\"requestId\":\"flush-" + std::to_string(next) +
                                              "\"") != std::string::npos) {
            EXPECT_LT(i, stopped_at) << "request line after \"stopped\"";
            ++next;
        }
    }
    EXPECT_EQ(next, kRequests) << "request lines missing or out of order";
}

}  // namespace
}  // namespace renewmatch::testing
