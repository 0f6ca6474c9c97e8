// api::Service end to end without a network: request ids, authentication, roles, the rate-limit
// hook, body limits, error encoding, handler exceptions, and core's health/ready/openapi routes
// over a real SQLite file.
#include "api/service.hpp"

#include "api/health.hpp"
#include "api/json.hpp"
#include "api/response.hpp"
#include "schema/database.hpp"
#include "tests/support/test_util.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace renewmatch::api {
namespace {

using renewmatch::testing::TempDir;

// A small real Authenticator: parses "Bearer <token>" (scheme case-insensitive, one space) and
// looks the token up in a table. It counts calls so tests can prove public routes skip it.
class TableAuthenticator final : public Authenticator {
  public:
    void AddKey(std::string token, Principal principal) {
        std::lock_guard lock(mutex_);
        keys_[std::move(token)] = principal;
    }
    void SetUnavailable(bool busy) { busy_ = busy; }
    int calls() const { return calls_; }

    Result<Principal> Authenticate(std::string_view header, std::int64_t now_ms) override {
        std::lock_guard lock(mutex_);
        ++calls_;
        last_now_ms_ = now_ms;
        if (busy_) return Errc::kBusy;
        constexpr std::string_view kScheme = "bearer ";
        if (header.size() <= kScheme.size()) return Errc::kUnauthenticated;
        for (std::size_t i = 0; i < kScheme.size(); ++i) {
            if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) {
                return Errc::kUnauthenticated;
            }
        }
        const auto it = keys_.find(std::string(header.substr(kScheme.size())));
        if (it == keys_.end()) return Errc::kUnauthenticated;
        return it->second;
    }
    std::int64_t last_now_ms() const { return last_now_ms_; }

  private:
    std::mutex mutex_;
    std::map<std::string, Principal> keys_;
    int calls_ = 0;
    bool busy_ = false;
    std::int64_t last_now_ms_ = 0;
};

HttpRequest Request(http::verb method, std::string target, std::string body = {}) {
    HttpRequest request{method, target, 11};
    request.body() = std::move(body);
    request.prepare_payload();
    return request;
}

struct Decoded {
    std::string code;
    std::string message;
    std::string request_id;
    std::size_t detail_count = 0;
    std::string first_field;
};

Decoded DecodeError(const HttpResponse& response) {
    Decoded out;
    auto doc = ParseDocument(response.body());
    EXPECT_TRUE(doc.has_value()) << response.body();
    if (!doc) return out;
    auto error = ReadObject(*doc, "error", "");
    EXPECT_TRUE(error.has_value()) << response.body();
    if (!error) return out;
    out.code = ReadString(**error, "code", "/error").value();
    out.message = ReadString(**error, "message", "/error").value();
    out.request_id = ReadString(*doc, "requestId", "").value();
    const JsonValue* details = ReadArray(**error, "details", "/error").value();
    out.detail_count = details->Size();
    if (out.detail_count > 0) {
        out.first_field = ReadOptionalString((*details)[0], "field", "").value().value_or("");
    }
    return out;
}

class ServiceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        app_.now_ms = [] { return std::int64_t{1700000000000}; };
        auth_ = std::make_shared<TableAuthenticator>();
        auth_->AddKey("admin-key", {1, 10, Role::kAdmin});
        auth_->AddKey("buyer-key", {2, 20, Role::kBuyer});
        auth_->AddKey("supplier-key", {3, 30, Role::kSupplier});
        service_.SetAuthenticator(auth_);
        RegisterAllRoutes(service_.router());
        service_.router().Add(
            http::verb::get, "/v1/whoami",
            [](RequestContext& ctx) -> Reply {
                JsonWriter w;
                w.StartObject()
                    .Field("org", ctx.principal->org_id)
                    .Field("role", RoleName(ctx.principal->role))
                    .Field("now", ctx.now_ms)
                    .Field("requestId", ctx.request_id)
                    .EndObject();
                return JsonResponse(http::status::ok, w.Take());
            },
            RouteOptions::Authenticated("whoami"));
        service_.router().Add(
            http::verb::post, "/v1/buyers-only/{id}",
            [](RequestContext& ctx) -> Reply {
                return JsonResponse(201, "{\"id\":\"" + std::string(ctx.Param("id")) + "\"}");
            },
            RouteOptions::Authenticated("buyers.create", {Role::kBuyer}, 16));
        service_.router().Add(
            http::verb::get, "/v1/throws",
            [](RequestContext&) -> Reply { throw std::runtime_error("secret table name t_x"); },
            RouteOptions::Public("throws"));
        service_.router().Add(
            http::verb::get, "/v1/fails",
            [](RequestContext& ctx) -> Reply {
                auto limit = ctx.query.Get("limit");
                return ApiError::Make(Errc::kConflict,
                                      "limit was " + std::string(limit.value_or("-")));
            },
            RouteOptions::Public("fails"));
    }

    HttpResponse Send(HttpRequest request, const std::string& key = {}) {
        if (!key.empty()) request.set(http::field::authorization, "Bearer " + key);
        return service_.Handle(request, RequestInfo{"", "127.0.0.1:5555"}, &outcome_);
    }

    AppContext app_;
    Service service_{app_};
    std::shared_ptr<TableAuthenticator> auth_;
    HandleOutcome outcome_;
};

