// Structured logging: one JSON object per line on stdout.
//
// Request lines carry: time, level, msg="request", requestId, method, path, status, bytes,
// durationMs, remote. Other events carry time, level, msg and optional string fields.
//
// Two ways a line reaches stdout, one order:
//   * WriteLogLine / LogEvent write at once and flush (events are rare and a supervisor or a
//     test harness reading the pipe must see "listening on ..." and the like immediately);
//   * BufferLogLine / LogRequest (one line per request, the hot path) append to a buffer that a
//     background flusher writes out with one write(2) per batch: at the latest kLogFlushInterval
//     after the line was added, at once when the buffer passes kLogBufferFlushBytes, before any
//     immediate line (lines keep the order in which they were added), on FlushLog(), and when
//     the process exits normally (an atexit hook flushes and stops the flusher). A line is lost
//     only if the process dies abruptly (SIGKILL, abort) within kLogFlushInterval of adding it.
//
// Thread-safety: every function may be called from any thread; lines never interleave.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace renewmatch::server {

// One finished request, as logged. Views: the strings must outlive the call they are passed to.
struct RequestLogEntry {
    std::string_view request_id;
    std::string_view method;
    std::string_view path;  // target without the query string
    unsigned status = 0;
    std::uint64_t bytes = 0;  // response body bytes
    double duration_ms = 0;
    std::string_view remote;  // "ip:port"
};

// Returns `s` escaped for inclusion inside a JSON string literal (no surrounding quotes).
std::string JsonEscape(std::string_view s);

// Current UTC time as RFC 3339 with milliseconds, e.g. 2026-11-27T04:30:00.123Z.
std::string NowRfc3339();

// The JSON line for a request (without the trailing newline).
std::string FormatRequestLog(const RequestLogEntry& entry);

// Appends the JSON line for a request (FormatRequestLog) plus a newline to `out`, without
// intermediate strings.
void AppendRequestLog(const RequestLogEntry& entry, std::string& out);

// Writes one line (a newline is appended) to stdout and flushes, after any buffered lines.
void WriteLogLine(std::string_view line);

// Buffered request logging (see the top of this file).
inline constexpr std::chrono::milliseconds kLogFlushInterval{20};
inline constexpr std::size_t kLogBufferFlushBytes = 64 * 1024;
// Adds one line (a newline is appended) to the buffer.
void BufferLogLine(std::string_view line);
// Formats `entry` straight into the buffer (the request path: no allocation once the buffer has
// grown to its working size).
void LogRequest(const RequestLogEntry& entry);
// Writes every buffered line now and flushes stdout.
void FlushLog();

// Logs an event: {"time":…,"level":level,"msg":message,<fields>…}.
void LogEvent(std::string_view level,
              std::string_view message,
              std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {});

}  // namespace renewmatch::server
