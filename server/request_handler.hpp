// The seam between the network layer (HttpServer) and request handling (api::Service).
//
// HttpServer parses requests and writes responses; a RequestHandler decides what each request
// means. renewmatchd adapts api::Service to this interface (server/service_handler.hpp); tests
// can supply their own.
//
// Thread-safety: implementations must allow concurrent calls. Handle() runs on the work pool,
// or on an I/O thread for a route whose TraitsFor() says run_inline; BodyLimitFor(), TraitsFor()
// and ErrorResponse() run on I/O threads and must be cheap and never block (no SQLite, no file
// I/O).
#pragma once

#include "api/error.hpp"
#include "api/http.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace renewmatch::server {

// What the server knows about a request beyond its bytes.
struct RequestMeta {
    std::string request_id;  // the client's valid X-Request-Id, else a generated one
    std::string remote;      // "ip:port"
};

// What the server needs to know about the route of a request once its header has been read.
struct RouteTraits {
    std::uint64_t body_limit = 0;  // largest body accepted (413 above it)
    // The route's handler is declared cheap and non-blocking (constant work, no SQLite, no file
    // I/O, no lock held for long): the server runs it on the connection's I/O thread instead of
    // handing the request to the work pool and the response back (two thread wake-ups).
    bool run_inline = false;
};

class RequestHandler {
  public:
    virtual ~RequestHandler() = default;

    // Produces the response for a complete request and sets *route_label to a bounded metrics
    // label for the matched route ("unmatched" when none). Must not throw for bad input (errors
    // are responses); an escaping exception is answered 500 by the server.
    virtual api::HttpResponse Handle(const api::HttpRequest& request,
                                     const RequestMeta& meta,
                                     std::string* route_label) = 0;

    // Largest body accepted for (method, target); consulted after the header has been read.
    virtual std::uint64_t BodyLimitFor(api::http::verb method, std::string_view target) const = 0;

    // The route's traits for (method, target); what the server consults after reading the
    // header. The default: BodyLimitFor's limit, never inline.
    virtual RouteTraits TraitsFor(api::http::verb method, std::string_view target) const {
        return RouteTraits{BodyLimitFor(method, target), false};
    }

    // Encodes an error the server itself detects (header too large, body too large, malformed
    // HTTP) with the API's one error body.
    virtual api::HttpResponse ErrorResponse(const api::ApiError& error,
                                            const std::string& request_id) const = 0;
};

}  // namespace renewmatch::server
