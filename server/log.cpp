#include "server/log.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>

namespace renewmatch::server {
namespace {

// Appends `s` JSON-escaped (no quotes) to `out`.
void AppendEscaped(std::string_view s, std::string& out) {
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
}

template <typename Int>
void AppendInt(Int value, std::string& out) {
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, end);
}

// Appends the current UTC time as RFC 3339 with milliseconds. The calendar part is computed
// once per second per thread.
void AppendNow(std::string& out) {
    thread_local std::int64_t cached_second = -1;
    thread_local char cached[64];  // "YYYY-MM-DDTHH:MM:SS"
    thread_local std::size_t cached_size = 0;
    const auto now = std::chrono::system_clock::now();
    const std::int64_t ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    const std::int64_t second = ms / 1000;
    if (second != cached_second) {
        const std::time_t secs = static_cast<std::time_t>(second);
        std::tm tm{};
        gmtime_r(&secs, &tm);
        const int n =
            std::snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                          tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_size = n > 0 ? static_cast<std::size_t>(n) : 0;
        cached_second = second;
    }
    out.append(cached, cached_size);
    const auto millis = static_cast<int>(ms % 1000);
    const char frac[6] = {'.',
                          static_cast<char>('0' + millis / 100),
                          static_cast<char>('0' + millis / 10 % 10),
                          static_cast<char>('0' + millis % 10),
                          'Z',
                          '\0'};
    out.append(frac, 5);
}

// Writes all of `data` to stdout's file descriptor (retrying short writes and EINTR). Errors
// (a closed pipe) drop the data: logging must never stop the server.
void WriteAll(std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

// The process-wide sink. Leaked on purpose (never destroyed), so that a line logged from a static
// destructor still has somewhere to go; the atexit hook flushes it and stops its flusher.
class Sink {
  public:
    static Sink& Instance() {
        static Sink* sink = new Sink;
        return *sink;
    }

    // Adds to the buffer whatever `append` appends (whole lines with their newlines).
    template <typename Append>
    void Add(Append&& append) {
        bool wake = false;
        bool write_through = false;
        {
            std::lock_guard lock(buffer_mu_);
            append(pending_);
            if (stopped_) {
                write_through = true;  // exit has begun: no flusher any more
            } else {
                Start();
                wake = pending_.size() >= kLogBufferFlushBytes;
            }
        }
        if (write_through) {
            Flush(nullptr);
        } else if (wake) {
            cv_.notify_one();
        }
    }

    // Writes the buffered lines, then `*line` plus a newline (when given), in one write.
    void Flush(const std::string_view* line) {
        std::lock_guard write_lock(write_mu_);
        {
            std::lock_guard lock(buffer_mu_);
            out_.swap(pending_);
        }
        if (line != nullptr) {
            out_.append(*line);
            out_ += '\n';
        }
        if (!out_.empty()) {
            std::fflush(stdout);  // anything written through stdio before (usage text, ...)
            WriteAll(out_);
            out_.clear();
        }
    }

    // Stops and joins the flusher and writes what is left; later lines are written through.
    void Stop() {
        std::thread flusher;
        {
            std::lock_guard lock(buffer_mu_);
            stopped_ = true;
            flusher = std::move(flusher_);
        }
        cv_.notify_one();
        if (flusher.joinable()) flusher.join();
        Flush(nullptr);
    }

  private:
    Sink() = default;

    // Starts the flusher on first use. Called with buffer_mu_ held.
    void Start() {
        if (started_) return;
        started_ = true;
        flusher_ = std::thread([this] { Run(); });
        std::atexit([] { Instance().Stop(); });
    }

    void Run() {
        std::unique_lock lock(buffer_mu_);
        while (!stopped_) {
            cv_.wait_for(lock, kLogFlushInterval,
                         [this] { return stopped_ || pending_.size() >= kLogBufferFlushBytes; });
            if (pending_.empty()) continue;
            lock.unlock();
            Flush(nullptr);
            lock.lock();
        }
    }

    std::mutex write_mu_;  // held while writing: batches leave in the order they were taken
    std::string out_;      // GUARDED_BY(write_mu_)
    std::mutex buffer_mu_;
    std::condition_variable cv_;
    std::string pending_;   // GUARDED_BY(buffer_mu_)
    bool started_ = false;  // GUARDED_BY(buffer_mu_)
    bool stopped_ = false;  // GUARDED_BY(buffer_mu_)
    std::thread flusher_;   // GUARDED_BY(buffer_mu_)
};

}  // namespace

std::string JsonEscape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 8);
    AppendEscaped(s, out);
    return out;
}

std::string NowRfc3339() {
    std::string out;
    AppendNow(out);
    return out;
}

void AppendRequestLog(const RequestLogEntry& e, std::string& out) {
    out += "{\"time\":\"";
    AppendNow(out);
    out += "\",\"level\":\"info\",\"msg\":\"request\",\"requestId\":\"";
    AppendEscaped(e.request_id, out);
    out += "\",\"method\":\"";
    AppendEscaped(e.method, out);
    out += "\",\"path\":\"";
    AppendEscaped(e.path, out);
    out += "\",\"status\":";
    AppendInt(e.status, out);
    out += ",\"bytes\":";
    AppendInt(e.bytes, out);
    out += ",\"durationMs\":";
    // "%.3f" without printf: to_chars rounds the exact binary value the same way.
    char duration[64];
    const auto [end, ec] = std::to_chars(duration, duration + sizeof duration, e.duration_ms,
                                         std::chars_format::fixed, 3);
    out.append(duration, ec == std::errc() ? end : duration);
    out += ",\"remote\":\"";
    AppendEscaped(e.remote, out);
    out += "\"}\n";
}

std::string FormatRequestLog(const RequestLogEntry& e) {
    std::string line;
    AppendRequestLog(e, line);
    line.pop_back();  // the newline
    return line;
}

void WriteLogLine(std::string_view line) {
    Sink::Instance().Flush(&line);
}

void BufferLogLine(std::string_view line) {
    Sink::Instance().Add([line](std::string& out) {
        out.append(line);
        out += '\n';
    });
}

void LogRequest(const RequestLogEntry& entry) {
    Sink::Instance().Add([&entry](std::string& out) { AppendRequestLog(entry, out); });
}

void FlushLog() {
    Sink::Instance().Flush(nullptr);
}

void LogEvent(std::string_view level,
              std::string_view message,
              std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
    std::string line = "{\"time\":\"";
    AppendNow(line);
    line += "\",\"level\":\"";
    AppendEscaped(level, line);
    line += "\",\"msg\":\"";
    AppendEscaped(message, line);
    line += '"';
    for (const auto& [key, value] : fields) {
        line += ",\"";
        AppendEscaped(key, line);
        line += "\":\"";
        AppendEscaped(value, line);
        line += '"';
    }
    line += '}';
    WriteLogLine(line);
}

}  // namespace renewmatch::server
