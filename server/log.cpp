#include "server/log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace renewmatch::server {
namespace {
std::mutex& LogMutex() {
    static std::mutex m;
    return m;
}
}  // namespace

std::string JsonEscape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    for (char ch : s) {
        const auto u = static_cast<unsigned char>(ch);
        switch (ch) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (u < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", u);
                    out += buf;
                } else {
                    // Bytes >= 0x80 pass through: paths are percent-encoded on the wire, and
                    // anything else is the client's own bytes echoed back in its log line.
                    out += ch;
                }
        }
    }
    return out;
}

std::string NowRfc3339() {
    const auto now = std::chrono::system_clock::now();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms % 1000));
    return buf;
}

std::string FormatRequestLog(const RequestLogEntry& e) {
    char duration[32];
    std::snprintf(duration, sizeof duration, "%.3f", e.duration_ms);
    std::string line = "{\"time\":\"" + NowRfc3339() + "\",\"level\":\"info\",\"msg\":\"request\"";
    line += ",\"requestId\":\"" + JsonEscape(e.request_id) + "\"";
    line += ",\"method\":\"" + JsonEscape(e.method) + "\"";
    line += ",\"path\":\"" + JsonEscape(e.path) + "\"";
    line += ",\"status\":" + std::to_string(e.status);
    line += ",\"bytes\":" + std::to_string(e.bytes);
    line += ",\"durationMs\":" + std::string(duration);
    line += ",\"remote\":\"" + JsonEscape(e.remote) + "\"}";
    return line;
}

void WriteLogLine(std::string_view line) {
    std::lock_guard lock(LogMutex());
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

void LogEvent(std::string_view level,
              std::string_view message,
              std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    std::string line = "{\"time\":\"" + NowRfc3339() + "\",\"level\":\"" + JsonEscape(level) +
                       "\",\"msg\":\"" + JsonEscape(message) + "\"";
    for (const auto& [key, value] : fields) {
        line += ",\"" + JsonEscape(key) + "\":\"" + JsonEscape(value) + "\"";
    }
    line += '}';
    WriteLogLine(line);
}

}  // namespace renewmatch::server
