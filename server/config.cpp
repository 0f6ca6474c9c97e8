#include "server/config.hpp"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

extern char** environ;  // POSIX: the process environment

namespace renewmatch::server {
namespace {

// Applies one textual value to a Config; returns an error text (without the setting name) or "".
using Apply = std::string (*)(Config&, std::string_view);

struct Setting {
    const char* key;           // canonical: file key; env = RENEWMATCH_ + upper; flag = --dashed
    const char* value_hint;    // for the usage text
    const char* default_text;  // for the usage text
    const char* help;
    Apply apply;
};

template <class Int>
std::string ParseIntInto(std::string_view text, Int min, Int max, Int& out) {
    Int value{};
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty()) {
        return "expected an integer, got '" + std::string(text) + "'";
    }
    if (value < min || value > max) {
        return "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
               std::string(text);
    }
    out = value;
    return {};
}

std::string ParseBoolInto(std::string_view text, bool& out) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") {
        out = true;
        return {};
    }
    if (text == "false" || text == "0" || text == "no" || text == "off") {
        out = false;
        return {};
    }
    return "expected true or false, got '" + std::string(text) + "'";
}

std::string ParseDurationInto(std::string_view text, std::chrono::milliseconds& out) {
    auto r = ParseDuration(text);
    if (!r) return r.error().message;
    out = *r;
    return {};
}

std::string ParseRateInto(std::string_view text, double min, double max, double& out) {
    const std::string s(text);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !(v >= min && v <= max)) {
        return "expected a number from " + std::to_string(static_cast<long long>(min)) + " to " +
               std::to_string(static_cast<long long>(max)) + ", got '" + s + "'";
    }
    out = v;
    return {};
}

std::string ParseNonEmpty(std::string_view text, std::string& out) {
    if (text.empty()) return "must not be empty";
    out = std::string(text);
    return {};
}

const Setting kSettings[] = {
    {"listen", "HOST:PORT", "localhost:8443",
     "address to listen on; port 0 picks a free port (logged as 'listening on https://HOST:PORT')",
     [](Config& c, std::string_view v) -> std::string {
         auto r = ParseListen(v);
         if (!r) return r.error().message;
         c.listen_host = r->first;
         c.listen_port = r->second;
         return {};
     }},
    {"tls_cert", "PATH", "(required)", "PEM certificate chain served to clients",
     [](Config& c, std::string_view v) { return ParseNonEmpty(v, c.tls_cert); }},
    {"tls_key", "PATH", "(required)", "PEM private key for tls_cert",
     [](Config& c, std::string_view v) { return ParseNonEmpty(v, c.tls_key); }},
    {"db", "PATH", "var/renewmatch.db", "SQLite database file (created and migrated on start)",
     [](Config& c, std::string_view v) { return ParseNonEmpty(v, c.db_path); }},
    {"data_dir", "PATH", "data", "directory of shipped reference data",
     [](Config& c, std::string_view v) { return ParseNonEmpty(v, c.data_dir); }},
    {"db_readers", "N", "4", "SQLite reader connections (1-64)",
     [](Config& c, std::string_view v) { return ParseIntInto(v, 1, 64, c.db_readers); }},
    {"io_threads", "N", "2", "threads running the network event loop (1-64)",
     [](Config& c, std::string_view v) { return ParseIntInto(v, 1, 64, c.io_threads); }},
    {"work_threads", "N", "4", "threads running request handlers (1-256)",
     [](Config& c, std::string_view v) { return ParseIntInto(v, 1, 256, c.work_threads); }},
    {"max_connections", "N", "1024",
     "open connections above which new ones are closed at once (1-1000000)",
     [](Config& c, std::string_view v) {
         return ParseIntInto<std::size_t>(v, 1, 1'000'000, c.max_connections);
     }},
    {"header_limit", "SIZE", "16KiB", "largest request line + header fields; larger -> 431",
     [](Config& c, std::string_view v) -> std::string {
         auto r = ParseSize(v);
         if (!r) return r.error().message;
         if (*r < 1024 || *r > 1024 * 1024) {
             return "must be between 1KiB and 1MiB, got " + std::string(v);
         }
         c.header_limit = static_cast<std::uint32_t>(*r);
         return {};
     }},
    {"rate_limit_per_second", "RATE", "20",
     "requests per second each API key may sustain; 0 disables rate limiting (-> 429)",
     [](Config& c, std::string_view v) {
         return ParseRateInto(v, 0, 100000, c.rate_limit_per_second);
     }},
    {"rate_limit_burst", "N", "40", "requests an API key may send back to back (1-100000)",
     [](Config& c, std::string_view v) { return ParseRateInto(v, 1, 100000, c.rate_limit_burst); }},
    {"handshake_timeout", "DURATION", "10s", "TLS handshake (and TLS close) deadline",
     [](Config& c, std::string_view v) { return ParseDurationInto(v, c.handshake_timeout); }},
    {"read_timeout", "DURATION", "30s", "deadline to receive a whole request once it has begun",
     [](Config& c, std::string_view v) { return ParseDurationInto(v, c.read_timeout); }},
    {"write_timeout", "DURATION", "30s", "deadline to send a whole response",
     [](Config& c, std::string_view v) { return ParseDurationInto(v, c.write_timeout); }},
    {"idle_timeout", "DURATION", "60s", "how long a keep-alive connection may wait for a request",
     [](Config& c, std::string_view v) { return ParseDurationInto(v, c.idle_timeout); }},
    {"shutdown_timeout", "DURATION", "20s",
     "after SIGINT/SIGTERM, how long in-flight requests may take before the process exits",
     [](Config& c, std::string_view v) { return ParseDurationInto(v, c.shutdown_timeout); }},
    {"match_cache_size", "SIZE", "256MiB",
     "memory budget of the cache of match answers (/candidates, /opportunities); 0 disables it",
     [](Config& c, std::string_view v) -> std::string {
         auto r = ParseSize(v);
         if (!r) return r.error().message;
         if (*r > (std::uint64_t{1} << 40)) return "must be at most 1TiB, got " + std::string(v);
         c.match_cache_size = *r;
         return {};
     }},
    {"match_cache_warmup", "BOOL", "false",
     "after the index loads and after every change, compute the default /candidates answer of "
     "every open demand in the background (lowest priority; needs match_cache_size > 0)",
     [](Config& c, std::string_view v) { return ParseBoolInto(v, c.match_cache_warmup); }},
    {"match_cache_warmup_threads", "N", "2",
     "threads sharing each warm-up pass, all at the lowest priority (1-64)",
     [](Config& c, std::string_view v) {
         return ParseIntInto(v, 1, 64, c.match_cache_warmup_threads);
     }},
    {"enable_test_routes", "BOOL", "false",
     "serve the test-only /_test/slow and /_test/echo routes (integration tests only)",
     [](Config& c, std::string_view v) { return ParseBoolInto(v, c.enable_test_routes); }},
};