TEST_F(ServiceTest, EchoesASaneClientRequestId) {
    HttpRequest request = Request(http::verb::get, "/healthz");
    request.set("X-Request-Id", "client-id_1.2:3");
    HttpResponse response = Send(request);
    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_EQ(response["X-Request-Id"], "client-id_1.2:3");
    EXPECT_EQ(outcome_.request_id, "client-id_1.2:3");
    EXPECT_EQ(outcome_.route_name, "healthz");
}

TEST_F(ServiceTest, GeneratesARequestIdWhenMissingOrInsane) {
    HttpResponse first = Send(Request(http::verb::get, "/healthz"));
    const std::string id1(first["X-Request-Id"]);
    EXPECT_EQ(id1.size(), 32u);
    EXPECT_EQ(id1.find_first_not_of("0123456789abcdef"), std::string::npos);
    HttpResponse second = Send(Request(http::verb::get, "/healthz"));
    EXPECT_NE(second["X-Request-Id"], id1);

    for (const std::string& bad : {std::string("has space"), std::string(129, 'a'),
                                   std::string("new\nline"), std::string("")}) {
        HttpRequest request = Request(http::verb::get, "/healthz");
        request.set("X-Request-Id", bad);
        HttpResponse response = Send(request);
        EXPECT_NE(response["X-Request-Id"], bad);
        EXPECT_EQ(response["X-Request-Id"].size(), 32u);
    }
}

TEST_F(ServiceTest, ServerProvidedRequestIdWins) {
    HttpRequest request = Request(http::verb::get, "/v1/nowhere");
    request.set("X-Request-Id", "from-client");
    HttpResponse response = service_.Handle(request, RequestInfo{"from-server", ""});
    EXPECT_EQ(response["X-Request-Id"], "from-server");
    EXPECT_EQ(DecodeError(response).request_id, "from-server");
}

TEST_F(ServiceTest, HealthzIsPublicAndAnswersOk) {
    HttpResponse response = Send(Request(http::verb::get, "/healthz"));
    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_EQ(response.body(), R"({"status":"ok"})");
    EXPECT_EQ(response[http::field::content_type], "application/json");
    EXPECT_EQ(response[http::field::content_length], std::to_string(response.body().size()));
    EXPECT_EQ(auth_->calls(), 0);
}

TEST_F(ServiceTest, UnknownPathIs404WithTheErrorBody) {
    HttpResponse response = Send(Request(http::verb::get, "/v1/nowhere?x=1"));
    EXPECT_EQ(response.result_int(), 404u);
    const Decoded e = DecodeError(response);
    EXPECT_EQ(e.code, "not_found");
    EXPECT_EQ(e.request_id, std::string(response["X-Request-Id"]));
    EXPECT_EQ(outcome_.route_name, "unmatched");
    EXPECT_EQ(outcome_.error_code, "not_found");
}

TEST_F(ServiceTest, EchoedRequestBytesNeverBreakTheErrorBody) {
    HttpResponse response = Send(Request(http::verb::get, "/v1/\xFF\xFEnowhere"));
    EXPECT_EQ(response.result_int(), 404u);
    EXPECT_EQ(DecodeError(response).code, "not_found");  // parsed with UTF-8 validation
}

TEST_F(ServiceTest, WrongMethodIs405WithAllow) {
    HttpResponse response = Send(Request(http::verb::post, "/healthz"));
    EXPECT_EQ(response.result_int(), 405u);
    EXPECT_EQ(response[http::field::allow], "GET");
    EXPECT_EQ(DecodeError(response).code, "method_not_allowed");
}

