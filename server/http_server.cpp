// The only translation unit of renewmatch_server that includes Beast's stream and Asio's SSL
// headers: compile time on small machines matters.
#include "server/http_server.hpp"

#include "api/service.hpp"
#include "server/log.hpp"
#include "server/response_writer.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

namespace renewmatch::server {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Stream = ssl::stream<beast::tcp_stream>;
using boost::system::error_code;

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

// TLS 1.2 suites: forward-secret key exchange (ECDHE) with an AEAD cipher only; no CBC, no RSA
// key transport, no SHA-1 MACs. TLS 1.3 suites are all AEAD; OpenSSL's defaults are listed
// explicitly so the configuration is visible in one place.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

// Bytes requested per read while waiting for a request to begin.
constexpr std::size_t kReadChunk = 8192;
// A connection keeps its response buffer between requests up to this capacity.
constexpr std::size_t kKeepWriteBuffer = 256 * 1024;

std::string OpenSslError() {
    unsigned long code = ERR_get_error();
    if (code == 0) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

ConfigResult<void> ConfigureTls(ssl::context& ctx, const Config& config) {
    SSL_CTX* native = ctx.native_handle();
    // TLS 1.2 is the floor: older versions lack AEAD suites and have known downgrade attacks.
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_max_proto_version(native, TLS1_3_VERSION) != 1) {
        return ConfigError{"TLS: cannot set protocol versions: " + OpenSslError()};
    }
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                    ssl::context::no_compression | ssl::context::single_dh_use);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
        SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1) {
        return ConfigError{"TLS: cannot set cipher suites: " + OpenSslError()};
    }
    error_code ec;
    ctx.use_certificate_chain_file(config.tls_cert, ec);
    if (ec) {
        return ConfigError{"invalid tls_cert: cannot load certificate chain from '" +
                           config.tls_cert + "': " + OpenSslError()};
    }
    ctx.use_private_key_file(config.tls_key, ssl::context::pem, ec);
    if (ec) {
        return ConfigError{"invalid tls_key: cannot load private key from '" + config.tls_key +
                           "': " + OpenSslError()};
    }
    if (SSL_CTX_check_private_key(native) != 1) {
        return ConfigError{"invalid tls_key: '" + config.tls_key +
                           "' does not match the certificate in '" + config.tls_cert + "'"};
    }
    return {};
}

std::string EndpointText(const tcp::endpoint& ep) {
    const auto address = ep.address();
    std::string host = address.to_string();
    if (address.is_v6()) host = "[" + host + "]";
    return host + ":" + std::to_string(ep.port());
}

std::string_view PathOf(std::string_view target) {
    auto q = target.find('?');
    return q == std::string_view::npos ? target : target.substr(0, q);
}

std::string FormatHost(const std::string& host) {
    return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

}  // namespace

// A connection's state shared between its coroutine and the shutdown path. Every member is
// touched only on the connection's strand (stream.get_executor()).
struct Session {
    Session(tcp::socket&& socket, ssl::context& tls) : stream(std::move(socket), tls) {}
    Stream stream;
    // True while the connection waits for a handshake or for the first byte of a request, i.e.
    // when closing it cannot lose a request. Shutdown cancels idle sessions.
    bool idle = true;
    // The serialized response (SerializeResponse), reused from request to request.
    std::string out;
};

// Sets Content-Length to the body size unless it already says so (api::Service prepares every
// response; setting the field again would reallocate it).
void PreparePayload(api::HttpResponse& res) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, res.body().size());
    const auto it = res.find(http::field::content_length);
    if (it != res.end() && it->value() == std::string_view(digits, end)) return;
    res.prepare_payload();
}

// Sets X-Request-Id unless the handler already set it to `request_id`.
void SetRequestId(api::HttpResponse& res, std::string_view request_id) {
    const auto it = res.find("X-Request-Id");
    if (it != res.end() && it->value() == request_id) return;
    res.set("X-Request-Id", request_id);
}