const Setting* FindSetting(std::string_view key) {
    for (const auto& s : kSettings) {
        if (key == s.key) return &s;
    }
    return nullptr;
}

std::string EnvName(std::string_view key) {
    std::string out = "RENEWMATCH_";
    for (char ch : key) out += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return out;
}

std::string FlagName(std::string_view key) {
    std::string out = "--";
    for (char ch : key) out += ch == '_' ? '-' : ch;
    return out;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

ConfigError Error(std::string message) {
    return ConfigError{std::move(message)};
}

// Applies `value` for `key`; `source` says where it came from, for the error message.
ConfigResult<void> ApplySetting(Config& config,
                                std::string_view key,
                                std::string_view value,
                                const std::string& source) {
    const Setting* s = FindSetting(key);
    if (s == nullptr) return Error("unknown setting '" + std::string(key) + "' in " + source);
    std::string problem = s->apply(config, value);
    if (!problem.empty()) {
        return Error("invalid " + std::string(key) + " (from " + source + "): " + problem);
    }
    return {};
}

}  // namespace

void throw_exception_from_error(const ConfigError& e, const boost::source_location&) {
    throw std::invalid_argument(e.message);
}

ConfigResult<std::chrono::milliseconds> ParseDuration(std::string_view text) {
    text = Trim(text);
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
        ++digits;
    }
    const std::string bad =
        "expected a duration like 250ms, 30s, 2m or 1h, got '" + std::string(text) + "'";
    if (digits == 0 || digits > 12) return Error(bad);
    std::int64_t n = 0;
    std::from_chars(text.data(), text.data() + digits, n);
    std::string_view unit = text.substr(digits);
    std::int64_t ms = 0;
    if (unit.empty() || unit == "ms") {
        ms = n;
    } else if (unit == "s") {
        ms = n * 1000;
    } else if (unit == "m") {
        ms = n * 60'000;
    } else if (unit == "h") {
        ms = n * 3'600'000;
    } else {
        return Error(bad);
    }
    if (ms <= 0) return Error("must be positive, got '" + std::string(text) + "'");
    if (ms > 24LL * 3'600'000) return Error("must be at most 24h, got '" + std::string(text) + "'");
    return std::chrono::milliseconds(ms);
}

