// api::Service: the synchronous request -> response entry point the server calls for every
// request (on its work pool). It resolves the request id, matches the route, enforces the body
// limit, authenticates (Authenticator), checks the route's roles, applies the rate limiter, runs
// the handler and encodes any ApiError as the one error body. Every response carries
// X-Request-Id. A handler that throws yields a bare 500 ("internal") with nothing of the
// exception disclosed; the exception text is kept in the returned HandleOutcome for logging.
//
// Order of checks: route (404/405; 400 for a bad escape in the path) -> query parsing (400) ->
// body limit (413) -> authentication
// for non-public routes (401) -> role (403; admin always allowed) -> rate limit (429) -> handler.
//
// Ownership: Service borrows the AppContext (must outlive it) and shares ownership of the
// Authenticator. Routes are added through router() at start-up; RegisterAllRoutes(router())
// adds every owner's routes (the Service constructor adds none).
//
// Thread-safety: configure (router(), SetAuthenticator, SetRateLimiter) before the first
// Handle(); afterwards Handle() and BodyLimitFor() are safe to call concurrently.
#pragma once

#include "api/app_context.hpp"
#include "api/error.hpp"
#include "api/http.hpp"
#include "api/principal.hpp"
#include "api/router.hpp"
#include "schema/errc.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace renewmatch::api {

// Turns the Authorization header value ("Bearer <key>") into a Principal.
// Errors: kUnauthenticated (missing, malformed, unknown or revoked key) -> 401; kBusy ->
// 503; anything else -> 500. Implementations must be thread-safe.
class Authenticator {
  public:
    virtual ~Authenticator();
    virtual Result<Principal> Authenticate(std::string_view authorization_header_value,
                                           std::int64_t now_ms) = 0;
};

// Returns an error (normally kRateLimited with a Retry-After header) to refuse the request.
using RateLimiter = std::function<std::optional<ApiError>(const Principal&, std::int64_t now_ms)>;

struct RequestInfo {
    std::string request_id;      // empty: Service resolves it (see ResolveRequestId)
    std::string remote_address;  // "ip:port", for handlers and audit
};

// What Handle() did, for the server's log line and metrics.
struct HandleOutcome {
    std::string route_name;  // RouteOptions::name, or "unmatched"
    std::string request_id;
    std::string error_code;              // the error body's code, "" on success
    std::string internal_error;          // what() of an exception a handler threw (never sent)
    std::optional<std::int64_t> org_id;  // the authenticated principal's organisation
};

// The client's X-Request-Id when it is sane (1..128 chars of [A-Za-z0-9._:-]), else a new
// random 32-hex-digit id.
std::string ResolveRequestId(const HttpRequest& request);
// A new random 32-hex-digit request id.
std::string GenerateRequestId();

class Service {
  public:
    explicit Service(AppContext& app);
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    HttpResponse Handle(const HttpRequest& request, const RequestInfo& info);
    HttpResponse Handle(const HttpRequest& request,
                        const RequestInfo& info,
                        HandleOutcome* outcome);

    // The body limit of the route `target` resolves to (kDefaultBodyLimit when none matches), so
    // the server can set its parser's limit after reading the header.
    std::uint64_t BodyLimitFor(http::verb method, std::string_view target) const;

    Router& router() { return router_; }
    const Router& router() const { return router_; }
    AppContext& app() { return app_; }

    void SetAuthenticator(std::shared_ptr<Authenticator> authenticator);
    void SetRateLimiter(RateLimiter limiter);

  private:
    Reply Dispatch(const HttpRequest& request,
                   const Route& route,
                   RequestContext& context,
                   HandleOutcome& outcome);

    AppContext& app_;
    Router router_;
    std::shared_ptr<Authenticator> authenticator_;
    RateLimiter rate_limiter_;
};

}  // namespace renewmatch::api