namespace {
std::vector<std::unique_ptr<net::io_context>> MakeIoContexts(int count) {
    std::vector<std::unique_ptr<net::io_context>> io;
    for (int i = 0; i < std::max(count, 1); ++i) io.push_back(std::make_unique<net::io_context>(1));
    return io;
}
}  // namespace

class HttpServer::Impl {
  public:
    Impl(const Config& config, RequestHandler& handler, Metrics& metrics)
        : config_(config),
          handler_(handler),
          metrics_(metrics),
          tls_(ssl::context::tls_server),
          io_(MakeIoContexts(config.io_threads)),
          work_pool_(static_cast<std::size_t>(config.work_threads)),
          control_(net::make_strand(*io_.front())),
          acceptor_(control_),
          signals_(control_, SIGINT, SIGTERM),
          drain_timer_(control_) {}

    ~Impl() {
        // Handlers still queued on the pool resume sessions on the io_context; let running
        // ones finish before the io_context (and the sessions it owns) is destroyed. The pool
        // itself is destroyed before io_ (declared after it): after a forced stop its abandoned
        // handlers hold io_ executors and post the destruction of their sessions' frames there.
        work_pool_.stop();
        work_pool_.join();
    }

    ConfigResult<void> Init() {
        if (auto r = ConfigureTls(tls_, config_); !r) return r;
        error_code ec;
        tcp::resolver resolver(*io_.front());
        auto results = resolver.resolve(config_.listen_host, std::to_string(config_.listen_port),
                                        tcp::resolver::passive, ec);
        if (ec || results.empty()) {
            return ConfigError{"invalid listen: cannot resolve host '" + config_.listen_host +
                               "': " + ec.message()};
        }
        // Prefer IPv4 when a name resolves to both ("localhost"), so 127.0.0.1 clients connect.
        tcp::endpoint endpoint = results.begin()->endpoint();
        for (const auto& entry : results) {
            if (entry.endpoint().address().is_v4()) {
                endpoint = entry.endpoint();
                break;
            }
        }
        const std::string where = "invalid listen: cannot listen on " + EndpointText(endpoint);
        acceptor_.open(endpoint.protocol(), ec);
        if (ec) return ConfigError{where + ": " + ec.message()};
        acceptor_.set_option(net::socket_base::reuse_address(true), ec);
        acceptor_.bind(endpoint, ec);
        if (ec) return ConfigError{where + ": " + ec.message()};
        acceptor_.listen(net::socket_base::max_listen_connections, ec);
        if (ec) return ConfigError{where + ": " + ec.message()};
        port_ = acceptor_.local_endpoint().port();
        return {};
    }

    std::uint16_t port() const { return port_; }

    int Run() {
        LogEvent(
            "info",
            "listening on https://" + FormatHost(config_.listen_host) + ":" + std::to_string(port_),
            {{"ioThreads", std::to_string(config_.io_threads)},
             {"workThreads", std::to_string(config_.work_threads)}});
        // Every io_context but the first (which has the acceptor and the signals) would return
        // from run() while it has no connection; these guards keep them until the drain ends.
        for (std::size_t i = 1; i < io_.size(); ++i) {
            io_guards_.push_back(net::make_work_guard(*io_[i]));
        }
        net::co_spawn(control_, AcceptLoop(), net::detached);
        WaitForSignal();

        std::vector<std::thread> threads;
        threads.reserve(io_.size());
        for (auto& io : io_) {
            threads.emplace_back([&io] { io->run(); });
        }
        for (auto& t : threads) t.join();
        if (forced_.load()) return 1;
        LogEvent("info", "stopped");
        return 0;
    }

    void Shutdown() {
        net::post(control_, [this] { BeginShutdown("request"); });
    }

