// api::Router: the route table mapping (method, path pattern) to a synchronous handler.
//
// Patterns are absolute paths whose segments are literals or `{name}` parameters, e.g.
// "/v1/orgs/{id}/keys". Matching is segment by segment; a literal segment beats a parameter at
// the same position ("/v1/lists/feed" wins over "/v1/lists/{id}"), parameter values are
// percent-decoded. A path that no pattern matches is 404; a path that matches only patterns
// registered for other methods is 405 with an `Allow` header listing them.
//
// A handler gets a RequestContext and returns a Reply: an HttpResponse (see api/response.hpp for
// JsonResponse and friends) or an ApiError, which api::Service encodes as the one error body.
//
// Thread-safety: Add() during start-up only (before the first request); Match() is const and
// safe to call concurrently afterwards.
#pragma once

#include "api/app_context.hpp"
#include "api/error.hpp"
#include "api/http.hpp"
#include "api/principal.hpp"
#include "api/result.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace renewmatch::api {

inline constexpr std::uint64_t kDefaultBodyLimit = 1024 * 1024;  // 1 MiB

struct RouteOptions {
    std::uint64_t body_limit = kDefaultBodyLimit;  // 413 above this many body bytes
    bool public_route = false;                     // true: no authentication (health, openapi)
    std::vector<Role> roles;  // roles allowed; empty = any authenticated role; admin always
    std::string name;         // metrics/log label, e.g. "lists.get"; defaults to the pattern
    // The handler is cheap and non-blocking (constant work, no SQLite, no file I/O, no lock held
    // for long): the server may run it on the I/O thread instead of the work pool
    // (server::RouteTraits::run_inline). Only for public routes that need nothing of the request.
    bool run_inline = false;

    // Shorthands (designated initializers that skip members trip -Wmissing-field-initializers):
    //   RouteOptions::Public("healthz")
    //   RouteOptions::Authenticated("lists.create", {Role::kBuyer}, 32 * 1024 * 1024)
    static RouteOptions Public(std::string name, std::uint64_t body_limit = kDefaultBodyLimit) {
        RouteOptions options;
        options.public_route = true;
        options.name = std::move(name);
        options.body_limit = body_limit;
        return options;
    }
    static RouteOptions Authenticated(std::string name,
                                      std::vector<Role> roles = {},
                                      std::uint64_t body_limit = kDefaultBodyLimit) {
        RouteOptions options;
        options.name = std::move(name);
        options.roles = std::move(roles);
        options.body_limit = body_limit;
        return options;
    }
};

// Query parameters in order of appearance, percent-decoded ('+' is a space). A name may repeat.
class QueryParams {
  public:
    QueryParams() = default;
    explicit QueryParams(std::vector<std::pair<std::string, std::string>> items)
        : items_(std::move(items)) {}

    // The first value of `name`, if present.
    std::optional<std::string_view> Get(std::string_view name) const;
    // Every value of `name`, in order.
    std::vector<std::string_view> GetAll(std::string_view name) const;
    bool Has(std::string_view name) const { return Get(name).has_value(); }
    const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

  private:
    std::vector<std::pair<std::string, std::string>> items_;
};

// Parses the query part of a target ("a=1&b=x%20y", without '?'). Fails with kMalformed on a bad
// percent escape or a decoded value that is not valid UTF-8 (detail field = the parameter name).
ApiResult<QueryParams> ParseQuery(std::string_view query);
// Decodes %XX escapes (and '+' as a space when `plus_is_space`). nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

using PathParams = std::vector<std::pair<std::string, std::string>>;

// Everything a handler needs about one request. Lives for the duration of the handler call.
struct RequestContext {
    const HttpRequest& request;
    AppContext& app;
    std::string request_id;
    std::string remote_address;
    const Principal* principal = nullptr;  // null on public routes
    std::int64_t now_ms = 0;               // AppContext clock, read once per request
    PathParams path_params;
    QueryParams query;

    // The value of path parameter `name` ("" when the route has no such parameter).
    std::string_view Param(std::string_view name) const;
};

using Reply = ApiResult<HttpResponse>;
using Handler = std::function<Reply(RequestContext&)>;

struct Route {
    http::verb method;
    std::string pattern;
    Handler handler;
    RouteOptions options;
    std::vector<std::string> segments;  // pattern split on '/'; "{x}" marks a parameter
};

class Router {
  public:
    enum class MatchKind { kFound, kNotFound, kMethodNotAllowed, kBadPath };
    struct MatchResult {
        MatchKind kind = MatchKind::kNotFound;
        const Route* route = nullptr;     // kFound
        PathParams params;                // kFound
        std::vector<http::verb> allowed;  // kMethodNotAllowed: sorted, unique
    };

    // Registers a route. A malformed pattern (not starting with '/', an unclosed '{', an empty
    // parameter name) or a duplicate (method, pattern-shape) is a programming error: throws
    // std::invalid_argument at start-up.
    void Add(http::verb method,
             std::string_view pattern,
             Handler handler,
             RouteOptions options = {});

    // Matches a path (no query string). kBadPath when a parameter value has a bad % escape.
    MatchResult Match(http::verb method, std::string_view path) const;

    const std::vector<Route>& routes() const { return routes_; }

    // "GET, POST" for an Allow header.
    static std::string AllowHeader(const std::vector<http::verb>& verbs);

  private:
    std::vector<Route> routes_;
};

// Splits a request target into path and query ("/a?b=c" -> {"/a", "b=c"}); a fragment is dropped.
std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target);

// Each owner declares its own Register*Routes(Router&) in its header; RegisterAllRoutes
// (api/routes.cpp) calls them all. core's: /healthz, /readyz, /v1/openapi.yaml.
void RegisterHealthRoutes(Router& router);
void RegisterAllRoutes(Router& router);

}  // namespace renewmatch::api
