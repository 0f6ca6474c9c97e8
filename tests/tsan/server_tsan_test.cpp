// A real HttpServer (TLS, io_threads io_contexts, the work pool, the buffered request log,
// Metrics) in this process, in front of the real api::Service with the list, match, health,
// metrics and test routes over a SQLite file and the live MatchIndex (tests/api/match_fixture.hpp),
// driven by many concurrent TLS clients: keep-alive clients mixing /healthz (answered inline on
// the I/O thread), /readyz, /metrics, /candidates, echo and 404s; pipelining clients sending
// eight requests per write; a publisher whose lists catch the index up while the candidates are
// read; a thread rendering the metrics directly. Then shutdowns: Shutdown() and SIGTERM with
// requests in flight and idle connections on every I/O thread, and a process exit right after
// SIGTERM (the request lines still in the log buffer must reach stdout). Every answer, metric
// and log line is checked. Built and run under ThreadSanitizer by scripts/test; also part of the
// ASan/UBSan suite.
#include "api/json.hpp"
#include "server/app.hpp"
#include "server/http_server.hpp"
#include "server/log.hpp"
#include "server/metrics.hpp"
#include "tests/api/match_fixture.hpp"
#include "tests/integration/tls_client.hpp"
#include "tests/tsan/tsan_support.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace renewmatch::server {
namespace {

using api::HttpRequest;
using api::HttpResponse;
using api::http::verb;
using renewmatch::testing::FileLines;
using renewmatch::testing::MakeRequest;
using renewmatch::testing::StdoutToFile;
using renewmatch::testing::TestCertificate;
using renewmatch::testing::TlsClient;
using namespace std::chrono_literals;

constexpr int kIoThreads = 3;

// Problems seen on client threads, reported on the test thread (stdout is redirected to the
// log file while the server runs).
class Problems {
  public:
    void Add(std::string what) {
        std::lock_guard lock(mu_);
        if (list_.size() < 30) list_.push_back(std::move(what));
        ++count_;
    }
    void Expect() const {
        std::lock_guard lock(mu_);
        EXPECT_EQ(count_, 0);
        for (const auto& p : list_) ADD_FAILURE() << p;
    }

  private:
    mutable std::mutex mu_;
    std::vector<std::string> list_;
    int count_ = 0;
};

// A counter's value in a Prometheus exposition (-1 when the series is absent).
long long Sample(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::atoll(text.c_str() + at + series.size() + 2);
}

class ServerTsanTest : public api::testing::MatchFixture {
  protected:
    void SetUp() override {
        SetUpFixture(true);
        api::RegisterHealthRoutes(service_->router());
        RegisterMetricsRoute(service_->router(), metrics_);
        RegisterTestRoutes(service_->router());
        Publish(R"({"kind":"demand","series":"d","title":"需求","lines":[
            {"ref":"D1","title":"数控车床 CNC lathe","classification":{"id":"42621100-6"},
             "quantity":1,"deliveryAddress":{"region":"320505"}}]})",
                "buyer");
        Publish(SupplyVersion("A", 0), "supplier");
        demand_id_ = LineId("demand", "D1", buyer_org_);
        ASSERT_GT(demand_id_, 0);
    }

    void TearDown() override {
        if (run_thread_.joinable()) {
            server_->Shutdown();
            run_thread_.join();
        }
        server_.reset();
        redirect_.reset();
        MatchFixture::TearDown();
    }

    static std::string SupplyVersion(const std::string& series, int v) {
        std::string doc = R"({"kind":"supply","series":")" + series + R"(","title":"v)" +
                          std::to_string(v) + R"(","lines":[)";
        for (int i = 0; i < 4; ++i) {
            if (i > 0) doc += ",";
            doc += R"({"sku":")" + series + "-" + std::to_string(i) +
                   R"(","title":"数控车床 CNC lathe )" + series + " v" + std::to_string(v) +
                   R"(","classification":{"id":"42621100-6"},"price":{"amount":)" +
                   std::to_string(200000 + 1000 * i) + "}}";
        }
        return doc + "]}";
    }

    // Starts the server on a thread of its own; stdout (the log) goes to log_path().
    void StartServer(int work_threads = 3,
                     std::chrono::milliseconds shutdown_timeout = std::chrono::seconds(30)) {
        Config config;
        config.listen_host = "127.0.0.1";
        config.listen_port = 0;
        config.tls_cert = TestCertificate().cert.string();
        config.tls_key = TestCertificate().key.string();
        config.io_threads = kIoThreads;
        config.work_threads = work_threads;
        config.shutdown_timeout = shutdown_timeout;
        handler_ = std::make_unique<ServiceHandler>(*service_);
        auto server = HttpServer::Create(config, *handler_, metrics_);
        ASSERT_TRUE(server.has_value()) << server.error().message;
        server_ = std::move(*server);
        redirect_ = std::make_unique<StdoutToFile>(log_path().string());
        run_thread_ = std::thread([this] { exit_code_ = server_->Run(); });
    }

    // Waits for Run() to return (after a shutdown began) and restores stdout; Run's exit code.
    int JoinServer() {
        run_thread_.join();
        FlushLog();
        redirect_.reset();
        return exit_code_;
    }

    // Request lines in the log by request id prefix.
    int LoggedRequests(const std::string& id_prefix) {
        int n = 0;
        for (const std::string& line : FileLines(log_path())) {
            if (line.find("\"msg\":\"request\"") == std::string::npos) continue;
            auto doc = api::ParseDocument(line);
            if (!doc || !doc->IsObject()) {
                ADD_FAILURE() << "log line is not one JSON object: " << line;
                continue;
            }
            if (line.find("\"requestId\":\"" + id_prefix) != std::string::npos) ++n;
        }
        return n;
    }

    // Whether a line containing `needle` reached the log file (events are written at once).
    bool Logged(const std::string& needle) const {
        for (const std::string& line : FileLines(log_path())) {
            if (line.find(needle) != std::string::npos) return true;
        }
        return false;
    }

    std::filesystem::path log_path() const { return dir_ / "server.log"; }
    std::uint16_t port() const { return server_->port(); }

    Metrics metrics_;
    std::unique_ptr<ServiceHandler> handler_;
    std::unique_ptr<HttpServer> server_;
    std::unique_ptr<StdoutToFile> redirect_;
    std::thread run_thread_;
    int exit_code_ = -1;
    std::int64_t demand_id_ = 0;
};