  private:
    void WaitForSignal() {
        signals_.async_wait([this](const error_code& ec, int signo) {
            if (ec) return;  // cancelled: the drain finished
            if (stopping_.load()) {
                // A second signal: the operator does not want to wait for the drain.
                ForceStop("second signal");
                return;
            }
            BeginShutdown(signo == SIGINT ? "SIGINT" : "SIGTERM");
            WaitForSignal();
        });
    }

    // Runs on control_.
    void BeginShutdown(const std::string& reason) {
        if (stopping_.exchange(true)) return;
        LogEvent("info", "shutting down",
                 {{"reason", reason},
                  {"openConnections", std::to_string(open_.load())},
                  {"inFlight", std::to_string(metrics_.in_flight())}});
        error_code ec;
        acceptor_.close(ec);

        std::vector<std::shared_ptr<Session>> sessions;
        {
            std::lock_guard lock(sessions_mu_);
            for (auto& [id, weak] : sessions_) {
                if (auto s = weak.lock()) sessions.push_back(std::move(s));
            }
        }
        for (auto& s : sessions) {
            // Idle connections hold no request: wake their pending read so they close now.
            // Busy ones see stopping_ after their response and close then.
            net::post(s->stream.get_executor(), [s] {
                if (s->idle) beast::get_lowest_layer(s->stream).cancel();
            });
        }
        drain_timer_.expires_after(config_.shutdown_timeout);
        drain_timer_.async_wait([this](const error_code& wait_ec) {
            if (wait_ec) {
                // Cancelled: every connection has closed.
                signals_.cancel();
                io_guards_.clear();
                return;
            }
            ForceStop("shutdown_timeout passed");
        });
        if (open_.load() == 0) drain_timer_.cancel();
    }

    // Runs on control_.
    void ForceStop(const std::string& reason) {
        forced_.store(true);
        LogEvent("warn", "stopping with connections still open",
                 {{"reason", reason}, {"openConnections", std::to_string(open_.load())}});
        for (auto& io : io_) io->stop();
    }

    net::awaitable<void> AcceptLoop() {
        while (!stopping_.load()) {
            // Round-robin over the I/O threads.
            tcp::socket socket(io_[next_io_++ % io_.size()]->get_executor());
            auto [ec] = co_await acceptor_.async_accept(socket, kTuple);
            if (ec) {
                if (stopping_.load() || ec == net::error::operation_aborted) co_return;
                // Out of descriptors and similar: back off briefly instead of spinning.
                LogEvent("warn", "accept failed", {{"error", ec.message()}});
                net::steady_timer pause(control_, std::chrono::milliseconds(50));
                co_await pause.async_wait(kTuple);
                continue;
            }
            if (open_.load() >= config_.max_connections) {
                // Over the limit: close at once so the client fails fast instead of hanging.
                metrics_.ConnectionRejectedAtLimit();
                socket.close(ec);
                continue;
            }
            // Responses leave in one write each; Nagle's algorithm would only hold back the
            // last segment of a large one until the previous segment is acknowledged (nginx
            // sets tcp_nodelay on keep-alive connections too).
            socket.set_option(tcp::no_delay(true), ec);
            error_code remote_ec;
            const auto remote = socket.remote_endpoint(remote_ec);
            std::string remote_text = remote_ec ? "unknown" : EndpointText(remote);
            auto executor = socket.get_executor();
            auto session = std::make_shared<Session>(std::move(socket), tls_);
            const std::uint64_t id = ++next_session_id_;
            {
                std::lock_guard lock(sessions_mu_);
                sessions_.emplace(id, session);
            }
            open_.fetch_add(1);
            metrics_.ConnectionOpened();
            net::co_spawn(executor, RunSession(session, id, std::move(remote_text)),
                          [](std::exception_ptr e) {
                              if (!e) return;
                              try {
                                  std::rethrow_exception(e);
                              } catch (const std::exception& ex) {
                                  LogEvent("error", "connection failed", {{"error", ex.what()}});
                              }
                          });
        }
    }

