#include "api/health.hpp"

#include "api/json.hpp"
#include "api/response.hpp"
#include "schema/database.hpp"

#include <utility>

namespace renewmatch::api {
namespace {

Reply Healthz(RequestContext&) {
    return JsonResponse(http::status::ok, R"({"status":"ok"})");
}

Reply Readyz(RequestContext& context) {
    std::vector<ErrorDetail> not_ready;
    if (context.app.db == nullptr) {
        not_ready.push_back({std::nullopt, "database", "not_ready", "no database is configured"});
    } else if (auto ping = context.app.db->Ping(); !ping) {
        not_ready.push_back(
            {std::nullopt, "database", "not_ready", "the database does not answer SELECT 1"});
    }
    for (const std::string& name : context.app.readiness.NotReady()) {
        not_ready.push_back({std::nullopt, name, "not_ready", name + " is not ready yet"});
    }
    if (not_ready.empty()) {
        JsonWriter w;
        w.StartObject().Field("status", "ready").Key("checks").StartObject();
        w.Field("database", "ok");
        for (const auto& [name, ready] : context.app.readiness.Snapshot()) {
            w.Field(name, ready ? "ok" : "not_ready");
        }
        w.EndObject().EndObject();
        return JsonResponse(http::status::ok, w.Take());
    }
    std::string message = "not ready:";
    for (const ErrorDetail& detail : not_ready) message += " " + detail.field;
    ApiError error = ApiError::Make(Errc::kUnavailable, std::move(message), "not_ready");
    error.details = std::move(not_ready);
    error.headers.emplace_back("Retry-After", "1");
    return error;
}

Reply OpenApi(RequestContext&) {
    return TextResponse(http::status::ok, std::string(OpenApiDocument()), "application/yaml");
}

}  // namespace

void RegisterHealthRoutes(Router& router) {
    // Liveness is a constant answer: it runs on the I/O thread (RouteOptions::run_inline), so it
    // says "alive" even while every work thread is busy with matches or imports.
    RouteOptions healthz = RouteOptions::Public("healthz");
    healthz.run_inline = true;
    router.Add(http::verb::get, "/healthz", Healthz, std::move(healthz));
    router.Add(http::verb::get, "/readyz", Readyz, RouteOptions::Public("readyz"));
    router.Add(http::verb::get, "/v1/openapi.yaml", OpenApi, RouteOptions::Public("openapi"));
}

}  // namespace renewmatch::api
