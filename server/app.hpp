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

#include <string>
#include <thread>

namespace renewmatch::api {
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
    api::HttpResponse ErrorResponse(const api::ApiError& error,
                                    const std::string& request_id) const override;

  private:
    api::Service& service_;
};

// GET /metrics (public): the Prometheus text exposition of `metrics`.
void RegisterMetricsRoute(api::Router& router, Metrics& metrics);

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

}  // namespace renewmatch::server
