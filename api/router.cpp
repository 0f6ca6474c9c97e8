#include "api/router.hpp"

#include "api/json.hpp"

#include <algorithm>
#include <stdexcept>

namespace renewmatch::api {
namespace {

// Routes have at most this many segments (Add enforces it), so a route's specificity fits in one
// 64-bit mask and a longer path matches nothing.
constexpr std::size_t kMaxSegments = 64;

// "/a/b" -> {"a", "b"}; "/" -> {""}; "/a/" -> {"a", ""}. `path` starts with '/'.
std::vector<std::string_view> SplitPath(std::string_view path) {
    std::vector<std::string_view> segments;
    segments.reserve(8);
    std::string_view rest = path.substr(1);
    while (true) {
        const std::size_t slash = rest.find('/');
        segments.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    return segments;
}

bool IsParam(std::string_view segment) {
    return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;  // truncated escape
            const int hi = HexValue(text[i + 1]);
            const int lo = HexValue(text[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::optional<std::string_view> QueryParams::Get(std::string_view name) const {
    for (const auto& [key, value] : items_) {
        if (key == name) return std::string_view(value);
    }
    return std::nullopt;
}

std::vector<std::string_view> QueryParams::GetAll(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const auto& [key, value] : items_) {
        if (key == name) values.emplace_back(value);
    }
    return values;
}

ApiResult<QueryParams> ParseQuery(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> items;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;  // "a=1&&b=2"
        const std::size_t eq = pair.find('=');
        const std::string_view raw_name = pair.substr(0, eq);
        const std::string_view raw_value =
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        auto name = PercentDecode(raw_name, true);
        auto value = PercentDecode(raw_value, true);
        if (!name || !value || !IsValidUtf8(*name) || !IsValidUtf8(*value)) {
            const std::string field = name && IsValidUtf8(*name) ? *name : std::string(raw_name);
            ApiError error = ApiError::Make(
                Errc::kMalformed,
                "query parameter '" + field + "' is not valid percent-encoded UTF-8", "bad_query");
            ErrorDetail detail;
            detail.field = field;
            detail.code = "bad_encoding";
            detail.message = "invalid percent escape or UTF-8";
            error.details.push_back(std::move(detail));
            return error;
        }
        items.emplace_back(std::move(*name), std::move(*value));
    }
    return QueryParams(std::move(items));
}

std::string_view RequestContext::Param(std::string_view name) const {
    for (const auto& [key, value] : path_params) {
        if (key == name) return value;
    }
    return {};
}

std::pair<std::string_view, std::string_view> SplitTarget(std::string_view target) {
    const std::size_t hash = target.find('#');
    if (hash != std::string_view::npos) target = target.substr(0, hash);
    const std::size_t question = target.find('?');
    if (question == std::string_view::npos) return {target, {}};
    return {target.substr(0, question), target.substr(question + 1)};
}

void Router::Add(http::verb method,
                 std::string_view pattern,
                 Handler handler,
                 RouteOptions options) {
    if (pattern.empty() || pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
    }
    if (!handler) throw std::invalid_argument("route without a handler: " + std::string(pattern));
    Route route;
    route.method = method;
    route.pattern = std::string(pattern);
    for (std::string_view segment : SplitPath(pattern)) {
        const bool has_brace = segment.find_first_of("{}") != std::string_view::npos;
        if (has_brace && (!IsParam(segment) || segment.size() == 2 ||
                          segment.substr(1, segment.size() - 2).find_first_of("{}/") !=
                              std::string_view::npos)) {
            throw std::invalid_argument("bad parameter segment '" + std::string(segment) +
                                        "' in route " + std::string(pattern));
        }
        route.segments.emplace_back(segment);
    }
    if (route.segments.size() > kMaxSegments) {
        throw std::invalid_argument("route pattern has more than 64 segments: " +
                                    std::string(pattern));
    }
    for (const Route& existing : routes_) {
        if (existing.method != method || existing.segments.size() != route.segments.size()) {
            continue;
        }
        bool same_shape = true;
        for (std::size_t i = 0; i < route.segments.size() && same_shape; ++i) {
            const bool a_param = IsParam(existing.segments[i]);
            const bool b_param = IsParam(route.segments[i]);
            same_shape =
                a_param == b_param && (a_param || existing.segments[i] == route.segments[i]);
        }
        if (same_shape) {
            throw std::invalid_argument("duplicate route " + std::string(http::to_string(method)) +
                                        " " + std::string(pattern) + " (already " +
                                        existing.pattern + ")");
        }
    }
    if (options.name.empty()) options.name = route.pattern;
    route.handler = std::move(handler);
    route.options = std::move(options);
    routes_.push_back(std::move(route));
}

Router::MatchResult Router::Match(http::verb method, std::string_view path) const {
    MatchResult result;
    if (path.empty() || path.front() != '/') return result;  // kNotFound
    const std::vector<std::string_view> segments = SplitPath(path);
    if (segments.size() > kMaxSegments) return result;  // longer than any route: kNotFound

    // Specificity of a match: one bit per segment, set for a literal, the first segment in the
    // highest bit. Larger wins, so the earliest literal decides ("/v1/lists/feed" beats
    // "/v1/lists/{id}").
    std::uint64_t best_specificity = 0;
    for (const Route& route : routes_) {
        if (route.segments.size() != segments.size()) continue;
        std::uint64_t specificity = 0;
        bool matched = true;
        for (std::size_t i = 0; i < segments.size() && matched; ++i) {
            if (IsParam(route.segments[i])) {
                matched = !segments[i].empty();
            } else {
                matched = route.segments[i] == segments[i];
                specificity |= std::uint64_t{1} << (kMaxSegments - 1 - i);
            }
        }
        if (!matched) continue;
        if (route.method != method) {
            result.allowed.push_back(route.method);
            continue;
        }
        if (result.route == nullptr || specificity > best_specificity) {
            result.route = &route;
            best_specificity = specificity;
        }
    }
    if (result.route != nullptr) {
        result.allowed.clear();
        for (std::size_t i = 0; i < segments.size(); ++i) {
            const std::string& segment = result.route->segments[i];
            if (!IsParam(segment)) continue;
            auto value = PercentDecode(segments[i], false);
            if (!value || !IsValidUtf8(*value)) {
                result.kind = MatchKind::kBadPath;
                result.route = nullptr;
                result.params.clear();
                return result;
            }
            result.params.emplace_back(segment.substr(1, segment.size() - 2), std::move(*value));
        }
        result.kind = MatchKind::kFound;
        return result;
    }
    if (!result.allowed.empty()) {
        std::sort(result.allowed.begin(), result.allowed.end());
        result.allowed.erase(std::unique(result.allowed.begin(), result.allowed.end()),
                             result.allowed.end());
        result.kind = MatchKind::kMethodNotAllowed;
    }
    return result;
}

std::string Router::AllowHeader(const std::vector<http::verb>& verbs) {
    std::string header;
    for (http::verb verb : verbs) {
        if (!header.empty()) header += ", ";
        header += http::to_string(verb);
    }
    return header;
}

}  // namespace renewmatch::api