TEST_F(ServiceTest, BadPathEscapeIs400) {
    HttpResponse response = Send(Request(http::verb::post, "/v1/buyers-only/%zz"), "buyer-key");
    EXPECT_EQ(response.result_int(), 400u);
    EXPECT_EQ(DecodeError(response).code, "bad_path");
}

TEST_F(ServiceTest, MissingOrUnknownKeyIs401BeforeTheHandler) {
    HttpResponse missing = Send(Request(http::verb::get, "/v1/whoami"));
    EXPECT_EQ(missing.result_int(), 401u);
    EXPECT_EQ(DecodeError(missing).code, "unauthenticated");
    EXPECT_EQ(missing[http::field::www_authenticate], "Bearer realm=\"renewmatch\"");
    EXPECT_EQ(auth_->calls(), 0);  // no header: nothing to authenticate

    HttpResponse unknown = Send(Request(http::verb::get, "/v1/whoami"), "nope");
    EXPECT_EQ(unknown.result_int(), 401u);
    EXPECT_EQ(auth_->calls(), 1);

    HttpRequest basic = Request(http::verb::get, "/v1/whoami");
    basic.set(http::field::authorization, "Basic YWRtaW4ta2V5");
    EXPECT_EQ(Send(basic).result_int(), 401u);
}

TEST_F(ServiceTest, AuthenticatedCallerReachesTheHandlerWithPrincipalAndClock) {
    HttpResponse response = Send(Request(http::verb::get, "/v1/whoami"), "supplier-key");
    ASSERT_EQ(response.result_int(), 200u) << response.body();
    auto doc = ParseDocument(response.body());
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(ReadInt64(*doc, "org", "").value(), 30);
    EXPECT_EQ(ReadString(*doc, "role", "").value(), "supplier");
    EXPECT_EQ(ReadInt64(*doc, "now", "").value(), 1700000000000);
    EXPECT_EQ(ReadString(*doc, "requestId", "").value(), std::string(response["X-Request-Id"]));
    EXPECT_EQ(auth_->last_now_ms(), 1700000000000);
    EXPECT_EQ(outcome_.org_id, 30);
}

TEST_F(ServiceTest, RoleOutsideTheRouteRolesIs403AdminAlwaysAllowed) {
    HttpResponse supplier = Send(Request(http::verb::post, "/v1/buyers-only/7"), "supplier-key");
    EXPECT_EQ(supplier.result_int(), 403u);
    EXPECT_EQ(DecodeError(supplier).code, "forbidden_role");

    HttpResponse buyer = Send(Request(http::verb::post, "/v1/buyers-only/7"), "buyer-key");
    EXPECT_EQ(buyer.result_int(), 201u);
    EXPECT_EQ(buyer.body(), R"({"id":"7"})");

    HttpResponse admin = Send(Request(http::verb::post, "/v1/buyers-only/8"), "admin-key");
    EXPECT_EQ(admin.result_int(), 201u);
}

TEST_F(ServiceTest, AuthenticatorBusyIs503) {
    auth_->SetUnavailable(true);
    HttpResponse response = Send(Request(http::verb::get, "/v1/whoami"), "buyer-key");
    EXPECT_EQ(response.result_int(), 503u);
    EXPECT_EQ(response[http::field::retry_after], "1");
}

TEST_F(ServiceTest, NoAuthenticatorMeansProtectedRoutesAreUnavailable) {
    AppContext app;
    Service bare(app);
    bare.router().Add(http::verb::get, "/x",
                      [](RequestContext&) -> Reply { return NoContentResponse(); });
    HttpRequest request = Request(http::verb::get, "/x");
    request.set(http::field::authorization, "Bearer anything");
    EXPECT_EQ(bare.Handle(request, {}).result_int(), 503u);
}

TEST_F(ServiceTest, RateLimiterRunsAfterAuthentication) {
    int calls = 0;
    service_.SetRateLimiter([&](const Principal& p, std::int64_t now) -> std::optional<ApiError> {
        ++calls;
        EXPECT_EQ(now, 1700000000000);
        if (p.org_id != 20) return std::nullopt;
        ApiError error = ApiError::Make(Errc::kRateLimited, "slow down");
        error.headers.emplace_back("Retry-After", "3");
        return error;
    });
    HttpResponse limited = Send(Request(http::verb::get, "/v1/whoami"), "buyer-key");
    EXPECT_EQ(limited.result_int(), 429u);
    EXPECT_EQ(limited[http::field::retry_after], "3");
    EXPECT_EQ(DecodeError(limited).code, "rate_limited");
    EXPECT_EQ(Send(Request(http::verb::get, "/v1/whoami"), "supplier-key").result_int(), 200u);
    EXPECT_EQ(Send(Request(http::verb::get, "/v1/whoami"), "bad").result_int(), 401u);
    EXPECT_EQ(Send(Request(http::verb::get, "/healthz")).result_int(), 200u);
    EXPECT_EQ(calls, 2);  // not for the unauthenticated or the public request
}

