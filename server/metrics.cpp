#include "server/metrics.hpp"

#include <algorithm>
#include <cstdio>

namespace renewmatch::server {

std::string EscapeLabelValue(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char ch : value) {
        if (ch == '\\') {
            out += "\\\\";
        } else if (ch == '"') {
            out += "\\\"";
        } else if (ch == '\n') {
            out += "\\n";
        } else {
            out += ch;
        }
    }
    return out;
}

void Metrics::ObserveRequest(std::string_view route,
                             std::string_view method,
                             unsigned status,
                             double seconds) {
    std::lock_guard lock(mu_);
    auto it = routes_.find(route);
    if (it == routes_.end()) it = routes_.emplace(std::string(route), RouteSeries{}).first;
    RouteSeries& series = it->second;
    StatusCount* slot = nullptr;
    for (StatusCount& c : series.requests) {
        if (c.status == status && c.method == method) {
            slot = &c;
            break;
        }
    }
    if (slot == nullptr)
        slot = &series.requests.emplace_back(StatusCount{std::string(method), status, 0});
    ++slot->count;
    Histogram& h = series.latency;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) {
            ++h.buckets[i];
            break;
        }
    }
    ++h.count;
    h.sum += seconds;
}

namespace {
std::string FormatDouble(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}
}  // namespace

std::string Metrics::RenderPrometheus() const {
    std::string out;
    out +=
        "# HELP renewmatch_http_requests_total HTTP requests answered, by route, method and "
        "status.\n# TYPE renewmatch_http_requests_total counter\n";
    std::lock_guard lock(mu_);
    for (const auto& [route, series] : routes_) {
        // (method, status) order, as a map keyed by (route, method, status) would list them.
        std::vector<const StatusCount*> sorted;
        sorted.reserve(series.requests.size());
        for (const StatusCount& c : series.requests) sorted.push_back(&c);
        std::sort(sorted.begin(), sorted.end(), [](const StatusCount* a, const StatusCount* b) {
            return a->method != b->method ? a->method < b->method : a->status < b->status;
        });
        for (const StatusCount* c : sorted) {
            out += "renewmatch_http_requests_total{route=\"" + EscapeLabelValue(route) +
                   "\",method=\"" + EscapeLabelValue(c->method) + "\",status=\"" +
                   std::to_string(c->status) + "\"} " + std::to_string(c->count) + "\n";
        }
    }
    out +=
        "# HELP renewmatch_http_request_duration_seconds Time from a complete request to its "
        "response being ready, by route.\n"
        "# TYPE renewmatch_http_request_duration_seconds histogram\n";
    for (const auto& [route, series] : routes_) {
        const Histogram& h = series.latency;
        const std::string label = "route=\"" + EscapeLabelValue(route) + "\"";
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < kBuckets.size(); ++i) {
            cumulative += h.buckets[i];
            out += "renewmatch_http_request_duration_seconds_bucket{" + label + ",le=\"" +
                   FormatDouble(kBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
        }
        out += "renewmatch_http_request_duration_seconds_bucket{" + label + ",le=\"+Inf\"} " +
               std::to_string(h.count) + "\n";
        out += "renewmatch_http_request_duration_seconds_sum{" + label + "} " +
               FormatDouble(h.sum) + "\n";
        out += "renewmatch_http_request_duration_seconds_count{" + label + "} " +
               std::to_string(h.count) + "\n";
    }
    out +=
        "# HELP renewmatch_open_connections TLS connections currently open.\n"
        "# TYPE renewmatch_open_connections gauge\n"
        "renewmatch_open_connections " +
        std::to_string(open_connections_.load(std::memory_order_relaxed)) +
        "\n"
        "# HELP renewmatch_in_flight_requests Requests being handled right now.\n"
        "# TYPE renewmatch_in_flight_requests gauge\n"
        "renewmatch_in_flight_requests " +
        std::to_string(in_flight_.load(std::memory_order_relaxed)) +
        "\n"
        "# HELP renewmatch_connections_accepted_total Connections accepted.\n"
        "# TYPE renewmatch_connections_accepted_total counter\n"
        "renewmatch_connections_accepted_total " +
        std::to_string(accepted_.load(std::memory_order_relaxed)) +
        "\n"
        "# HELP renewmatch_connections_rejected_total Connections closed before any request.\n"
        "# TYPE renewmatch_connections_rejected_total counter\n"
        "renewmatch_connections_rejected_total{reason=\"max_connections\"} " +
        std::to_string(rejected_limit_.load(std::memory_order_relaxed)) +
        "\n"
        "renewmatch_connections_rejected_total{reason=\"tls\"} " +
        std::to_string(rejected_tls_.load(std::memory_order_relaxed)) + "\n";
    return out;
}

}  // namespace renewmatch::server
