#include "server/app.hpp"

#include "api/answer_cache.hpp"
#include "api/match.hpp"
#include "api/match_index.hpp"
#include "api/response.hpp"
#include "schema/database.hpp"
#include "server/log.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <thread>
#include <vector>

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

RouteTraits ServiceHandler::TraitsFor(api::http::verb method, std::string_view target) const {
    const auto [path, query] = api::SplitTarget(target);
    const api::Router::MatchResult match = service_.router().Match(method, path);
    if (match.kind != api::Router::MatchKind::kFound) {
        return RouteTraits{api::kDefaultBodyLimit, false};
    }
    return RouteTraits{match.route->options.body_limit, match.route->options.run_inline};
}

api::HttpResponse ServiceHandler::ErrorResponse(const api::ApiError& error,
                                                const std::string& request_id) const {
    return api::ErrorResponse(error, request_id);
}

std::string RenderAnswerCacheMetrics(const api::AnswerCache& cache) {
    const api::AnswerCacheStats s = cache.stats();
    std::string out;
    auto metric = [&out](const char* name, const char* type, const char* help, auto value) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
        out += std::string(name) + " " + std::to_string(value) + "\n";
    };
    metric("renewmatch_answer_cache_hits_total", "counter", "Match answers served from the cache.",
           s.hits);
    metric("renewmatch_answer_cache_waits_total", "counter",
           "Match answers that waited for a concurrent computation of the same key.", s.waits);
    metric("renewmatch_answer_cache_misses_total", "counter",
           "Match answers computed for the newest index generation.", s.misses);
    metric("renewmatch_answer_cache_stale_total", "counter",
           "Match answers computed on an older index view (neither looked up nor stored).",
           s.stale);
    metric("renewmatch_answer_cache_evictions_total", "counter",
           "Cached answers evicted to stay within the byte budget.", s.evictions);
    metric("renewmatch_answer_cache_dropped_total", "counter",
           "Cached answers dropped because the index changed or the day turned.", s.dropped);
    metric("renewmatch_answer_cache_too_large_total", "counter",
           "Answers larger than a shard's share of the budget (not stored).", s.too_large);
    metric("renewmatch_answer_cache_bytes", "gauge", "Approximate size of the cached answers.",
           s.bytes);
    metric("renewmatch_answer_cache_entries", "gauge", "Cached answers.", s.entries);
    metric("renewmatch_answer_cache_max_bytes", "gauge", "The cache's byte budget.", s.max_bytes);
    metric("renewmatch_answer_cache_change_seq", "gauge",
           "The index change_seq the cached answers belong to.", s.change_seq);
    return out;
}

void RegisterMetricsRoute(api::Router& router, Metrics& metrics) {
    api::RouteOptions options;
    options.public_route = true;
    options.name = "metrics";
    router.Add(
        api::http::verb::get, "/metrics",
        [&metrics](api::RequestContext& ctx) -> api::Reply {
            std::string text = metrics.RenderPrometheus();
            if (ctx.app.answer_cache != nullptr)
                text += RenderAnswerCacheMetrics(*ctx.app.answer_cache);
            return api::TextResponse(api::http::status::ok, std::move(text),
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

AnswerCacheWarmer::AnswerCacheWarmer(const api::AppContext& app,
                                     const api::MatchIndex& index,
                                     api::AnswerCache& cache,
                                     unsigned threads)
    : app_(app),
      index_(index),
      cache_(cache),
      threads_(threads == 0 ? 1 : threads),
      thread_([this] { Run(); }) {}

AnswerCacheWarmer::~AnswerCacheWarmer() {
    Stop();
}

void AnswerCacheWarmer::Poke() {
    {
        std::lock_guard lock(mutex_);
        poked_ = true;
    }
    wake_.notify_one();
}

void AnswerCacheWarmer::Stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

namespace {

// The lowest priority for the calling thread only (Linux: nice applies per thread): request
// handlers always come first. False when refused.
bool LowestPriorityForThisThread() {
    const auto tid = static_cast<id_t>(syscall(SYS_gettid));
    return setpriority(PRIO_PROCESS, tid, 19) == 0;
}

}  // namespace

void AnswerCacheWarmer::Run() {
    if (!LowestPriorityForThisThread()) {
        LogEvent("warn", "match answer cache warm-up runs at normal priority (setpriority failed)");
    }
    constexpr std::int64_t kMsPerDay = 86'400'000;
    while (true) {
        {
            std::unique_lock lock(mutex_);
            // Wait for a poke once the index is ready (polled while it loads).
            while (!stopping_ && !(poked_ && index_.ready())) {
                wake_.wait_for(lock, std::chrono::milliseconds(200));
            }
            if (stopping_) return;
            poked_ = false;
        }
        const auto start = std::chrono::steady_clock::now();
        const std::int64_t now = app_.NowMs();
        const auto today = static_cast<matcher::Day>(
            now >= 0 ? now / kMsPerDay : -((-now + kMsPerDay - 1) / kMsPerDay));
        auto stop = [this] {
            std::lock_guard lock(mutex_);
            return stopping_ || poked_;
        };
        // Parts 1.. on threads of their own for this pass, part 0 on this thread. If the index
        // moves on between their starts, the stale parts stop (and so does every part once the
        // catch-up pokes): the pass is then reported cancelled and the next one starts.
        std::vector<api::WarmUpResult> parts(threads_);
        std::vector<std::thread> helpers;
        helpers.reserve(threads_ - 1);
        for (unsigned p = 1; p < threads_; ++p) {
            helpers.emplace_back([this, p, today, &stop, &parts] {
                (void)LowestPriorityForThisThread();  // the first thread's warning says enough
                parts[p] = api::WarmDemandCandidates(index_, cache_, today, stop, p, threads_);
            });
        }
        parts[0] = api::WarmDemandCandidates(index_, cache_, today, stop, 0, threads_);
        for (std::thread& t : helpers) t.join();
        api::WarmUpResult r = parts[0];
        for (unsigned p = 1; p < threads_; ++p) {
            r.computed += parts[p].computed;
            r.present += parts[p].present;
            r.cancelled =
                r.cancelled || parts[p].cancelled || parts[p].change_seq != parts[0].change_seq;
        }
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
        LogEvent("info", "match answer cache warm-up",
                 {{"changeSeq", std::to_string(r.change_seq)},
                  {"demands", std::to_string(r.demands)},
                  {"computed", std::to_string(r.computed)},
                  {"present", std::to_string(r.present)},
                  {"cancelled", r.cancelled ? "true" : "false"},
                  {"threads", std::to_string(threads_)},
                  {"ms", std::to_string(ms)}});
    }
}

}  // namespace renewmatch::server