    // Undoes the bookkeeping of one connection when its coroutine frame goes away (normally or
    // by exception, or when a forced stop destroys the io_context).
    struct SessionGuard {
        Impl* impl;
        std::uint64_t id;
        ~SessionGuard() {
            {
                std::lock_guard lock(impl->sessions_mu_);
                impl->sessions_.erase(id);
            }
            impl->metrics_.ConnectionClosed();
            // After a forced stop the io_context is being destroyed: nothing left to notify.
            if (impl->open_.fetch_sub(1) == 1 && impl->stopping_.load() && !impl->forced_.load()) {
                net::post(impl->control_, [i = impl] { i->drain_timer_.cancel(); });
            }
        }
    };

    // Writes a server-detected error and reports it like any request.
    net::awaitable<void> WriteError(Session& s,
                                    api::ApiError error,
                                    unsigned status_override,
                                    const std::string& request_id,
                                    const std::string& method,
                                    const std::string& path,
                                    const std::string& remote,
                                    std::chrono::steady_clock::time_point start) {
        api::HttpResponse res = handler_.ErrorResponse(error, request_id);
        if (status_override != 0) res.result(status_override);
        res.version(11);
        SetRequestId(res, request_id);
        // The rest of the request is unread: the connection cannot be reused.
        res.keep_alive(false);
        PreparePayload(res);
        beast::get_lowest_layer(s.stream).expires_after(config_.write_timeout);
        co_await WriteResponse(s, res);
        Finish(request_id, method, path, "unmatched", res.result_int(), res.body().size(), remote,
               start);
    }

    // Writes `res` (prepared) with one write call: header and body in the session's buffer
    // (SerializeResponse), or header buffer + body for a body over kCoalesceBodyLimit.
    net::awaitable<error_code> WriteResponse(Session& s, const api::HttpResponse& res) {
        error_code ec;
        if (SerializeResponse(res, s.out)) {
            std::tie(ec, std::ignore) =
                co_await net::async_write(s.stream, net::buffer(s.out), kTuple);
        } else {
            const std::array<net::const_buffer, 2> buffers{net::buffer(s.out),
                                                           net::buffer(res.body())};
            std::tie(ec, std::ignore) = co_await net::async_write(s.stream, buffers, kTuple);
        }
        if (s.out.capacity() > kKeepWriteBuffer) std::string().swap(s.out);
        co_return ec;
    }

    void Finish(std::string_view request_id,
                std::string_view method,
                std::string_view path,
                std::string_view route,
                unsigned status,
                std::uint64_t bytes,
                std::string_view remote,
                std::chrono::steady_clock::time_point start) {
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        metrics_.ObserveRequest(route, method, status, seconds);
        // Buffered: written by the log's flusher within kLogFlushInterval (and at exit).
        LogRequest(
            RequestLogEntry{request_id, method, path, status, bytes, seconds * 1000.0, remote});
    }

    struct Handled {
        api::HttpResponse response;
        std::string route;
    };

    // Runs on the work pool.
    Handled Dispatch(const api::HttpRequest& req, const RequestMeta& meta) {
        Handled out;
        try {
            out.route = "unmatched";
            out.response = handler_.Handle(req, meta, &out.route);
        } catch (const std::exception& e) {
            LogEvent("error", "handler threw",
                     {{"requestId", meta.request_id}, {"error", e.what()}});
            out.response = handler_.ErrorResponse(
                api::ApiError::Make(Errc::kInternal, "internal error"), meta.request_id);
        }
        return out;
    }

