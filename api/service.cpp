#include "api/service.hpp"

#include "api/response.hpp"

#include <algorithm>
#include <exception>
#include <random>

namespace renewmatch::api {
namespace {

constexpr std::size_t kMaxRequestIdLength = 128;

bool IsSaneRequestId(std::string_view id) {
    if (id.empty() || id.size() > kMaxRequestIdLength) return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == ':' || c == '-';
    });
}

// 405 has no Errc of its own (nothing below api/ produces it), so it is encoded here with the
// same body shape as every other error.
HttpResponse MethodNotAllowed(const std::vector<http::verb>& allowed,
                              http::verb method,
                              std::string_view request_id) {
    ApiError error = ApiError::Make(
        Errc::kInvalidArgument,
        "method " + std::string(http::to_string(method)) + " is not allowed on this resource",
        "method_not_allowed");
    HttpResponse response = ErrorResponse(error, request_id);
    response.result(http::status::method_not_allowed);
    response.set(http::field::allow, Router::AllowHeader(allowed));
    return response;
}

}  // namespace

Authenticator::~Authenticator() = default;

std::string GenerateRequestId() {
    // One generator per thread, seeded once from the OS: request ids need to be unique, not
    // secret.
    thread_local std::mt19937_64 generator{[] {
        std::random_device device;
        return (static_cast<std::uint64_t>(device()) << 32) ^ device();
    }()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(32, '0');
    for (std::size_t half = 0; half < 2; ++half) {
        std::uint64_t bits = generator();
        for (std::size_t i = 0; i < 16; ++i) {
            id[half * 16 + i] = kHex[bits & 0xFu];
            bits >>= 4;
        }
    }
    return id;
}

std::string ResolveRequestId(const HttpRequest& request) {
    const auto it = request.find("X-Request-Id");
    if (it != request.end()) {
        const std::string_view value(it->value().data(), it->value().size());
        if (IsSaneRequestId(value)) return std::string(value);
    }
    return GenerateRequestId();
}

Service::Service(AppContext& app) : app_(app) {}

void Service::SetAuthenticator(std::shared_ptr<Authenticator> authenticator) {
    authenticator_ = std::move(authenticator);
}

void Service::SetRateLimiter(RateLimiter limiter) {
    rate_limiter_ = std::move(limiter);
}

std::uint64_t Service::BodyLimitFor(http::verb method, std::string_view target) const {
    const auto [path, query] = SplitTarget(target);
    const Router::MatchResult match = router_.Match(method, path);
    if (match.kind == Router::MatchKind::kFound) return match.route->options.body_limit;
    return kDefaultBodyLimit;
}

HttpResponse Service::Handle(const HttpRequest& request, const RequestInfo& info) {
    return Handle(request, info, nullptr);
}

HttpResponse Service::Handle(const HttpRequest& request,
                             const RequestInfo& info,
                             HandleOutcome* outcome) {
    HandleOutcome local_outcome;
    HandleOutcome& out = outcome != nullptr ? *outcome : local_outcome;
    out = HandleOutcome{};
    out.route_name = "unmatched";
    out.request_id = info.request_id.empty() ? ResolveRequestId(request) : info.request_id;

    RequestContext context{request, app_, out.request_id, info.remote_address, nullptr, 0, {}, {}};
    HttpResponse response;
    // Plain variables, not a structured binding: clang 14 cannot capture those in the lambda.
    const auto target_parts = SplitTarget(request.target());
    const std::string_view path = target_parts.first;
    const std::string_view query = target_parts.second;
    const Router::MatchResult match = router_.Match(request.method(), path);
    if (match.kind == Router::MatchKind::kMethodNotAllowed) {
        out.error_code = "method_not_allowed";
        response = MethodNotAllowed(match.allowed, request.method(), out.request_id);
    } else {
        Reply reply = [&]() -> Reply {
            switch (match.kind) {
                case Router::MatchKind::kNotFound:
                    return ApiError::Make(Errc::kNotFound,
                                          "no such resource: " + std::string(path));
                case Router::MatchKind::kBadPath:
                    return ApiError::Make(Errc::kMalformed,
                                          "path contains an invalid percent escape or UTF-8",
                                          "bad_path");
                case Router::MatchKind::kFound:
                case Router::MatchKind::kMethodNotAllowed:
                    break;
            }
            out.route_name = match.route->options.name;
            context.path_params = match.params;
            auto parsed_query = ParseQuery(query);
            if (!parsed_query) return parsed_query.error();
            context.query = std::move(*parsed_query);
            try {
                return Dispatch(request, *match.route, context, out);
            } catch (const std::exception& e) {
                out.internal_error = e.what();
            } catch (...) {
                out.internal_error = "non-standard exception";
            }
            // Nothing about the exception reaches the client; the server logs internal_error.
            return ApiError::Make(Errc::kInternal, "internal error");
        }();
        if (reply) {
            response = std::move(*reply);
        } else {
            const ApiError& error = reply.error();
            out.error_code = error.code.empty() ? ErrcName(error.kind) : error.code;
            response = ErrorResponse(error, out.request_id);
        }
    }
    response.version(request.version());
    response.keep_alive(request.keep_alive());
    response.set("X-Request-Id", out.request_id);
    response.prepare_payload();
    return response;
}

Reply Service::Dispatch(const HttpRequest& request,
                        const Route& route,
                        RequestContext& context,
                        HandleOutcome& outcome) {
    const RouteOptions& options = route.options;
    if (request.body().size() > options.body_limit) {
        return ApiError::Make(Errc::kTooLarge, "request body exceeds " +
                                                   std::to_string(options.body_limit) +
                                                   " bytes for this endpoint");
    }
    context.now_ms = app_.NowMs();
    Principal principal;
    if (!options.public_route) {
        if (!authenticator_) {
            // A deployment without an authenticator cannot serve protected routes; refusing is
            // the only safe answer.
            return ApiError::Make(Errc::kUnavailable, "authentication is not configured");
        }
        const auto header = request.find(http::field::authorization);
        if (header == request.end() || header->value().empty()) {
            return ApiError::Make(Errc::kUnauthenticated, "missing Authorization header");
        }
        const std::string_view value(header->value().data(), header->value().size());
        auto authenticated = authenticator_->Authenticate(value, context.now_ms);
        if (!authenticated) {
            const auto& code = authenticated.error();
            Errc kind = code.category() == ErrorCategory() ? static_cast<Errc>(code.value())
                                                           : Errc::kInternal;
            switch (kind) {
                case Errc::kUnauthenticated:
                    return ApiError::Make(kind, "missing, invalid or revoked API key");
                case Errc::kForbidden:
                    return ApiError::Make(kind, "this API key may not be used");
                case Errc::kBusy:
                    return ApiError::Make(kind, "authentication is busy; retry");
                case Errc::kRateLimited:
                    return ApiError::Make(kind, "too many authentication attempts");
                default:
                    return ApiError::Make(Errc::kInternal, "internal error");
            }
        }
        principal = *authenticated;
        outcome.org_id = principal.org_id;
        context.principal = &principal;
        if (principal.role != Role::kAdmin && !options.roles.empty() &&
            std::find(options.roles.begin(), options.roles.end(), principal.role) ==
                options.roles.end()) {
            return ApiError::Make(
                Errc::kForbidden,
                "role '" + std::string(RoleName(principal.role)) + "' may not call " + options.name,
                "forbidden_role");
        }
        if (rate_limiter_) {
            if (auto refused = rate_limiter_(principal, context.now_ms)) return std::move(*refused);
        }
    }
    Reply reply = route.handler(context);
    context.principal = nullptr;  // `principal` dies with this frame
    return reply;
}

}  // namespace renewmatch::api