HttpRequest WithId(HttpRequest req, const std::string& id, const std::string& token = {}) {
    req.set("X-Request-Id", id);
    if (!token.empty()) req.set(api::http::field::authorization, "Bearer " + token);
    return req;
}

// The raw bytes of one keep-alive request.
std::string RawRequest(const std::string& method,
                       const std::string& target,
                       const std::string& id,
                       const std::string& token,
                       const std::string& body = {}) {
    std::string raw =
        method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: " + id + "\r\n";
    if (!token.empty()) raw += "Authorization: Bearer " + token + "\r\n";
    if (!body.empty() || method == "POST") {
        raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return raw + "\r\n" + body;
}

TEST_F(ServerTsanTest, ManyClientsKeepAlivePipelinedHealthzMetricsAndCandidatesAtOnce) {
    StartServer();
    const std::string candidates =
        "/v1/demands/" + std::to_string(demand_id_) + "/candidates?limit=5";
    constexpr int kClients = 5;
    constexpr int kRequestsPerClient = 36;
    constexpr int kPipeliners = 2;
    constexpr int kRounds = 6;
    constexpr int kPerRound = 8;
    Problems problems;
    std::atomic<int> healthz{0}, sent{0};
    std::atomic<bool> done{false};

    auto check = [&](const HttpResponse& res, const std::string& id, unsigned status) {
        if (res.result_int() != status) {
            problems.Add(id + ": status " + std::to_string(res.result_int()) + " " +
                         res.body().substr(0, 200));
        }
        if (res["X-Request-Id"] != id)
            problems.Add(id + ": X-Request-Id " + std::string(res["X-Request-Id"]));
    };

    auto client = [&](int c) {
        TlsClient tls(port());
        if (auto ec = tls.Connect()) return problems.Add("connect: " + ec.message());
        for (int i = 0; i < kRequestsPerClient; ++i) {
            const std::string id = "kc" + std::to_string(c) + "-" + std::to_string(i);
            HttpRequest req;
            unsigned status = 200;
            switch (i % 6) {
                case 0:
                    req = WithId(MakeRequest(verb::get, "/healthz"), id);
                    ++healthz;
                    break;
                case 1:
                    req = WithId(MakeRequest(verb::get, candidates), id, "buyer");
                    break;
                case 2:
                    req = WithId(MakeRequest(verb::get, "/metrics"), id);
                    break;
                case 3:
                    req = WithId(MakeRequest(verb::post, "/_test/echo", "echo " + id), id);
                    break;
                case 4:
                    req = WithId(MakeRequest(verb::get, "/readyz"), id);
                    break;
                default:
                    req = WithId(MakeRequest(verb::get, "/no/such/route"), id);
                    status = 404;
            }
            HttpResponse res;
            ++sent;
            if (auto ec = tls.Send(req, &res)) return problems.Add(id + ": " + ec.message());
            check(res, id, status);
            if (i % 6 == 3 && res.body() != "echo " + id) problems.Add(id + ": echo body");
            if (i % 6 == 2 &&
                res.body().find("renewmatch_open_connections ") == std::string::npos) {
                problems.Add(id + ": metrics body");
            }
        }
    };

    // Eight requests per write; the answers must come back complete and in order.
    auto pipeliner = [&](int p) {
        TlsClient tls(port());
        if (auto ec = tls.Connect()) return problems.Add("connect: " + ec.message());
        for (int r = 0; r < kRounds; ++r) {
            std::string batch;
            std::vector<std::string> ids;
            for (int k = 0; k < kPerRound; ++k) {
                const std::string id =
                    "pp" + std::to_string(p) + "-" + std::to_string(r) + "-" + std::to_string(k);
                ids.push_back(id);
                if (k % 3 == 0) {
                    batch += RawRequest("GET", "/healthz", id, "");
                    ++healthz;
                } else if (k % 3 == 1) {
                    batch += RawRequest("POST", "/_test/echo", id, "", "body " + id);
                } else {
                    batch += RawRequest("GET", candidates, id, "buyer");
                }
            }
            sent += kPerRound;
            if (auto ec = tls.WriteRaw(batch))
                return problems.Add("pipeline write: " + ec.message());
            for (int k = 0; k < kPerRound; ++k) {
                HttpResponse res;
                if (auto ec = tls.Read(&res))
                    return problems.Add(ids[static_cast<std::size_t>(k)] + ": " + ec.message());
                check(res, ids[static_cast<std::size_t>(k)], 200);
                if (k % 3 == 1 && res.body() != "body " + ids[static_cast<std::size_t>(k)]) {
                    problems.Add(ids[static_cast<std::size_t>(k)] + ": echo body");
                }
            }
        }
    };

    // New supply versions over TLS: each publish catches the index up on the work pool while
    // the candidates are being read.
    auto publisher = [&] {
        TlsClient tls(port());
        if (auto ec = tls.Connect()) return problems.Add("connect: " + ec.message());
        for (int v = 1; v <= 6; ++v) {
            const std::string id = "pub-" + std::to_string(v);
            HttpRequest req =
                WithId(MakeRequest(verb::post, "/v1/lists", SupplyVersion("A", v)), id, "supplier");
            req.set(api::http::field::content_type, "application/json");
            HttpResponse res;
            ++sent;
            if (auto ec = tls.Send(req, &res)) return problems.Add(id + ": " + ec.message());
            check(res, id, 201);
        }
    };

    // The metrics rendered directly while requests update them.
    auto scraper = [&] {
        while (!done.load()) {
            const std::string text = metrics_.RenderPrometheus();
            if (Sample(text, "renewmatch_open_connections") < 0) problems.Add("scrape");
            std::this_thread::sleep_for(1ms);
        }
    };

    std::vector<std::thread> threads;
    std::thread scrape(scraper);
    for (int c = 0; c < kClients; ++c) threads.emplace_back(client, c);
    for (int p = 0; p < kPipeliners; ++p) threads.emplace_back(pipeliner, p);
    threads.emplace_back(publisher);
    for (auto& t : threads) t.join();
    done.store(true);
    scrape.join();
    server_->Shutdown();
    EXPECT_EQ(JoinServer(), 0);
    problems.Expect();

    // Every request was counted and logged once; nothing is left open or in flight.
    const std::string text = metrics_.RenderPrometheus();
    EXPECT_EQ(
        Sample(text,
               R"(renewmatch_http_requests_total{route="healthz",method="GET",status="200"})"),
        healthz.load());
    EXPECT_EQ(metrics_.open_connections(), 0);
    EXPECT_EQ(metrics_.in_flight(), 0);
    EXPECT_EQ(Sample(text, "renewmatch_connections_accepted_total"), kClients + kPipeliners + 1);
    EXPECT_EQ(LoggedRequests("kc") + LoggedRequests("pp") + LoggedRequests("pub-"), sent.load());
    EXPECT_EQ(index_->Current().change_seq, LatestSeq());
}

// SIGTERM with a request in flight and an idle keep-alive connection on every I/O thread (six
// connections dealt round-robin over three): the idle ones close at once, the busy ones are
// answered with Connection: close, Run() returns 0 with every connection closed and every
// request counted and logged.
TEST_F(ServerTsanTest, SigtermWithRequestsInFlightOnEveryIoThreadDrainsAndReturnsZero) {
    StartServer(/*work_threads=*/kIoThreads);
    std::vector<std::unique_ptr<TlsClient>> idle;
    std::vector<std::future<std::pair<boost::system::error_code, HttpResponse>>> busy;
    for (int i = 0; i < kIoThreads; ++i) {
        // Idle: one request answered, then nothing.
        idle.push_back(std::make_unique<TlsClient>(port()));
        ASSERT_FALSE(idle.back()->Connect());
        HttpResponse answer;
        ASSERT_FALSE(idle.back()->Send(
            WithId(MakeRequest(verb::get, "/healthz"), "idle-" + std::to_string(i)), &answer));
        busy.push_back(std::async(std::launch::async, [p = port(), i] {
            TlsClient tls(p);
            HttpResponse res;
            if (auto ec = tls.Connect()) return std::make_pair(ec, res);
            auto ec = tls.Send(
                WithId(MakeRequest(verb::get, "/_test/slow?ms=1500"), "slow-" + std::to_string(i)),
                &res);
            return std::make_pair(ec, res);
        }));
    }
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (metrics_.in_flight() < kIoThreads && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_EQ(metrics_.in_flight(), kIoThreads);
    ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
    for (auto& f : busy) {
        auto [ec, res] = f.get();
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(res.result_int(), 200u);
        EXPECT_EQ(res.body(), "{\"sleptMs\":1500}");
        EXPECT_FALSE(res.keep_alive());
    }
    for (auto& c : idle) EXPECT_NE(c->WaitForClose(10s), boost::beast::error::timeout);
    EXPECT_EQ(JoinServer(), 0);
    EXPECT_EQ(metrics_.open_connections(), 0);
    EXPECT_EQ(metrics_.in_flight(), 0);
    EXPECT_EQ(LoggedRequests("slow-"), kIoThreads);
    EXPECT_EQ(LoggedRequests("idle-"), kIoThreads);
    const auto lines = FileLines(log_path());
    ASSERT_FALSE(lines.empty());
    EXPECT_NE(lines.back().find("\"msg\":\"stopped\""), std::string::npos) << lines.back();
}

// The drain cut short, by shutdown_timeout and by a second signal, while a handler still runs
// on the work pool: Run() returns 1 at once, the client's connection ends without an answer, and
// destroying the server joins the work pool (the handler finishes) and then destroys the
// abandoned connection, whose bookkeeping still runs (open connections back to 0).
// Returns the client's outcome (to be read once the server is gone).
std::future<boost::system::error_code> ExpectForcedStop(const std::function<void()>& begin_shutdown,
                                                        const std::function<void()>& force,
                                                        const std::function<int()>& join,
                                                        Metrics& metrics,
                                                        std::uint16_t port) {
    auto busy = std::async(std::launch::async, [port] {
        TlsClient tls(port);
        HttpResponse res;
        if (auto ec = tls.Connect()) return ec;
        return tls.Send(WithId(MakeRequest(verb::get, "/_test/slow?ms=2500"), "forced"), &res);
    });
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (metrics.in_flight() < 1 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(metrics.in_flight(), 1);
    begin_shutdown();
    if (force) force();
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(join(), 1);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // not waiting for the handler
    return busy;
}

TEST_F(ServerTsanTest, ShutdownTimeoutWithAHandlerStillRunningReturnsOneAndTearsDownCleanly) {
    StartServer(/*work_threads=*/2, /*shutdown_timeout=*/300ms);
    auto client = ExpectForcedStop([this] { server_->Shutdown(); }, nullptr,
                                   [this] { return JoinServer(); }, metrics_, port());
    server_.reset();  // joins the work pool, then drops the abandoned connection
    EXPECT_EQ(metrics_.open_connections(), 0);
    EXPECT_TRUE(client.get());  // never answered
    const auto lines = FileLines(log_path());
    bool warned = false;
    for (const auto& line : lines) {
        if (line.find("shutdown_timeout passed") != std::string::npos) warned = true;
    }
    EXPECT_TRUE(warned);
}

TEST_F(ServerTsanTest, SecondSigtermEndsTheDrainAtOnce) {
    StartServer(/*work_threads=*/2);
    auto client = ExpectForcedStop(
        [] { ::kill(::getpid(), SIGTERM); },
        [this] {
            // The second signal only counts once the first one began the drain.
            const auto until = std::chrono::steady_clock::now() + 10s;
            while (!Logged("shutting down") && std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_for(5ms);
            }
            ::kill(::getpid(), SIGTERM);
        },
        [this] { return JoinServer(); }, metrics_, port());
    server_.reset();
    EXPECT_EQ(metrics_.open_connections(), 0);
    EXPECT_TRUE(client.get());
    EXPECT_TRUE(Logged("second signal"));
}

// As renewmatchd does after the drain: return from main (std::exit) right away. The request
// lines of the requests answered during the drain are still in the log buffer; the atexit hook
// must write them, and the exit code is 0.
TEST_F(ServerTsanTest, ExitRightAfterSigtermWritesEveryRequestLine) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    if (std::getenv("RENEWMATCH_TSAN_SERVER_EXIT") == nullptr) {
        ::setenv("RENEWMATCH_TSAN_SERVER_EXIT", (dir_ / "exit.log").string().c_str(), 1);
    }
    const std::string path = std::getenv("RENEWMATCH_TSAN_SERVER_EXIT");
    EXPECT_EXIT(
        {
            std::fflush(stdout);
            Config config;
            config.listen_host = "127.0.0.1";
            config.listen_port = 0;
            config.tls_cert = TestCertificate().cert.string();
            config.tls_key = TestCertificate().key.string();
            config.io_threads = kIoThreads;
            config.work_threads = 2;
            ServiceHandler handler(*service_);
            auto server = HttpServer::Create(config, handler, metrics_);
            if (!server) std::exit(3);
            const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fd, STDOUT_FILENO);
            std::atomic<int> rc{-1};
            std::thread run([&] { rc = (*server)->Run(); });
            const std::uint16_t p = (*server)->port();
            // Two clients with 40 keep-alive requests each, and one slow request in flight when the
            // signal comes.
            auto slow = std::async(std::launch::async, [p] {
                TlsClient tls(p);
                HttpResponse res;
                return !tls.Connect() &&
                       !tls.Send(WithId(MakeRequest(verb::get, "/_test/slow?ms=3000"), "x-slow"),
                                 &res) &&
                       res.result_int() == 200;
            });
            auto burst = [p](int c) {
                TlsClient tls(p);
                if (tls.Connect()) return false;
                for (int i = 0; i < 40; ++i) {
                    HttpResponse res;
                    const std::string id = "x" + std::to_string(c) + "-" + std::to_string(i);
                    if (tls.Send(WithId(MakeRequest(verb::get, "/healthz"), id), &res)) {
                        return false;
                    }
                }
                return true;
            };
            auto a = std::async(std::launch::async, burst, 0);
            auto b = std::async(std::launch::async, burst, 1);
            const bool bursts_ok = a.get() && b.get();
            const auto until = std::chrono::steady_clock::now() + 20s;
            while (metrics_.in_flight() < 1 && std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_for(2ms);
            }
            ::kill(::getpid(), SIGTERM);
            const bool slow_ok = slow.get();
            run.join();
            std::exit(rc.load() == 0 && bursts_ok && slow_ok ? 0 : 4);
        },
        ::testing::ExitedWithCode(0), "");
    int burst = 0, slow = 0;
    for (const std::string& line : FileLines(path)) {
        if (line.find("\"msg\":\"request\"") == std::string::npos) continue;
        if (line.find("\"requestId\":\"x-slow\"") != std::string::npos) ++slow;
        if (line.find("\"requestId\":\"x0-") != std::string::npos ||
            line.find("\"requestId\":\"x1-") != std::string::npos) {
            ++burst;
        }
    }
    ::unsetenv("RENEWMATCH_TSAN_SERVER_EXIT");
    EXPECT_EQ(burst, 80);
    EXPECT_EQ(slow, 1);
}

}  // namespace
}  // namespace renewmatch::server
