// TlsClient: a small blocking HTTPS/1.1 client for integration tests (Beast over OpenSSL), with
// a deadline on every operation so a misbehaving server fails a test instead of hanging it.
// Versions, cipher list and security level are configurable so tests can play an old or weak
// client. Also a raw plain-TCP exchange for "plain HTTP to the TLS port".
//
// Ownership: owns its io_context, TLS context and connection. Thread-safety: one thread.
#pragma once

#include "api/http.hpp"

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace renewmatch::testing {

struct TlsClientOptions {
    int min_version = 0;  // TLS1_2_VERSION etc.; 0 = OpenSSL default
    int max_version = 0;
    std::string tls12_ciphers;  // empty = default
    int security_level = -1;    // -1 = default; 0 lets the client offer legacy versions
    std::string ca_file;        // verify the server against this CA; empty = no verification
    std::chrono::milliseconds timeout{10'000};
};

class TlsClient {
  public:
    TlsClient(std::uint16_t port, TlsClientOptions options = {});
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    // TCP connect + TLS handshake.
    boost::system::error_code Connect();
    // Writes `request` and reads one response into *response.
    boost::system::error_code Send(const api::HttpRequest& request, api::HttpResponse* response);
    // Writes raw bytes on the TLS stream.
    boost::system::error_code WriteRaw(const std::string& bytes);
    // Reads one response (after WriteRaw).
    boost::system::error_code Read(api::HttpResponse* response);
    // Waits for the server to end the connection; returns how it ended (eof, stream_truncated,
    // ...) or beast::error::timeout when it is still open after `limit`.
    boost::system::error_code WaitForClose(std::chrono::milliseconds limit);

    std::string NegotiatedVersion() const;  // "TLSv1.3"
    std::string NegotiatedCipher() const;
    std::uint16_t local_port() const;

    class Impl;

  private:
    std::unique_ptr<Impl> impl_;
};

// Builds a request with Host set and keep-alive on.
api::HttpRequest MakeRequest(api::http::verb method,
                             const std::string& target,
                             std::string body = {});

// One request on a fresh connection: "Authorization: Bearer <token>" when a token is given, a
// JSON body when `body` is not empty. A transport error fails the current test and yields an
// empty response.
api::HttpResponse CallOnce(std::uint16_t port,
                           api::http::verb method,
                           const std::string& target,
                           const std::string& token,
                           std::string body = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Sends `bytes` over plain TCP and returns whatever arrives until the server closes or
// `limit` passes; *how_it_ended says which (eof, connection reset, timeout, ...).
std::string PlainTcpExchange(std::uint16_t port,
                             const std::string& bytes,
                             std::chrono::milliseconds limit,
                             boost::system::error_code* how_it_ended);

}  // namespace renewmatch::testing