ConfigResult<std::uint64_t> ParseSize(std::string_view text) {
    text = Trim(text);
    std::size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
        ++digits;
    }
    const std::string bad =
        "expected a size like 4096, 16KiB or 8MiB, got '" + std::string(text) + "'";
    if (digits == 0 || digits > 12) return Error(bad);
    std::uint64_t n = 0;
    std::from_chars(text.data(), text.data() + digits, n);
    std::string_view unit = text.substr(digits);
    std::uint64_t mult = 1;
    if (unit.empty() || unit == "B") {
        mult = 1;
    } else if (unit == "KiB") {
        mult = 1024;
    } else if (unit == "MiB") {
        mult = 1024 * 1024;
    } else if (unit == "GiB") {
        mult = 1024ULL * 1024 * 1024;
    } else if (unit == "KB" || unit == "kB") {
        mult = 1000;
    } else if (unit == "MB") {
        mult = 1000 * 1000;
    } else {
        return Error(bad);
    }
    return n * mult;
}

ConfigResult<std::pair<std::string, std::uint16_t>> ParseListen(std::string_view text) {
    const std::string bad =
        "expected HOST:PORT (e.g. localhost:8443, 0.0.0.0:0 or [::1]:8443), got '" +
        std::string(text) + "'";
    std::string host;
    std::string_view port_text;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
            return Error(bad);
        }
        host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos) return Error(bad);
        host = std::string(text.substr(0, colon));
        port_text = text.substr(colon + 1);
        if (host.find(':') != std::string::npos) return Error(bad);  // IPv6 needs brackets
    }
    if (host.empty()) return Error(bad);
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || ptr != port_text.data() + port_text.size() ||
        port > 65535) {
        return Error("port must be a number from 0 to 65535 in '" + std::string(text) + "'");
    }
    return std::pair<std::string, std::uint16_t>(host, static_cast<std::uint16_t>(port));
}

ConfigResult<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
    CommandLine out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            out.help = true;
            continue;
        }
        if (arg == "--version") {
            out.version = true;
            continue;
        }
        if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
            return Error("unexpected argument '" + arg + "' (settings are given as --name VALUE)");
        }
        std::string name = arg.substr(2);
        std::optional<std::string> value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name.resize(eq);
        }
        std::string key;
        for (char ch : name) key += ch == '-' ? '_' : ch;
        const bool is_config = key == "config";
        const Setting* s = is_config ? nullptr : FindSetting(key);
        if (!is_config && s == nullptr) {
            return Error("unknown flag '--" + name + "' (see --help)");
        }
        if (!value) {
            // A boolean flag may stand alone: --enable-test-routes means true.
            const bool is_bool = s != nullptr && std::string_view(s->value_hint) == "BOOL";
            if (is_bool && (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)) {
                value = "true";
            } else if (i + 1 >= args.size()) {
                return Error("flag '--" + name + "' needs a value");
            } else {
                value = args[++i];
            }
        }
        if (is_config) {
            if (value->empty()) return Error("flag '--config' needs a file path");
            out.config_path = *value;
        } else {
            out.settings.emplace_back(key, *value);
        }
    }
    return out;
}

ConfigResult<std::vector<std::pair<std::string, std::string>>> ReadConfigFile(
    const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return Error("invalid config (from --config/RENEWMATCH_CONFIG): cannot read '" + path +
                     "'");
    std::vector<std::pair<std::string, std::string>> out;
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        const std::string where = path + ":" + std::to_string(line_no);
        std::string_view view = Trim(line);
        if (view.empty() || view.front() == '#') continue;
        auto eq = view.find('=');
        if (eq == std::string_view::npos) {
            return Error(where + ": expected 'key = value', got '" + std::string(view) + "'");
        }
        std::string key(Trim(view.substr(0, eq)));
        std::string_view rest = Trim(view.substr(eq + 1));
        std::string_view value;
        if (!rest.empty() && rest.front() == '"') {
            // A quoted value may contain '#'; after the closing quote only a comment may follow.
            auto close = rest.find('"', 1);
            if (close == std::string_view::npos) {
                return Error(where + ": unterminated quoted value for '" + key + "'");
            }
            value = rest.substr(1, close - 1);
            std::string_view after = Trim(rest.substr(close + 1));
            if (!after.empty() && after.front() != '#') {
                return Error(where + ": unexpected text after the quoted value for '" + key + "'");
            }
        } else {
            value = Trim(rest.substr(0, rest.find('#')));
        }
        if (FindSetting(key) == nullptr) {
            return Error(where + ": unknown setting '" + key + "'");
        }
        out.emplace_back(std::move(key), std::string(value));
    }
    return out;
}

