#include "tests/integration/tls_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <functional>
#include <optional>

namespace renewmatch::testing {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

class TlsClient::Impl {
  public:
    Impl(std::uint16_t port, TlsClientOptions options)
        : port_(port), options_(std::move(options)), ctx_(ssl::context::tls_client) {
        SSL_CTX* native = ctx_.native_handle();
        if (options_.security_level >= 0) {
            SSL_CTX_set_security_level(native, options_.security_level);
        }
        if (options_.min_version != 0) SSL_CTX_set_min_proto_version(native, options_.min_version);
        if (options_.max_version != 0) SSL_CTX_set_max_proto_version(native, options_.max_version);
        if (!options_.tls12_ciphers.empty()) {
            SSL_CTX_set_cipher_list(native, options_.tls12_ciphers.c_str());
        }
        if (!options_.ca_file.empty()) {
            ctx_.load_verify_file(options_.ca_file);
            ctx_.set_verify_mode(ssl::verify_peer);
        } else {
            ctx_.set_verify_mode(ssl::verify_none);
        }
    }

    // Runs the io_context until the pending operation completes. The tcp_stream deadline set
    // before each operation closes the socket on expiry, so this always returns.
    void RunUntilDone() {
        ioc_.restart();
        ioc_.run();
    }

    error_code Connect() {
        stream_.emplace(ioc_, ctx_);
        // SSL_set_tlsext_host_name is a macro with a C cast; call what it expands to.
        static char kHost[] = "localhost";
        SSL_ctrl(stream_->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 kHost);
        if (!options_.ca_file.empty()) {
            stream_->set_verify_callback(ssl::host_name_verification("localhost"));
        }
        auto& lowest = beast::get_lowest_layer(*stream_);
        error_code result;
        lowest.expires_after(options_.timeout);
        lowest.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_),
                             [&](error_code ec) { result = ec; });
        RunUntilDone();
        if (result) return result;
        lowest.expires_after(options_.timeout);
        stream_->async_handshake(ssl::stream_base::client, [&](error_code ec) { result = ec; });
        RunUntilDone();
        return result;
    }

    error_code WriteRaw(const std::string& bytes) {
        error_code result;
        beast::get_lowest_layer(*stream_).expires_after(options_.timeout);
        net::async_write(*stream_, net::buffer(bytes),
                         [&](error_code ec, std::size_t) { result = ec; });
        RunUntilDone();
        return result;
    }

    error_code Write(const api::HttpRequest& request) {
        error_code result;
        beast::get_lowest_layer(*stream_).expires_after(options_.timeout);
        http::async_write(*stream_, request, [&](error_code ec, std::size_t) { result = ec; });
        RunUntilDone();
        return result;
    }

    error_code Read(api::HttpResponse* response) {
        error_code result;
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        beast::get_lowest_layer(*stream_).expires_after(options_.timeout);
        http::async_read(*stream_, buffer_, parser,
                         [&](error_code ec, std::size_t) { result = ec; });
        RunUntilDone();
        if (!result) *response = parser.release();
        return result;
    }

    error_code WaitForClose(std::chrono::milliseconds limit) {
        error_code result;
        char byte;
        beast::get_lowest_layer(*stream_).expires_after(limit);
        stream_->async_read_some(net::buffer(&byte, 1),
                                 [&](error_code ec, std::size_t) { result = ec; });
        RunUntilDone();
        return result;
    }

    std::uint16_t port_;
    TlsClientOptions options_;
    net::io_context ioc_;
    ssl::context ctx_;
    std::optional<ssl::stream<beast::tcp_stream>> stream_;
    beast::flat_buffer buffer_;
};

TlsClient::TlsClient(std::uint16_t port, TlsClientOptions options)
    : impl_(std::make_unique<Impl>(port, std::move(options))) {}
TlsClient::~TlsClient() = default;

error_code TlsClient::Connect() {
    return impl_->Connect();
}

error_code TlsClient::Send(const api::HttpRequest& request, api::HttpResponse* response) {
    if (auto ec = impl_->Write(request)) return ec;
    return impl_->Read(response);
}

error_code TlsClient::WriteRaw(const std::string& bytes) {
    return impl_->WriteRaw(bytes);
}
error_code TlsClient::Read(api::HttpResponse* response) {
    return impl_->Read(response);
}
error_code TlsClient::WaitForClose(std::chrono::milliseconds limit) {
    return impl_->WaitForClose(limit);
}

std::string TlsClient::NegotiatedVersion() const {
    return SSL_get_version(impl_->stream_->native_handle());
}
std::string TlsClient::NegotiatedCipher() const {
    return SSL_get_cipher_name(impl_->stream_->native_handle());
}
std::uint16_t TlsClient::local_port() const {
    error_code ec;
    return beast::get_lowest_layer(*impl_->stream_).socket().local_endpoint(ec).port();
}

api::HttpRequest MakeRequest(api::http::verb method, const std::string& target, std::string body) {
    api::HttpRequest req{method, target, 11};
    req.set(http::field::host, "localhost");
    req.keep_alive(true);
    if (!body.empty() || method == http::verb::post || method == http::verb::put) {
        req.body() = std::move(body);
        req.prepare_payload();
    }
    return req;
}

std::string PlainTcpExchange(std::uint16_t port,
                             const std::string& bytes,
                             std::chrono::milliseconds limit,
                             error_code* how_it_ended) {
    net::io_context ioc;
    beast::tcp_stream stream(ioc);
    error_code result;
    stream.expires_after(limit);
    stream.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                         [&](error_code ec) { result = ec; });
    ioc.run();
    if (result) {
        *how_it_ended = result;
        return {};
    }
    std::string received;
    stream.expires_after(limit);
    net::async_write(stream, net::buffer(bytes), [&](error_code ec, std::size_t) {
        if (ec) {
            result = ec;
            return;
        }
    });
    ioc.restart();
    ioc.run();
    // Read until the server closes (or the deadline closes the socket for us).
    char buf[4096];
    std::function<void(error_code, std::size_t)> on_read = [&](error_code ec, std::size_t n) {
        received.append(buf, n);
        if (ec) {
            result = ec;
            return;
        }
        stream.async_read_some(net::buffer(buf), on_read);
    };
    stream.async_read_some(net::buffer(buf), on_read);
    ioc.restart();
    ioc.run();
    *how_it_ended = result;
    return received;
}

api::HttpResponse CallOnce(std::uint16_t port,
                           api::http::verb method,
                           const std::string& target,
                           const std::string& token,
                           std::string body,
                           std::chrono::milliseconds timeout) {
    TlsClientOptions options;
    options.timeout = timeout;
    TlsClient client(port, options);
    api::HttpResponse response;
    auto ec = client.Connect();
    EXPECT_FALSE(ec) << ec.message();
    if (ec) return response;
    auto request = MakeRequest(method, target, std::move(body));
    if (!token.empty()) request.set(api::http::field::authorization, "Bearer " + token);
    if (!request.body().empty()) request.set(api::http::field::content_type, "application/json");
    request.prepare_payload();
    ec = client.Send(request, &response);
    EXPECT_FALSE(ec) << ec.message();
    return response;
}

}  // namespace renewmatch::testing
