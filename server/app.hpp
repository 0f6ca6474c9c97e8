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

}  // namespace renewmatch::server
