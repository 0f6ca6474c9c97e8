// Integration tests: the real renewmatchd binary on port 0 with a generated certificate and a
// temporary SQLite file, spoken to over TLS (Beast client, OpenSSL, and the curl binary).
#include "tests/integration/server_process.hpp"
#include "tests/integration/tls_client.hpp"
#include "tests/support/test_util.hpp"

#include <boost/beast/http/error.hpp>
#include <openssl/ssl.h>
#include <signal.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>

namespace renewmatch::testing {
namespace {

using namespace std::chrono_literals;
using api::HttpResponse;
using api::http::verb;

// Every scenario gets its own server and database: no state leaks between tests.
class ServerTest : public ::testing::Test {
  protected:
    void StartServer(std::vector<std::string> extra = {}) {
        server_ = ServerProcess::Start(dir_.path(), extra);
        ASSERT_NE(server_, nullptr);
    }
    std::uint16_t port() const { return server_->port(); }

    // One request on a fresh connection.
    HttpResponse Get(const std::string& target,
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
        TlsClient client(port());
        HttpResponse res;
        auto ec = client.Connect();
        EXPECT_FALSE(ec) << ec.message();
        if (ec) return res;
        auto req = MakeRequest(verb::get, target);
        for (auto& [k, v] : headers) req.set(k, v);
        ec = client.Send(req, &res);
        EXPECT_FALSE(ec) << ec.message();
        return res;
    }

    // The value of a Prometheus sample line `name` (exact series text), or -1 when absent.
    static double Sample(const std::string& exposition, const std::string& series) {
        const std::string prefix = series + " ";
        std::size_t pos = 0;
        while ((pos = exposition.find(prefix, pos)) != std::string::npos) {
            if (pos == 0 || exposition[pos - 1] == '\n') {
                return std::stod(exposition.substr(pos + prefix.size()));
            }
            pos += prefix.size();
        }
        return -1;
    }

