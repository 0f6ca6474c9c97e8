// Structured logging: one JSON object per line on stdout, flushed per line so a supervisor (or a
// test harness reading the pipe) sees each line as soon as it is written.
//
// Request lines carry: time, level, msg="request", requestId, method, path, status, bytes,
// durationMs, remote. Other events carry time, level, msg and optional string fields.
//
// Thread-safety: every function may be called from any thread; lines never interleave.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace renewmatch::server {

// One finished request, as logged.
struct RequestLogEntry {
    std::string request_id;
    std::string method;
    std::string path;  // target without the query string
    unsigned status = 0;
    std::uint64_t bytes = 0;  // response body bytes
    double duration_ms = 0;
    std::string remote;  // "ip:port"
};

// Returns `s` escaped for inclusion inside a JSON string literal (no surrounding quotes).
std::string JsonEscape(std::string_view s);

// Current UTC time as RFC 3339 with milliseconds, e.g. 2026-11-27T04:30:00.123Z.
std::string NowRfc3339();

// The JSON line for a request (without the trailing newline).
std::string FormatRequestLog(const RequestLogEntry& entry);

// Writes one line (a newline is appended) to stdout and flushes.
void WriteLogLine(std::string_view line);

// Logs an event: {"time":…,"level":level,"msg":message,<fields>…}.
void LogEvent(std::string_view level,
              std::string_view message,
              std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {});

}  // namespace renewmatch::server
