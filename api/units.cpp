#include "api/units.hpp"

#include "api/reference.hpp"
#include "matcher/units.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

namespace renewmatch::api {
namespace {

// Units that take SI prefixes in equipment specifications.
constexpr std::array<std::string_view, 16> kPrefixable = {
    "W", "V", "A", "Pa", "Hz", "g", "m", "N", "J", "L", "Wh", "VA", "var", "Ohm", "F", "s"};
constexpr std::array<std::string_view, 7> kPrefixes = {"", "k", "M", "G", "m", "u", "c"};
// Other spellings met in Chinese equipment lists (UDUNITS names/symbols or matcher aliases).
constexpr std::array<std::string_view, 57> kOthers = {
    "rpm",   "r/min", "t",    "t/h",   "kg/h",  "m3",     "m3/h",   "m3/min", "m2",   "mm2",
    "L/min", "L/h",   "h",    "min",   "d",     "degC",   "K",      "bar",    "psi",  "hp",
    "kW.h",  "kV.A",  "N.m",  "kN.m",  "m/s",   "m/min",  "mm/s",   "km/h",   "%",    "1",
    "lm",    "lx",    "cd",   "mol",   "rad",   "deg",    "kg/m3",  "g/cm3",  "W/m2", "Pa.s",
    "inch",  "ft",    "ton",  "tonne", "day",   "hour",   "second", "minute", "year", "micron",
    "吨",    "千瓦",  "兆帕", "毫米",  "转/分", "立方米", "千伏安"};

// Spelled-out names with SI prefixes ("kilowatt", "megapascal").
constexpr std::array<std::string_view, 12> kNamedBases = {"watt",   "volt",  "ampere", "pascal",
                                                          "hertz",  "gram",  "meter",  "metre",
                                                          "newton", "joule", "liter",  "litre"};
constexpr std::array<std::string_view, 7> kNamedPrefixes = {"",      "kilo",  "mega", "giga",
                                                            "milli", "micro", "centi"};

// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions, so "rmp" is one
// edit from "rpm"), ASCII case-insensitive.
std::size_t SpellingDistance(std::string_view a, std::string_view b) {
    auto lower = [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    };
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    std::vector<std::size_t> d((n + 1) * (m + 1));
    auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * (m + 1) + j]; };
    for (std::size_t i = 0; i <= n; ++i) at(i, 0) = i;
    for (std::size_t j = 0; j <= m; ++j) at(0, j) = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1])) {
                at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
            }
        }
    }
    return at(n, m);
}

}  // namespace

UnitCatalog::UnitCatalog(const matcher::UnitSystem& units) : units_(units) {
    std::set<std::string> seen;
    auto add = [&](std::string candidate) {
        if (seen.insert(candidate).second && units_.Known(candidate)) {
            candidates_.push_back(std::move(candidate));
        }
    };
    for (std::string_view base : kPrefixable) {
        for (std::string_view prefix : kPrefixes) add(std::string(prefix) + std::string(base));
    }
    for (std::string_view other : kOthers) add(std::string(other));
    for (std::string_view base : kNamedBases) {
        for (std::string_view prefix : kNamedPrefixes) add(std::string(prefix) + std::string(base));
    }
}

boost::system::result<std::string, UnitProblem> UnitCatalog::Validate(std::string_view unit) const {
    while (!unit.empty() && (unit.front() == ' ' || unit.front() == '\t')) unit.remove_prefix(1);
    while (!unit.empty() && (unit.back() == ' ' || unit.back() == '\t')) unit.remove_suffix(1);
    if (unit.empty()) return {boost::system::in_place_value, std::string()};
    if (units_.Known(unit)) {
        std::string canonical = units_.Canonical(unit);
        // A logarithmic unit parses but converts to nothing; the matcher could never compare it.
        if (units_.Convert(1.0, canonical, canonical).has_value())
            return {boost::system::in_place_value, std::move(canonical)};
    }
    UnitProblem problem;
    problem.suggestions = Suggest(unit);
    problem.message = "unknown unit '" + std::string(unit) + "'";
    if (!problem.suggestions.empty()) {
        problem.message += "; did you mean ";
        for (std::size_t i = 0; i < problem.suggestions.size(); ++i) {
            if (i > 0) problem.message += i + 1 == problem.suggestions.size() ? " or " : ", ";
            problem.message += "'" + problem.suggestions[i] + "'";
        }
        problem.message += "?";
    }
    return problem;
}

std::optional<double> UnitCatalog::Convert(double value,
                                           std::string_view from,
                                           std::string_view to) const {
    return units_.Convert(value, from, to);
}

std::vector<std::string> UnitCatalog::Suggest(std::string_view text, std::size_t k) const {
    struct Scored {
        std::size_t distance;
        std::size_t length_gap;
        const std::string* unit;
    };
    std::vector<Scored> scored;
    scored.reserve(candidates_.size());
    for (const auto& c : candidates_) {
        const std::size_t gap =
            c.size() > text.size() ? c.size() - text.size() : text.size() - c.size();
        scored.push_back({SpellingDistance(text, c), gap, &c});
    }
    const std::size_t n = std::min(k, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(),
                      [](const Scored& a, const Scored& b) {
                          if (a.distance != b.distance) return a.distance < b.distance;
                          if (a.length_gap != b.length_gap) return a.length_gap < b.length_gap;
                          return *a.unit < *b.unit;
                      });
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(*scored[i].unit);
    return out;
}

}  // namespace renewmatch::api
