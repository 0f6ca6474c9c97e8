// renewmatchd configuration: the settings, their defaults, and how they are read.
//
// Sources, lowest to highest precedence: built-in defaults < config file (`key = value` lines)
// < environment variables (RENEWMATCH_<KEY>) < command-line flags (--key-with-dashes VALUE or
// --key-with-dashes=VALUE). The file is named by --config or RENEWMATCH_CONFIG. Every setting has
// one canonical key (e.g. `idle_timeout`), from which the env name (RENEWMATCH_IDLE_TIMEOUT) and
// the flag (--idle-timeout) are derived; docs/configuration.md is the reference.
//
// Errors name the setting and the source it came from (file:line, env var, or flag), and the
// daemon exits with status 2 on any of them.
//
// Thread-safety: plain values; `Config` is built once at start-up and then only read.
#pragma once

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace renewmatch::server {

struct Config {
    // Network.
    std::string listen_host = "localhost";
    std::uint16_t listen_port = 8443;
    std::string tls_cert;  // PEM certificate chain; required
    std::string tls_key;   // PEM private key; required

    // Storage and reference data.
    std::string db_path = "var/renewmatch.db";
    std::string data_dir = "data";
    int db_readers = 4;

    // Threads.
    int io_threads = 2;
    int work_threads = 4;

    // Limits.
    std::size_t max_connections = 1024;
    std::uint32_t header_limit = 16 * 1024;  // bytes of request line + header fields (-> 431)
    double rate_limit_per_second = 20.0;     // per API key, sustained; 0 disables (-> 429)
    double rate_limit_burst = 40.0;          // per API key, back-to-back requests

    // Timeouts.
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds read_timeout{30'000};   // from first byte to last byte of a request
    std::chrono::milliseconds write_timeout{30'000};  // per response
    std::chrono::milliseconds idle_timeout{60'000};   // keep-alive wait for the next request
    std::chrono::milliseconds shutdown_timeout{20'000};  // drain deadline after SIGINT/SIGTERM

    // Match answer cache (api/answer_cache.hpp): byte budget; 0 turns caching off.
    std::uint64_t match_cache_size = std::uint64_t{256} << 20;
    // Background warm-up of that cache (server::AnswerCacheWarmer) after load and each change.
    bool match_cache_warmup = false;
    // Threads sharing each warm-up pass (each at nice 19).
    int match_cache_warmup_threads = 2;

    // Test-only routes under /_test/ (slow and echo handlers). Never enable in production.
    bool enable_test_routes = false;

    // Non-fatal findings while loading (e.g. an unknown RENEWMATCH_* variable), for the log.
    std::vector<std::string> warnings;
};

// A configuration error for a human: names the setting and where its value came from.
struct ConfigError {
    std::string message;
};

// Lets boost::system::result<T, ConfigError>::value() throw a readable exception.
[[noreturn]] void throw_exception_from_error(const ConfigError& e,
                                             const boost::source_location& loc);

template <class T>
using ConfigResult = boost::system::result<T, ConfigError>;

// What the command line asked for besides settings.
struct CommandLine {
    bool help = false;
    bool version = false;
    std::string config_path;                                    // --config, empty when absent
    std::vector<std::pair<std::string, std::string>> settings;  // (canonical key, value) in order
};

// Splits argv (without argv[0]) into flags. Unknown flags and missing values are errors.
ConfigResult<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// Reads a `key = value` file: '#' starts a comment, blank lines are ignored, values may be
// double-quoted. Unknown keys and malformed lines are errors naming file:line.
ConfigResult<std::vector<std::pair<std::string, std::string>>> ReadConfigFile(
    const std::string& path);

// Builds the configuration from the three sources with precedence flags > env > file > defaults,
// then validates it. `env` maps variable names to values (production passes the process
// environment via EnvironmentMap()). `check_files` also verifies that the TLS files are readable.
ConfigResult<Config> LoadConfig(const CommandLine& command_line,
                                const std::map<std::string, std::string>& env,
                                bool check_files = true);

// Checks ranges and required settings. Returns the first problem found.
ConfigResult<void> ValidateConfig(const Config& config, bool check_files);

// The RENEWMATCH_* variables of the current process environment.
std::map<std::string, std::string> EnvironmentMap();

// Parses "250ms", "30s", "2m", "1h" or a plain number of milliseconds.
ConfigResult<std::chrono::milliseconds> ParseDuration(std::string_view text);
// Parses "4096", "16KiB", "8MiB" (also KB/MB as 1000-based).
ConfigResult<std::uint64_t> ParseSize(std::string_view text);
// Parses "HOST:PORT" or "[IPv6]:PORT".
ConfigResult<std::pair<std::string, std::uint16_t>> ParseListen(std::string_view text);

// Help text for renewmatchd listing every setting, its flag, env var and default.
std::string DaemonUsage();

}  // namespace renewmatch::server