    net::awaitable<void> RunSession(std::shared_ptr<Session> session,
                                    std::uint64_t id,
                                    std::string remote) {
        SessionGuard guard{this, id};
        Session& s = *session;
        auto& tcp_layer = beast::get_lowest_layer(s.stream);

        tcp_layer.expires_after(config_.handshake_timeout);
        if (auto [ec] = co_await s.stream.async_handshake(ssl::stream_base::server, kTuple); ec) {
            // Plain HTTP, an old TLS version, no shared cipher, a scanner, or a timeout: the
            // connection simply ends; nothing else on the server is affected.
            metrics_.HandshakeFailed();
            LogEvent("info", "tls handshake failed", {{"remote", remote}, {"error", ec.message()}});
            co_return;
        }

        beast::flat_buffer buffer;
        bool tls_usable = true;  // false once a timeout closed the socket
        for (;;) {
            if (stopping_.load()) break;
            s.idle = true;
            if (buffer.size() == 0) {
                // Waiting for a request to begin: the idle timeout applies.
                tcp_layer.expires_after(config_.idle_timeout);
                auto [ec, n] =
                    co_await s.stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
                if (ec) {
                    tls_usable = ec != beast::error::timeout;
                    break;  // closed by the client, idle timeout, or shutdown
                }
                buffer.commit(n);
            }
            s.idle = false;
            const auto start = std::chrono::steady_clock::now();

            // A fresh parser per message: limits and state never leak between requests.
            http::request_parser<http::string_body> parser;
            parser.header_limit(config_.header_limit);
            // The body limit depends on the route; it is set once the header is known. Until
            // then none applies (Beast would otherwise check Content-Length against its default).
            parser.body_limit(boost::none);

            tcp_layer.expires_after(config_.read_timeout);
            auto [hec, hn] = co_await http::async_read_header(s.stream, buffer, parser, kTuple);
            if (hec == http::error::header_limit) {
                co_await WriteError(
                    s,
                    api::ApiError::Make(Errc::kTooLarge,
                                        "request header fields exceed " +
                                            std::to_string(config_.header_limit) + " bytes",
                                        "header_too_large"),
                    431, api::GenerateRequestId(), "-", "-", remote, start);
                break;
            }
            if (hec) {
                tls_usable = hec != beast::error::timeout;
                if (hec.category() == error_code(http::error::end_of_stream).category() &&
                    hec != http::error::end_of_stream && hec != http::error::partial_message) {
                    co_await WriteError(
                        s,
                        api::ApiError::Make(Errc::kMalformed,
                                            "malformed HTTP request: " + hec.message(),
                                            "bad_request"),
                        0, api::GenerateRequestId(), "-", "-", remote, start);
                }
                break;
            }

            auto& header = parser.get();
            const std::string method(header.method_string());
            const std::string path(PathOf(header.target()));
            const std::string request_id = api::ResolveRequestId(header);

            const RouteTraits traits = handler_.TraitsFor(header.method(), header.target());
            const std::uint64_t limit = traits.body_limit;
            if (auto length = parser.content_length(); length && *length > limit) {
                co_await WriteError(
                    s,
                    api::ApiError::Make(Errc::kTooLarge,
                                        "request body of " + std::to_string(*length) +
                                            " bytes exceeds this route's limit of " +
                                            std::to_string(limit) + " bytes",
                                        "body_too_large"),
                    0, request_id, method, path, remote, start);
                break;
            }
            parser.body_limit(limit);  // enforced while a chunked body arrives
            if (!parser.is_done()) {
                if (beast::iequals(header[http::field::expect], "100-continue")) {
                    http::response<http::empty_body> cont{http::status::continue_, 11};
                    tcp_layer.expires_after(config_.write_timeout);
                    if (auto [cec, cn] = co_await http::async_write(s.stream, cont, kTuple); cec) {
                        break;
                    }
                }
                tcp_layer.expires_after(config_.read_timeout);
                auto [bec, bn] = co_await http::async_read(s.stream, buffer, parser, kTuple);
                if (bec == http::error::body_limit) {
                    co_await WriteError(
                        s,
                        api::ApiError::Make(Errc::kTooLarge,
                                            "request body exceeds this route's limit of " +
                                                std::to_string(limit) + " bytes",
                                            "body_too_large"),
                        0, request_id, method, path, remote, start);
                    break;
                }
                if (bec) {
                    tls_usable = bec != beast::error::timeout;
                    break;
                }
            }

            api::HttpRequest request = parser.release();
            const bool client_keep_alive = request.keep_alive();
            RequestMeta meta{request_id, remote};
            metrics_.RequestStarted();
            Handled handled;
            if (traits.run_inline) {
                // A route declared cheap and non-blocking (RouteTraits::run_inline): answered
                // here, without the hand-off to the work pool and back.
                handled = Dispatch(request, meta);
            } else {
                handled = co_await net::co_spawn(
                    work_pool_,
                    [this, &request, &meta]() -> net::awaitable<Handled> {
                        co_return Dispatch(request, meta);
                    },
                    net::use_awaitable);
                // Back on this connection's strand.
            }
            metrics_.RequestFinished();

            api::HttpResponse& res = handled.response;
            res.version(11);
            SetRequestId(res, request_id);
            const bool keep_alive = client_keep_alive && !stopping_.load();
            res.keep_alive(keep_alive);
            PreparePayload(res);
            tcp_layer.expires_after(config_.write_timeout);
            const error_code wec = co_await WriteResponse(s, res);
            Finish(request_id, method, path, handled.route, res.result_int(), res.body().size(),
                   remote, start);
            if (wec) {
                tls_usable = wec != beast::error::timeout;
                break;
            }
            if (!keep_alive) break;
        }

        if (tls_usable) {
            // Send close_notify so the client can tell a complete response from a truncated
            // one. Peers often close without answering it; a short deadline bounds the wait.
            tcp_layer.expires_after(
                std::min(config_.handshake_timeout, std::chrono::milliseconds(2000)));
            co_await s.stream.async_shutdown(kTuple);
        }
        error_code ignored;
        tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp_layer.close();
    }