std::map<std::string, std::string> EnvironmentMap() {
    std::map<std::string, std::string> out;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        if (entry.rfind("RENEWMATCH_", 0) != 0) continue;
        auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        out.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return out;
}

ConfigResult<Config> LoadConfig(const CommandLine& command_line,
                                const std::map<std::string, std::string>& env,
                                bool check_files) {
    Config config;

    // 1. File: --config wins over RENEWMATCH_CONFIG.
    std::string file = command_line.config_path;
    if (file.empty()) {
        if (auto it = env.find("RENEWMATCH_CONFIG"); it != env.end()) file = it->second;
    }
    if (!file.empty()) {
        auto entries = ReadConfigFile(file);
        if (!entries) return entries.error();
        for (const auto& [key, value] : *entries) {
            if (auto r = ApplySetting(config, key, value, file); !r) return r.error();
        }
    }

    // 2. Environment. Unknown RENEWMATCH_* names are reported: they are almost always typos.
    for (const auto& [name, value] : env) {
        if (name == "RENEWMATCH_CONFIG" || name.rfind("RENEWMATCH_", 0) != 0) continue;
        const Setting* match = nullptr;
        for (const auto& s : kSettings) {
            if (EnvName(s.key) == name) match = &s;
        }
        if (match == nullptr) {
            // Probably a typo, but scripts may export RENEWMATCH_* variables of their own: warn.
            config.warnings.push_back("ignoring unknown environment variable " + name);
            continue;
        }
        if (auto r = ApplySetting(config, match->key, value, "environment variable " + name); !r) {
            return r.error();
        }
    }

    // 3. Flags.
    for (const auto& [key, value] : command_line.settings) {
        if (auto r = ApplySetting(config, key, value, "flag " + FlagName(key)); !r) {
            return r.error();
        }
    }

    if (auto r = ValidateConfig(config, check_files); !r) return r.error();
    return config;
}

ConfigResult<void> ValidateConfig(const Config& config, bool check_files) {
    auto missing = [](const char* key) {
        return Error("missing " + std::string(key) + ": set " + FlagName(key) + " PATH, " +
                     EnvName(key) + " or '" + key + " = PATH' in the config file");
    };
    if (config.tls_cert.empty()) return missing("tls_cert");
    if (config.tls_key.empty()) return missing("tls_key");
    if (check_files) {
        for (const auto& [key, path] :
             {std::pair<const char*, const std::string&>{"tls_cert", config.tls_cert},
              {"tls_key", config.tls_key}}) {
            if (::access(path.c_str(), R_OK) != 0) {
                return Error("invalid " + std::string(key) + ": cannot read '" + path + "'");
            }
        }
    }
    if (config.read_timeout < std::chrono::milliseconds(10)) {
        return Error("invalid read_timeout: must be at least 10ms");
    }
    return {};
}

std::string DaemonUsage() {
    std::ostringstream out;
    out << "usage: renewmatchd [--config FILE] [--SETTING VALUE]...\n"
           "\n"
           "Serves the renewmatch HTTPS API. Settings come from flags, then RENEWMATCH_* "
           "environment\nvariables, then the config file (key = value lines), then defaults.\n"
           "\n"
           "  --config FILE  (RENEWMATCH_CONFIG)  read settings from FILE\n"
           "  --help         show this text\n"
           "  --version      print the version\n\n";
    for (const auto& s : kSettings) {
        out << "  " << FlagName(s.key) << ' ' << s.value_hint << "  (" << EnvName(s.key)
            << ", file key '" << s.key << "', default " << s.default_text << ")\n      " << s.help
            << '\n';
    }
    out << "\nDURATION: 250ms, 30s, 2m, 1h or plain milliseconds. SIZE: bytes, KiB, MiB.\n"
           "Exit status: 0 after a clean shutdown, 1 on a runtime failure, 2 on bad "
           "configuration.\n";
    return out.str();
}

}  // namespace renewmatch::server
