// Wiring between the server and the api layer: the RequestHandler that adapts api::Service, and
// the routes the server itself owns (/metrics, and the test-only /_test/* routes).
//
// Ownership: ServiceHandler borrows the Service; the registered route handlers borrow Metrics.
// Both borrowed objects must outlive the Router they are registered on.
// Thread-safety: ServiceHandler is as thread-safe as api::Service (fully, after start-up);
// Register* are start-up only.
#pragma once

#include "api/router.hpp"
#include "api/service.hpp"
#include "server/metrics.hpp"
#include "server/request_handler.hpp"

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace renewmatch::api {
class AnswerCache;
class MatchIndex;
}  // namespace renewmatch::api
namespace renewmatch::schema {
class Database;
}  // namespace renewmatch::schema

namespace renewmatch::server {

class ServiceHandler final : public RequestHandler {
  public:
    explicit ServiceHandler(api::Service& service) : service_(service) {}

    api::HttpResponse Handle(const api::HttpRequest& request,
                             const RequestMeta& meta,
                             std::string* route_label) override;
    std::uint64_t BodyLimitFor(api::http::verb method, std::string_view target) const override;
    // The matched route's body limit and RouteOptions::run_inline (one route match).
    RouteTraits TraitsFor(api::http::verb method, std::string_view target) const override;
    api::HttpResponse ErrorResponse(const api::ApiError& error,
                                    const std::string& request_id) const override;

  private:
    api::Service& service_;
};

// GET /metrics (public): the Prometheus text exposition of `metrics`, plus the match answer
// cache's counters (RenderAnswerCacheMetrics) when AppContext::answer_cache is set.
void RegisterMetricsRoute(api::Router& router, Metrics& metrics);
// renewmatch_answer_cache_{hits,waits,misses,stale,evictions,dropped,too_large}_total counters
// and the _bytes, _entries, _max_bytes and _change_seq gauges of `cache`.
std::string RenderAnswerCacheMetrics(const api::AnswerCache& cache);

// Test-only routes, registered only with --enable-test-routes (public, never in production):
//   GET  /_test/slow?ms=N  logs {"msg":"test slow request started"} then waits N ms (<= 10000)
//                          on the work pool and answers 200; lets tests hold a request in flight.
//   POST /_test/echo       answers 200 with the request body; body limit 64 KiB.
void RegisterTestRoutes(api::Router& router);

// The live match index (issue 6). WireMatchIndex registers the readiness condition "match_index"
// (not ready: /readyz is 503 until the first load completes), points app.match_index at `index`,
// hands the list decoder the index's unit checker (one UDUNITS instance per process), and sets
// app.on_lines_changed to CatchUp (a failure is logged; the next change retries from the same
// feed position). StartMatchIndexLoad runs MatchIndex::Load on a thread of its own (never an I/O
// thread), then marks "match_index" ready and logs "match index ready" with the line counts and
// milliseconds, or logs the failure and leaves /readyz at 503. Join the thread before `index`,
// `db` or `app` go away.
void WireMatchIndex(api::AppContext& app, api::MatchIndex& index, schema::Database& db);
std::thread StartMatchIndexLoad(api::AppContext& app, api::MatchIndex& index, schema::Database& db);

// Optional warm-up of the match answer cache (setting match_cache_warmup): one background thread
// at the lowest CPU priority (nice 19) that, once the index is ready and again after every
// Poke() (renewmatchd pokes after each catch-up), runs api::WarmDemandCandidates over the
// current view: the default /candidates answer of every open demand line. With `threads` > 1
// (setting match_cache_warmup_threads) a pass is shared by that many threads, each at nice 19
// and each taking every threads-th open demand; they start with the pass and are joined at its
// end (at 1,000,000 supply lines a pass over 10,000 demands is ~45 s of CPU, ~30 s on 2 idle
// cores: the time after a change during which requests may still miss). A pass stops early
// when the index moves on (its answers would be stale) or at Stop(), and the next pass starts
// from the new view. It never delays /readyz or a write (Poke only signals). Each pass logs
// "match answer cache warm-up" with the change_seq, demands, computed, present, cancelled,
// threads and milliseconds. Stop() (also the destructor) joins the threads; call it before
// `index`, `cache` or `app` go away.
class AnswerCacheWarmer {
  public:
    AnswerCacheWarmer(const api::AppContext& app,
                      const api::MatchIndex& index,
                      api::AnswerCache& cache,
                      unsigned threads = 1);
    ~AnswerCacheWarmer();
    AnswerCacheWarmer(const AnswerCacheWarmer&) = delete;
    AnswerCacheWarmer& operator=(const AnswerCacheWarmer&) = delete;

    void Poke();
    void Stop();

  private:
    void Run();

    const api::AppContext& app_;
    const api::MatchIndex& index_;
    api::AnswerCache& cache_;
    unsigned threads_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool poked_ = true;      // guarded by mutex_; the first pass runs once the index is ready
    bool stopping_ = false;  // guarded by mutex_
    std::thread thread_;
};

}  // namespace renewmatch::server