    TempDir dir_;
    std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerTest, HealthzAnswersOverTlsAndEchoesRequestId) {
    StartServer();
    auto res = Get("/healthz", {{"X-Request-Id", "it-health-1"}});
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res["X-Request-Id"], "it-health-1");
    EXPECT_NE(res.body().find("ok"), std::string::npos) << res.body();
    // The request is logged as one JSON line with the id, path and status.
    auto line = server_->WaitForLine("\"requestId\":\"it-health-1\"", 5s);
    ASSERT_TRUE(line);
    EXPECT_NE(line->find("\"path\":\"/healthz\""), std::string::npos) << *line;
    EXPECT_NE(line->find("\"status\":200"), std::string::npos) << *line;
    EXPECT_NE(line->find("\"remote\":\"127.0.0.1:"), std::string::npos) << *line;
}

TEST_F(ServerTest, GeneratesRequestIdWhenMissingOrInvalid) {
    StartServer();
    auto res = Get("/healthz");
    EXPECT_EQ(res["X-Request-Id"].size(), 32u);
    auto bad = Get("/healthz", {{"X-Request-Id", "has spaces\"and quotes"}});
    EXPECT_EQ(bad["X-Request-Id"].size(), 32u);
    EXPECT_NE(bad["X-Request-Id"], res["X-Request-Id"]);
}

TEST_F(ServerTest, ReadyzReportsDatabase) {
    StartServer();
    auto res = Get("/readyz");
    EXPECT_EQ(res.result_int(), 200u) << res.body();
    EXPECT_NE(res.body().find("database"), std::string::npos) << res.body();
}

TEST_F(ServerTest, UnknownPathIs404WithErrorBody) {
    StartServer();
    auto res = Get("/no/such/thing", {{"X-Request-Id", "it-404"}});
    EXPECT_EQ(res.result_int(), 404u);
    EXPECT_NE(res.body().find("\"error\""), std::string::npos) << res.body();
    EXPECT_NE(res.body().find("\"requestId\":\"it-404\""), std::string::npos) << res.body();
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
    StartServer();
    TlsClient client(port());
    ASSERT_FALSE(client.Connect());
    HttpResponse res;
    ASSERT_FALSE(client.Send(MakeRequest(verb::delete_, "/healthz"), &res));
    EXPECT_EQ(res.result_int(), 405u);
    EXPECT_NE(res[api::http::field::allow].find("GET"), std::string::npos);
}

TEST_F(ServerTest, OversizedHeaderIs431AndConnectionCloses) {
    StartServer({"--header-limit", "4KiB"});
    TlsClient client(port());
    ASSERT_FALSE(client.Connect());
    auto req = MakeRequest(verb::get, "/healthz");
    req.set("X-Padding", std::string(8 * 1024, 'a'));
    HttpResponse res;
    ASSERT_FALSE(client.Send(req, &res));
    EXPECT_EQ(res.result_int(), 431u);
    EXPECT_FALSE(res.keep_alive());
    EXPECT_NE(res.body().find("header_too_large"), std::string::npos) << res.body();
    // A header just under the limit is fine.
    auto ok = Get("/healthz", {{"X-Padding", std::string(2 * 1024, 'a')}});
    EXPECT_EQ(ok.result_int(), 200u);
}

TEST_F(ServerTest, OversizedBodyIs413BeforeTheBodyIsRead) {
    StartServer({"--enable-test-routes"});
    // Content-Length over the route limit (64 KiB for /_test/echo): refused from the header
    // alone; the client only sends the header.
    TlsClient client(port());
    ASSERT_FALSE(client.Connect());
    ASSERT_FALSE(client.WriteRaw(
        "POST /_test/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n"));
    HttpResponse res;
    ASSERT_FALSE(client.Read(&res));
    EXPECT_EQ(res.result_int(), 413u);
    EXPECT_NE(res.body().find("body_too_large"), std::string::npos) << res.body();

    // Under the limit the same route works (and the default 1 MiB limit elsewhere is larger).
    TlsClient ok_client(port());
    ASSERT_FALSE(ok_client.Connect());
    HttpResponse ok;
    ASSERT_FALSE(
        ok_client.Send(MakeRequest(verb::post, "/_test/echo", std::string(60000, 'x')), &ok));
    EXPECT_EQ(ok.result_int(), 200u);
    EXPECT_EQ(ok.body().size(), 60000u);
}

TEST_F(ServerTest, OversizedChunkedBodyIs413) {
    StartServer({"--enable-test-routes"});
    TlsClient client(port());
    ASSERT_FALSE(client.Connect());
    // No Content-Length: the limit is enforced while chunks arrive.
    std::string chunk(40000, 'y');
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
    std::string raw =
        "POST /_test/echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n";
    raw += size_line + chunk + "\r\n" + size_line + chunk + "\r\n0\r\n\r\n";
    ASSERT_FALSE(client.WriteRaw(raw));
    HttpResponse res;
    ASSERT_FALSE(client.Read(&res));
    EXPECT_EQ(res.result_int(), 413u);
}

TEST_F(ServerTest, PlainHttpToTlsPortIsRefusedAndServerStaysHealthy) {
    StartServer();
    boost::system::error_code how;
    std::string got =
        PlainTcpExchange(port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", 5s, &how);
    // The server ends the connection (TLS alert bytes at most), never an HTTP answer, and
    // well before our 5 s deadline.
    EXPECT_NE(how, boost::beast::error::timeout);
    EXPECT_EQ(got.find("HTTP/1.1"), std::string::npos) << got;
    EXPECT_EQ(Get("/healthz").result_int(), 200u);
    EXPECT_TRUE(server_->WaitForLine("tls handshake failed", 5s));
}

TEST_F(ServerTest, Tls11OnlyClientIsRefusedByTheServer) {
    StartServer();
    // Security level 0 makes OpenSSL 3 willing to offer TLS 1.1 at all, so the refusal we see
    // comes from the server (a protocol_version alert), not from the client's own policy.
    TlsClientOptions old;
    old.min_version = TLS1_1_VERSION;
    old.max_version = TLS1_1_VERSION;
    old.security_level = 0;
    old.tls12_ciphers = "DEFAULT:@SECLEVEL=0";
    TlsClient client(port(), old);
    auto ec = client.Connect();
    ASSERT_TRUE(ec);
    EXPECT_NE(ec.message().find("protocol version"), std::string::npos) << ec.message();
    EXPECT_TRUE(server_->WaitForLine("tls handshake failed", 5s));
}

TEST_F(ServerTest, Tls12AndTls13NegotiateModernSuites) {
    StartServer();
    TlsClientOptions v12;
    v12.min_version = TLS1_2_VERSION;
    v12.max_version = TLS1_2_VERSION;
    v12.ca_file = SharedTestCert().cert.string();
    TlsClient c12(port(), v12);
    ASSERT_FALSE(c12.Connect());
    EXPECT_EQ(c12.NegotiatedVersion(), "TLSv1.2");
    EXPECT_EQ(c12.NegotiatedCipher().rfind("ECDHE-", 0), 0u) << c12.NegotiatedCipher();
    EXPECT_TRUE(c12.NegotiatedCipher().find("GCM") != std::string::npos ||
                c12.NegotiatedCipher().find("CHACHA20") != std::string::npos);

    TlsClientOptions v13;
    v13.min_version = TLS1_3_VERSION;
    v13.ca_file = SharedTestCert().cert.string();
    TlsClient c13(port(), v13);
    ASSERT_FALSE(c13.Connect());
    EXPECT_EQ(c13.NegotiatedVersion(), "TLSv1.3");

    // A TLS 1.2 client offering only a CBC (non-AEAD) suite finds no shared cipher.
    TlsClientOptions cbc = v12;
    cbc.tls12_ciphers = "ECDHE-ECDSA-AES128-SHA";
    TlsClient weak(port(), cbc);
    EXPECT_TRUE(weak.Connect());
}

TEST_F(ServerTest, KeepAliveReusesOneConnection) {
    StartServer();
    TlsClient client(port());
    ASSERT_FALSE(client.Connect());
    const auto local = client.local_port();
    for (int i = 0; i < 3; ++i) {
        HttpResponse res;
        ASSERT_FALSE(client.Send(MakeRequest(verb::get, "/healthz"), &res)) << i;
        EXPECT_EQ(res.result_int(), 200u);
        EXPECT_TRUE(res.keep_alive());
    }
    EXPECT_EQ(client.local_port(), local);
    HttpResponse metrics;
    ASSERT_FALSE(client.Send(MakeRequest(verb::get, "/metrics"), &metrics));
    // Four requests, one connection accepted so far.
    EXPECT_EQ(Sample(metrics.body(), "renewmatch_connections_accepted_total"), 1);
    EXPECT_EQ(
        Sample(metrics.body(),
               "renewmatch_http_requests_total{route=\"healthz\",method=\"GET\",status=\"200\"}"),
        3);
}

TEST_F(ServerTest, MetricsExposePrometheusText) {
    StartServer();
    Get("/healthz");
    Get("/nowhere");
    auto res = Get("/metrics");
    ASSERT_EQ(res.result_int(), 200u);
    EXPECT_NE(res[api::http::field::content_type].find("text/plain"), std::string::npos);
    const std::string& body = res.body();
    EXPECT_EQ(
        Sample(body,
               "renewmatch_http_requests_total{route=\"healthz\",method=\"GET\",status=\"200\"}"),
        1);
    EXPECT_EQ(
        Sample(body,
               "renewmatch_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}"),
        1);
    EXPECT_EQ(Sample(body, "renewmatch_http_request_duration_seconds_count{route=\"healthz\"}"), 1);
    EXPECT_EQ(
        Sample(body,
               "renewmatch_http_request_duration_seconds_bucket{route=\"healthz\",le=\"+Inf\"}"),
        1);
    // This very request is in flight and its connection open while the exposition is built.
    EXPECT_EQ(Sample(body, "renewmatch_in_flight_requests"), 1);
    EXPECT_EQ(Sample(body, "renewmatch_open_connections"), 1);
    EXPECT_NE(body.find("# TYPE renewmatch_http_request_duration_seconds histogram"),
              std::string::npos);
}

TEST_F(ServerTest, IdleConnectionIsClosedAfterIdleTimeout) {
    StartServer({"--idle-timeout", "300ms"});
    TlsClient client(port());
    ASSERT_FALSE(client.Connect());
    HttpResponse res;
    ASSERT_FALSE(client.Send(MakeRequest(verb::get, "/healthz"), &res));
    const auto start = std::chrono::steady_clock::now();
    auto ec = client.WaitForClose(10s);
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_NE(ec, boost::beast::error::timeout) << "still open after 10 s";
    EXPECT_GE(waited, 250ms);
    EXPECT_LT(waited, 8s);
}

TEST_F(ServerTest, SilentClientIsClosedAfterHandshakeTimeout) {
    StartServer({"--handshake-timeout", "300ms"});
    boost::system::error_code how;
    // Connect and say nothing at all.
    PlainTcpExchange(port(), "", 10s, &how);
    EXPECT_NE(how, boost::beast::error::timeout);
}

TEST_F(ServerTest, MaxConnectionsClosesExtraConnectionsPromptly) {
    StartServer({"--max-connections", "2"});
    TlsClient a(port()), b(port());
    ASSERT_FALSE(a.Connect());
    ASSERT_FALSE(b.Connect());
    HttpResponse res;
    // Make sure both are registered before the third arrives.
    ASSERT_FALSE(a.Send(MakeRequest(verb::get, "/healthz"), &res));
    ASSERT_FALSE(b.Send(MakeRequest(verb::get, "/healthz"), &res));
    TlsClientOptions quick;
    quick.timeout = 5s;
    TlsClient c(port(), quick);
    const auto start = std::chrono::steady_clock::now();
    auto ec = c.Connect();
    EXPECT_TRUE(ec);
    EXPECT_NE(ec, boost::beast::error::timeout);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
    // Existing connections are unaffected.
    ASSERT_FALSE(a.Send(MakeRequest(verb::get, "/metrics"), &res));
    EXPECT_EQ(
        Sample(res.body(), "renewmatch_connections_rejected_total{reason=\"max_connections\"}"), 1);
}

TEST_F(ServerTest, SigtermAnswersTheInFlightRequestThenExitsZero) {
    StartServer({"--enable-test-routes"});
    TlsClient idle(port());  // an idle keep-alive connection must not hold up the shutdown
    ASSERT_FALSE(idle.Connect());
    auto in_flight = std::async(std::launch::async, [p = port()] {
        TlsClient client(p);
        HttpResponse res;
        if (auto ec = client.Connect()) return std::make_pair(ec, res);
        auto req = MakeRequest(verb::get, "/_test/slow?ms=1500");
        req.set("X-Request-Id", "it-slow");
        auto ec = client.Send(req, &res);
        return std::make_pair(ec, res);
    });
    // The handler logs when it starts: then the request is certainly in flight.
    ASSERT_TRUE(server_->WaitForLine("test slow request started", 10s));
    server_->Signal(SIGTERM);
    ASSERT_TRUE(server_->WaitForLine("shutting down", 5s));

    // New connections are no longer accepted.
    TlsClientOptions quick;
    quick.timeout = 3s;
    TlsClient late(port(), quick);
    EXPECT_TRUE(late.Connect());

    auto [ec, res] = in_flight.get();
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(res.result_int(), 200u);
    EXPECT_EQ(res.body(), "{\"sleptMs\":1500}");
    EXPECT_FALSE(res.keep_alive());  // answered with Connection: close during the drain
    auto status = server_->WaitForExit(20s);
    ASSERT_TRUE(status) << "renewmatchd did not exit";
    EXPECT_EQ(*status, 0);
    EXPECT_TRUE(server_->WaitForLine("\"msg\":\"stopped\"", 5s));
}

TEST_F(ServerTest, SigintWithOnlyIdleConnectionsExitsPromptly) {
    StartServer({"--shutdown-timeout", "30s"});
    TlsClient idle(port());
    ASSERT_FALSE(idle.Connect());
    HttpResponse res;
    ASSERT_FALSE(idle.Send(MakeRequest(verb::get, "/healthz"), &res));
    const auto start = std::chrono::steady_clock::now();
    server_->Signal(SIGINT);
    auto status = server_->WaitForExit(20s);
    ASSERT_TRUE(status);
    EXPECT_EQ(*status, 0);
    // Far below the 30 s drain deadline: idle connections are closed, not waited for.
    EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
    EXPECT_NE(idle.WaitForClose(5s), boost::beast::error::timeout);
}

TEST_F(ServerTest, CurlAsAUserWould) {
    StartServer();
    const std::string cmd =
        "curl -sS --max-time 20 --cacert " + SharedTestCert().cert.string() +
        " -H 'X-Request-Id: curl-1' -D - https://localhost:" + std::to_string(port()) +
        "/healthz 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string out;
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
    const int rc = pclose(pipe);
    EXPECT_EQ(rc, 0) << out;
    EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
    EXPECT_NE(out.find("X-Request-Id: curl-1"), std::string::npos) << out;
    EXPECT_NE(out.find("\"ok\""), std::string::npos) << out;
}

TEST(ServerStartup, BadConfigurationExitsTwoNamingTheSetting) {
    auto [rc, err] =
        ServerProcess::RunToExit({"--io-threads", "0", "--tls-cert", SharedTestCert().cert.string(),
                                  "--tls-key", SharedTestCert().key.string()});
    EXPECT_EQ(rc, 2);
    EXPECT_NE(err.find("io_threads"), std::string::npos) << err;

    auto [rc2, err2] = ServerProcess::RunToExit({"--listen", "127.0.0.1:0"});
    EXPECT_EQ(rc2, 2);
    EXPECT_NE(err2.find("tls_cert"), std::string::npos) << err2;

    TempDir dir;
    auto [rc3, err3] = ServerProcess::RunToExit(
        {"--listen", "127.0.0.1:0", "--tls-cert", SharedTestCert().key.string(), "--tls-key",
         SharedTestCert().key.string(), "--db", (dir / "x.db").string()});
    EXPECT_EQ(rc3, 2);
    EXPECT_NE(err3.find("tls_cert"), std::string::npos) << err3;
}

}  // namespace
}  // namespace renewmatch::testing
