#include "server/app.hpp"

#include "api/match_index.hpp"
#include "api/response.hpp"
#include "schema/database.hpp"
#include "server/log.hpp"

#include <charconv>
#include <chrono>
#include <thread>

namespace renewmatch::server {

api::HttpResponse ServiceHandler::Handle(const api::HttpRequest& request,
                                         const RequestMeta& meta,
                                         std::string* route_label) {
    api::HandleOutcome outcome;
    api::HttpResponse response =
        service_.Handle(request, api::RequestInfo{meta.request_id, meta.remote}, &outcome);
    if (route_label != nullptr) {
        *route_label = outcome.route_name.empty() ? "unmatched" : outcome.route_name;
    }
    if (!outcome.internal_error.empty()) {
        // The client got a bare 500; the operator gets the reason.
        LogEvent("error", "handler failed",
                 {{"requestId", meta.request_id}, {"error", outcome.internal_error}});
    }
    return response;
}

std::uint64_t ServiceHandler::BodyLimitFor(api::http::verb method, std::string_view target) const {
    return service_.BodyLimitFor(method, target);
}

api::HttpResponse ServiceHandler::ErrorResponse(const api::ApiError& error,
                                                const std::string& request_id) const {
    return api::ErrorResponse(error, request_id);
}

void RegisterMetricsRoute(api::Router& router, Metrics& metrics) {
    api::RouteOptions options;
    options.public_route = true;
    options.name = "metrics";
    router.Add(
        api::http::verb::get, "/metrics",
        [&metrics](api::RequestContext&) -> api::Reply {
            return api::TextResponse(api::http::status::ok, metrics.RenderPrometheus(),
                                     "text/plain; version=0.0.4; charset=utf-8");
        },
        options);
}

void RegisterTestRoutes(api::Router& router) {
    api::RouteOptions slow;
    slow.public_route = true;
    slow.name = "test.slow";
    router.Add(
        api::http::verb::get, "/_test/slow",
        [](api::RequestContext& ctx) -> api::Reply {
            int ms = 0;
            const std::string_view text = ctx.query.Get("ms").value_or("");
            auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
            if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || ms < 0 ||
                ms > 10'000) {
                api::ApiError error = api::ApiError::Make(
                    Errc::kInvalidArgument, "ms must be an integer from 0 to 10000", "invalid_ms");
                error.details.push_back({std::nullopt, "ms", "range", "0..10000"});
                return error;
            }
            LogEvent("info", "test slow request started", {{"requestId", ctx.request_id}});
            std::this_thread::sleep_for(std::chrono::milliseconds(ms));
            return api::JsonResponse(api::http::status::ok,
                                     "{\"sleptMs\":" + std::to_string(ms) + "}");
        },
        slow);

    api::RouteOptions echo;
    echo.public_route = true;
    echo.name = "test.echo";
    echo.body_limit = 64 * 1024;
    router.Add(
        api::http::verb::post, "/_test/echo",
        [](api::RequestContext& ctx) -> api::Reply {
            return api::TextResponse(api::http::status::ok, ctx.request.body(),
                                     "application/octet-stream");
        },
        echo);
}

void WireMatchIndex(api::AppContext& app, api::MatchIndex& index, schema::Database& db) {
    app.readiness.Require("match_index");
    app.match_index = &index;
    app.units = &index.unit_checker();
    app.on_lines_changed = [&index, &db] {
        auto caught_up = index.CatchUp(db);
        if (!caught_up) {
            LogEvent("error", "match index catch-up failed",
                     {{"error", caught_up.error().message()},
                      {"changeSeq", std::to_string(index.Current().change_seq)}});
        }
    };
}

std::thread StartMatchIndexLoad(api::AppContext& app,
                                api::MatchIndex& index,
                                schema::Database& db) {
    return std::thread([&app, &index, &db] {
        LogEvent("info", "match index loading");
        auto loaded = index.Load(db);
        if (!loaded) {
            LogEvent("error", "match index load failed; /readyz stays 503",
                     {{"error", loaded.error().message()}});
            return;
        }
        app.readiness.Set("match_index", true);
        const auto stats = index.last_load();
        const auto ms = [](double v) { return std::to_string(static_cast<long long>(v + 0.5)); };
        LogEvent("info", "match index ready",
                 {{"supplyLines", std::to_string(stats.supply_lines)},
                  {"demandLines", std::to_string(stats.demand_lines)},
                  {"skippedLines", std::to_string(stats.skipped)},
                  {"changeSeq", std::to_string(stats.change_seq)},
                  {"readMs", ms(stats.read_ms)},
                  {"buildMs", ms(stats.build_ms)},
                  {"totalMs", ms(stats.total_ms)}});
        if (stats.skipped > 0) {
            LogEvent("warn", "stored lines left out of the match index",
                     {{"count", std::to_string(stats.skipped)}, {"first", index.last_problem()}});
        }
    });
}

}  // namespace renewmatch::server
