// HttpServer: the HTTPS listener and its connections (Boost.Beast over Asio, OpenSSL).
//
// `io_threads` io_contexts, each run by one thread of its own (no handler hand-offs or lock
// contention between I/O threads: nginx's worker model); accepted connections are dealt to them
// round-robin. Each connection is one C++20 coroutine on its io_context (one thread: an implicit
// strand) that owns its TLS stream, read buffer and parser. Requests are handed to a separate
// work pool (`work_threads`) through the RequestHandler, so no JSON or SQLite work ever runs on
// an I/O thread; the coroutine resumes on its io_context to write the response. The one
// exception: a route whose RouteTraits say run_inline (a constant, non-blocking handler such as
// /healthz) is handled on the I/O thread directly. Each response leaves in one write
// (server/response_writer.hpp); request log lines are buffered (server/log.hpp).
// docs/life-of-a-request.md walks through one request.
//
// Limits: header_limit (431), per-route body limit from RequestHandler::BodyLimitFor (413),
// max_connections (new connections over it are closed at once), handshake/read/write/idle
// timeouts. TLS 1.2 (ECDHE + AEAD suites only) and TLS 1.3.
//
// Shutdown: SIGINT/SIGTERM (or Shutdown()) closes the listener, wakes idle keep-alive
// connections so they close, lets in-flight requests finish and answers them with
// `Connection: close`; Run() returns 0 once every connection is gone, or 1 when
// shutdown_timeout passed first (or a second signal arrived) with connections still open.
//
// Ownership: the server borrows the RequestHandler and Metrics; both must outlive it.
// Thread-safety: Create() and Run() from one thread; Shutdown() and port() from any thread.
#pragma once

#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/request_handler.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace renewmatch::server {

class HttpServer {
  public:
    // Loads the certificate and key, resolves and binds the listen address. Errors name the
    // setting at fault (tls_cert, tls_key, listen).
    static ConfigResult<std::unique_ptr<HttpServer>> Create(const Config& config,
                                                            RequestHandler& handler,
                                                            Metrics& metrics);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // The bound port (the chosen one when the configuration said 0).
    std::uint16_t port() const;

    // Logs `listening on https://HOST:PORT`, serves until shut down, and returns the exit code.
    int Run();

    // Begins a graceful shutdown, as SIGTERM does.
    void Shutdown();

    class Impl;

  private:
    explicit HttpServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace renewmatch::server