TEST_F(ServiceTest, BodyOverTheRouteLimitIs413) {
    HttpResponse response =
        Send(Request(http::verb::post, "/v1/buyers-only/1", std::string(17, 'x')), "buyer-key");
    EXPECT_EQ(response.result_int(), 413u);
    EXPECT_EQ(DecodeError(response).code, "payload_too_large");
    EXPECT_EQ(service_.BodyLimitFor(http::verb::post, "/v1/buyers-only/1?x=y"), 16u);
    EXPECT_EQ(service_.BodyLimitFor(http::verb::get, "/healthz"), kDefaultBodyLimit);
    EXPECT_EQ(service_.BodyLimitFor(http::verb::get, "/nowhere"), kDefaultBodyLimit);
}

TEST_F(ServiceTest, HandlerErrorsUseTheOneBodyAndQueryIsDecoded) {
    HttpResponse response = Send(Request(http::verb::get, "/v1/fails?limit=a%20b"));
    EXPECT_EQ(response.result_int(), 409u);
    const Decoded e = DecodeError(response);
    EXPECT_EQ(e.code, "conflict");
    EXPECT_EQ(e.message, "limit was a b");
    EXPECT_EQ(outcome_.error_code, "conflict");
}

TEST_F(ServiceTest, BadQueryEncodingIs400NamingTheParameter) {
    HttpResponse response = Send(Request(http::verb::get, "/v1/fails?limit=%G1"));
    EXPECT_EQ(response.result_int(), 400u);
    const Decoded e = DecodeError(response);
    EXPECT_EQ(e.code, "bad_query");
    EXPECT_EQ(e.first_field, "limit");
}

TEST_F(ServiceTest, HandlerExceptionIs500WithoutInternals) {
    HttpResponse response = Send(Request(http::verb::get, "/v1/throws"));
    EXPECT_EQ(response.result_int(), 500u);
    EXPECT_EQ(response.body().find("secret"), std::string::npos) << response.body();
    EXPECT_EQ(DecodeError(response).code, "internal");
    EXPECT_EQ(outcome_.internal_error, "secret table name t_x");
}

TEST_F(ServiceTest, KeepAliveAndVersionFollowTheRequest) {
    HttpRequest request = Request(http::verb::get, "/healthz");
    request.version(10);
    request.keep_alive(false);
    HttpResponse response = Send(request);
    EXPECT_EQ(response.version(), 10u);
    EXPECT_FALSE(response.keep_alive());
}

TEST_F(ServiceTest, OpenApiDocumentIsServedAndMatchesTheSource) {
    HttpResponse response = Send(Request(http::verb::get, "/v1/openapi.yaml"));
    EXPECT_EQ(response.result_int(), 200u);
    EXPECT_EQ(response[http::field::content_type], "application/yaml");
    EXPECT_EQ(response.body(),
              renewmatch::testing::ReadFile(renewmatch::testing::SourceDir() / "api/openapi.yaml"));
    EXPECT_EQ(response.body().rfind("openapi: 3.1", 0), 0u);
}

TEST_F(ServiceTest, EveryRegisteredRouteIsInTheOpenApiDocument) {
    const std::string_view doc = OpenApiDocument();
    for (const Route& route : service_.router().routes()) {
        if (route.pattern.rfind("/v1/whoami", 0) == 0 ||
            route.pattern.rfind("/v1/buyers", 0) == 0 ||
            route.pattern.rfind("/v1/throws", 0) == 0 || route.pattern.rfind("/v1/fails", 0) == 0) {
            continue;  // this test's own routes
        }
        const std::size_t at = doc.find("\n  " + route.pattern + ":\n");
        ASSERT_NE(at, std::string_view::npos)
            << route.pattern << " is not documented in api/openapi.yaml (every route must be)";
        // The path item runs to the next path (two-space indent) or the next top-level key.
        const std::string_view item = doc.substr(at + 1);
        const std::size_t next_path = item.find("\n  /");
        const std::size_t next_section = item.find("\ncomponents:");
        const std::string_view block = item.substr(0, std::min(next_path, next_section));
        std::string method(http::to_string(route.method));
        for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        EXPECT_NE(block.find("\n    " + method + ":"), std::string_view::npos)
            << route.pattern << " documents no " << method << " operation";
    }
}

