// Process metrics in Prometheus text exposition format (version 0.0.4), served at GET /metrics.
//
//   renewmatch_http_requests_total{route,method,status}     counter
//   renewmatch_http_request_duration_seconds{route}         histogram
//   renewmatch_open_connections                             gauge
//   renewmatch_in_flight_requests                           gauge
//   renewmatch_connections_accepted_total                   counter
//   renewmatch_connections_rejected_total{reason}           counter (max_connections, tls)
//
// `route` is the router's route name (a template such as "/v1/orgs/{id}"), never the raw path,
// so the label set stays bounded; unmatched requests are labelled "unmatched".
//
// Thread-safety: all members may be called concurrently. Gauges and the connection counters are
// atomics; the per-route series sit behind one mutex, held by ObserveRequest only for a lookup
// by string_view and a few increments (no allocation once a route/method/status was seen).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::server {

class Metrics {
  public:
    // Upper bounds (seconds) of the latency histogram buckets; +Inf is implied.
    static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,   0.25,   0.5,   1.0,  2.5,   10.0};

    void ObserveRequest(std::string_view route,
                        std::string_view method,
                        unsigned status,
                        double seconds);

    void ConnectionOpened() {
        open_connections_.fetch_add(1, std::memory_order_relaxed);
        accepted_.fetch_add(1, std::memory_order_relaxed);
    }
    void ConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
    void ConnectionRejectedAtLimit() { rejected_limit_.fetch_add(1, std::memory_order_relaxed); }
    void HandshakeFailed() { rejected_tls_.fetch_add(1, std::memory_order_relaxed); }
    void RequestStarted() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
    void RequestFinished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

    std::int64_t open_connections() const {
        return open_connections_.load(std::memory_order_relaxed);
    }
    std::int64_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

    // The whole exposition, ending in a newline.
    std::string RenderPrometheus() const;

  private:
    struct Histogram {
        std::array<std::uint64_t, kBuckets.size()> buckets{};  // non-cumulative counts
        std::uint64_t count = 0;
        double sum = 0;
    };

    std::atomic<std::int64_t> open_connections_{0};
    std::atomic<std::int64_t> in_flight_{0};
    std::atomic<std::uint64_t> accepted_{0};
    std::atomic<std::uint64_t> rejected_limit_{0};
    std::atomic<std::uint64_t> rejected_tls_{0};

    struct StatusCount {
        std::string method;
        unsigned status = 0;
        std::uint64_t count = 0;
    };
    struct RouteSeries {
        std::vector<StatusCount> requests;  // by (method, status), unordered; a handful each
        Histogram latency;
    };

    mutable std::mutex mu_;
    std::map<std::string, RouteSeries, std::less<>> routes_;  // GUARDED_BY(mu_)
};

// Escapes a Prometheus label value (backslash, double quote, newline).
std::string EscapeLabelValue(std::string_view value);

}  // namespace renewmatch::server