    // Declaration order matters for destruction: state the SessionGuard touches is declared
    // before io_ so it outlives the session frames that io_ destroys; the work pool is joined
    // in ~Impl and destroyed before io_ (its abandoned handlers refer to io_; ThreadSanitizer
    // saw a heap-use-after-free when it outlived io_ after a forced stop).
    const Config config_;
    RequestHandler& handler_;
    Metrics& metrics_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> forced_{false};
    std::atomic<std::size_t> open_{0};
    std::uint64_t next_session_id_ = 0;  // only on control_
    std::size_t next_io_ = 0;            // only on control_
    std::mutex sessions_mu_;
    std::map<std::uint64_t, std::weak_ptr<Session>> sessions_;  // GUARDED_BY(sessions_mu_)
    std::uint16_t port_ = 0;

    ssl::context tls_;
    // One io_context per I/O thread (concurrency hint 1).
    std::vector<std::unique_ptr<net::io_context>> io_;
    net::thread_pool work_pool_;  // after io_: destroyed first
    // Accepting, signals and the drain timer share one strand (on io_[0]): the acceptor is not
    // thread-safe.
    net::strand<net::io_context::executor_type> control_;
    // Keep io_[1..] running until the drain ends. Only on control_ (and in Run before it).
    std::vector<net::executor_work_guard<net::io_context::executor_type>> io_guards_;
    tcp::acceptor acceptor_;
    net::signal_set signals_;
    net::steady_timer drain_timer_;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

ConfigResult<std::unique_ptr<HttpServer>> HttpServer::Create(const Config& config,
                                                             RequestHandler& handler,
                                                             Metrics& metrics) {
    auto impl = std::make_unique<Impl>(config, handler, metrics);
    if (auto r = impl->Init(); !r) return r.error();
    return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

std::uint16_t HttpServer::port() const {
    return impl_->port();
}
int HttpServer::Run() {
    return impl_->Run();
}
void HttpServer::Shutdown() {
    impl_->Shutdown();
}

}  // namespace renewmatch::server