class ReadyzTest : public ServiceTest {};

TEST_F(ReadyzTest, NotReadyWithoutADatabase) {
    HttpResponse response = Send(Request(http::verb::get, "/readyz"));
    EXPECT_EQ(response.result_int(), 503u);
    const Decoded e = DecodeError(response);
    EXPECT_EQ(e.code, "not_ready");
    EXPECT_EQ(e.first_field, "database");
}

TEST_F(ReadyzTest, ReadyWithAMigratedDatabaseAndAllFlags) {
    TempDir dir;
    std::string why;
    auto db = schema::Database::Open((dir / "ready.db").string(), {}, &why);
    ASSERT_TRUE(db.has_value()) << why;
    ASSERT_OK((*db)->Migrate());
    app_.db = db->get();

    app_.readiness.Require("index");
    HttpResponse pending = Send(Request(http::verb::get, "/readyz"));
    EXPECT_EQ(pending.result_int(), 503u);
    const Decoded e = DecodeError(pending);
    EXPECT_EQ(e.detail_count, 1u);
    EXPECT_EQ(e.first_field, "index");
    EXPECT_NE(e.message.find("index"), std::string::npos);

    app_.readiness.Set("index", true);
    app_.readiness.Require("index");  // re-registering does not reset a ready flag
    HttpResponse ready = Send(Request(http::verb::get, "/readyz"));
    ASSERT_EQ(ready.result_int(), 200u) << ready.body();
    auto doc = ParseDocument(ready.body());
    ASSERT_TRUE(doc.has_value());
    EXPECT_EQ(ReadString(*doc, "status", "").value(), "ready");
    const JsonValue* checks = ReadObject(*doc, "checks", "").value();
    EXPECT_EQ(ReadString(*checks, "database", "/checks").value(), "ok");
    EXPECT_EQ(ReadString(*checks, "index", "/checks").value(), "ok");

    app_.readiness.Set("index", false);
    EXPECT_EQ(Send(Request(http::verb::get, "/readyz")).result_int(), 503u);
    app_.db = nullptr;
}

TEST_F(ReadyzTest, ConcurrentRequestsFromManyThreads) {
    TempDir dir;
    auto db = schema::Database::Open((dir / "concurrent.db").string());
    ASSERT_OK(db);
    ASSERT_OK((*db)->Migrate());
    app_.db = db->get();
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 50; ++i) {
                HttpRequest ready = Request(http::verb::get, "/readyz");
                HttpRequest who = Request(http::verb::get, "/v1/whoami");
                who.set(http::field::authorization,
                        t % 2 == 0 ? "Bearer buyer-key" : "Bearer nope");
                const auto r1 = service_.Handle(ready, RequestInfo{});
                const auto r2 = service_.Handle(who, RequestInfo{});
                if (r1.result_int() == 200 && r2.result_int() == (t % 2 == 0 ? 200u : 401u)) ++ok;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(ok.load(), 4 * 50);
    app_.db = nullptr;
}

TEST(ReadinessTest, TracksFlagsSorted) {
    Readiness readiness;
    EXPECT_TRUE(readiness.NotReady().empty());
    readiness.Require("b");
    readiness.Require("a");
    EXPECT_EQ(readiness.NotReady(), (std::vector<std::string>{"a", "b"}));
    readiness.Set("a", true);
    EXPECT_EQ(readiness.NotReady(), (std::vector<std::string>{"b"}));
    readiness.Set("c", false);
    EXPECT_EQ(readiness.Snapshot().size(), 3u);
}

TEST(RoleTest, NamesRoundTrip) {
    for (Role role : {Role::kAdmin, Role::kBuyer, Role::kSupplier, Role::kJob}) {
        EXPECT_EQ(ParseRole(RoleName(role)), role);
    }
    EXPECT_EQ(ParseRole("Admin"), std::nullopt);
    EXPECT_EQ(ParseRole(""), std::nullopt);
}

}  // namespace
}  // namespace renewmatch::api
