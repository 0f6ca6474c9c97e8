#include "matcher/units.hpp"

#include <udunits2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace renewmatch::matcher {
namespace {

// Spellings UDUNITS-2 does not know (Chinese units, industry shorthand) or knows only with a
// case that case folding destroys. Keys are lower-case / NFKC-folded; values are UDUNITS strings.
struct Alias {
    std::string_view alias;
    std::string_view udunits;
};
constexpr std::array kAliases = {
    // Chinese spellings.
    Alias{"匹", "hp"},  // air-conditioner and motor "horses" (1 匹 = 1 hp = 735.5-745.7 W)
    Alias{"马力", "hp"},
    Alias{"转/分", "rpm"},
    Alias{"转/分钟", "rpm"},
    Alias{"转每分", "rpm"},
    Alias{"吨", "t"},
    Alias{"公斤", "kg"},
    Alias{"千克", "kg"},
    Alias{"克", "g"},
    Alias{"千瓦", "kW"},
    Alias{"瓦", "W"},
    Alias{"兆瓦", "MW"},
    Alias{"千伏安", "kV.A"},
    Alias{"伏", "V"},
    Alias{"千伏", "kV"},
    Alias{"安", "A"},
    Alias{"赫兹", "Hz"},
    Alias{"兆帕", "MPa"},
    Alias{"千帕", "kPa"},
    Alias{"帕", "Pa"},
    Alias{"米", "m"},
    Alias{"毫米", "mm"},
    Alias{"厘米", "cm"},
    Alias{"千米", "km"},
    Alias{"公里", "km"},
    Alias{"微米", "um"},
    Alias{"升", "L"},
    Alias{"立方米", "m3"},
    Alias{"平方米", "m2"},
    Alias{"吨/小时", "t/h"},
    Alias{"吨/时", "t/h"},
    Alias{"立方米/小时", "m3/h"},
    Alias{"小时", "h"},
    Alias{"千瓦时", "kW.h"},
    Alias{"度", "kW.h"},  // electricity "degree" = 1 kWh (only after a number)
    Alias{"摄氏度", "degC"},
    Alias{"℃", "degC"},
    // Industry shorthand, lower-case (the text analyser case-folds).
    Alias{"r/min", "rpm"},
    Alias{"rpm", "rpm"},
    Alias{"hp", "hp"},
    Alias{"kw", "kW"},
    Alias{"mw", "MW"},
    Alias{"w", "W"},
    Alias{"kva", "kV.A"},
    Alias{"kv", "kV"},
    Alias{"v", "V"},
    Alias{"hz", "Hz"},
    Alias{"khz", "kHz"},
    Alias{"mhz", "MHz"},
    Alias{"ghz", "GHz"},
    Alias{"mpa", "MPa"},
    Alias{"kpa", "kPa"},
    Alias{"pa", "Pa"},
    Alias{"bar", "bar"},
    Alias{"psi", "psi"},
    Alias{"mm", "mm"},
    Alias{"cm", "cm"},
    Alias{"km", "km"},
    Alias{"m", "m"},
    Alias{"um", "um"},
    Alias{"μm", "um"},
    Alias{"kg", "kg"},
    Alias{"g", "g"},
    Alias{"t", "t"},
    Alias{"t/h", "t/h"},
    Alias{"m3/h", "m3/h"},
    Alias{"m³/h", "m3/h"},
    Alias{"l", "L"},
    Alias{"m3", "m3"},
    Alias{"m³", "m3"},
    Alias{"m2", "m2"},
    Alias{"m²", "m2"},
    Alias{"kwh", "kW.h"},
    Alias{"mah", "mA.h"},
    Alias{"ah", "A.h"},
    Alias{"a", "A"},
    Alias{"ma", "mA"},
    Alias{"nm", "N.m"},  // torque in equipment sheets; nanometre is rare in equipment text
    Alias{"kn", "kN"},
    Alias{"n", "N"},
    Alias{"°c", "degC"},
    Alias{"°", "arc_degree"},
    Alias{"%", "%"},
    Alias{"gb", "GB"},
    Alias{"tb", "TB"},
    Alias{"mb", "MB"},
    Alias{"inch", "in"},
    Alias{"in", "in"},
    Alias{"\"", "in"},
    Alias{"ft", "ft"},
    Alias{"lb", "lb"},
    Alias{"lbs", "lb"},
    Alias{"oz", "oz"},
    Alias{"s", "s"},
    Alias{"ms", "ms"},
    Alias{"min", "min"},
    Alias{"h", "h"},
};

std::string AsciiLower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

const Alias* FindAlias(std::string_view spelling) {
    for (const Alias& alias : kAliases) {
        if (alias.alias == spelling) return &alias;
    }
    return nullptr;
}

bool IsDigit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace

std::unique_ptr<UnitSystem> UnitSystem::Load(std::string* error) {
    // UDUNITS prints parse errors to stderr by default; we report failures as values instead.
    ut_set_error_message_handler(ut_ignore);
    ut_system* system = ut_read_xml(nullptr);
    if (system == nullptr) {
        if (error != nullptr) {
            *error = "cannot read the UDUNITS-2 database (ut_read_xml status " +
                     std::to_string(static_cast<int>(ut_get_status())) + ")";
        }
        return nullptr;
    }
    return std::unique_ptr<UnitSystem>(new UnitSystem(system));
}

UnitSystem::UnitSystem(ut_system* system) : system_(system) {}

UnitSystem::~UnitSystem() {
    ut_free_system(system_);
}

std::string UnitSystem::Canonical(std::string_view unit) const {
    if (const Alias* alias = FindAlias(unit)) return std::string(alias->udunits);
    std::string spelled(unit);
    {
        // Fast path: spellings seen before are answered under a shared lock.
        std::shared_lock lock(mutex_);
        auto it = known_.find(spelled);
        if (it != known_.end()) {
            if (it->second) return spelled;
            lock.unlock();
            if (const Alias* alias = FindAlias(AsciiLower(unit)))
                return std::string(alias->udunits);
            return spelled;
        }
    }
    {
        std::unique_lock lock(mutex_);
        auto it = known_.find(spelled);
        bool parses = false;
        if (it != known_.end()) {
            parses = it->second;
        } else {
            ut_unit* parsed = ut_parse(system_, spelled.c_str(), UT_UTF8);
            parses = parsed != nullptr;
            ut_free(parsed);
            known_.emplace(spelled, parses);
        }
        if (parses) return spelled;
    }
    if (const Alias* alias = FindAlias(AsciiLower(unit))) return std::string(alias->udunits);
    return spelled;
}

bool UnitSystem::Known(std::string_view unit) const {
    if (unit.empty()) return true;  // dimensionless
    const std::string canonical = Canonical(unit);
    {
        std::shared_lock lock(mutex_);
        auto it = known_.find(canonical);
        if (it != known_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    auto it = known_.find(canonical);
    if (it != known_.end()) return it->second;
    ut_unit* parsed = ut_parse(system_, canonical.c_str(), UT_UTF8);
    const bool ok = parsed != nullptr;
    ut_free(parsed);
    known_.emplace(canonical, ok);
    return ok;
}

UnitSystem::Affine UnitSystem::Converter(const std::string& from, const std::string& to) const {
    const auto key = std::make_pair(from, to);
    {
        std::shared_lock lock(mutex_);
        auto it = converters_.find(key);
        if (it != converters_.end()) return it->second;
    }
    std::unique_lock lock(mutex_);
    auto it = converters_.find(key);
    if (it != converters_.end()) return it->second;
    Affine affine;
    // Empty spelling = dimensionless number "1".
    ut_unit* from_unit = ut_parse(system_, from.empty() ? "1" : from.c_str(), UT_UTF8);
    ut_unit* to_unit = ut_parse(system_, to.empty() ? "1" : to.c_str(), UT_UTF8);
    if (from_unit != nullptr && to_unit != nullptr && ut_are_convertible(from_unit, to_unit) != 0) {
        cv_converter* converter = ut_get_converter(from_unit, to_unit);
        if (converter != nullptr) {
            // Probe at three points; accept only affine converters (rejects logarithmic units).
            const double at0 = cv_convert_double(converter, 0.0);
            const double at1 = cv_convert_double(converter, 1.0);
            const double at10 = cv_convert_double(converter, 10.0);
            const double slope = at1 - at0;
            const double predicted = at0 + 10.0 * slope;
            if (std::isfinite(at0) && std::isfinite(slope) &&
                std::fabs(predicted - at10) <= 1e-9 * std::max(1.0, std::fabs(at10))) {
                affine = Affine{slope, at0, true};
            }
            cv_free(converter);
        }
    }
    ut_free(from_unit);
    ut_free(to_unit);
    converters_.emplace(key, affine);
    return affine;
}

std::optional<double> UnitSystem::Convert(double value,
                                          std::string_view from,
                                          std::string_view to) const {
    const std::string from_canonical = Canonical(from);
    const std::string to_canonical = Canonical(to);
    if (from_canonical == to_canonical) return value;
    const Affine affine = Converter(from_canonical, to_canonical);
    if (!affine.ok) return std::nullopt;
    return value * affine.slope + affine.intercept;
}

std::vector<TextQuantity> UnitSystem::ExtractQuantities(std::string_view text) const {
    std::vector<TextQuantity> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (!IsDigit(text[pos]) ||
            (pos > 0 && (std::isalpha(static_cast<unsigned char>(text[pos - 1])) != 0))) {
            // A digit glued to preceding letters belongs to a model number (vmc850), not a value.
            if (IsDigit(text[pos])) {
                while (pos < text.size() && (IsDigit(text[pos]) || text[pos] == '.')) ++pos;
            } else {
                ++pos;
            }
            continue;
        }
        std::size_t end = pos;
        while (end < text.size() && IsDigit(text[end])) ++end;
        if (end + 1 < text.size() && text[end] == '.' && IsDigit(text[end + 1])) {
            ++end;
            while (end < text.size() && IsDigit(text[end])) ++end;
        }
        const std::string number(text.substr(pos, end - pos));
        std::size_t unit_start = end;
        while (unit_start < text.size() && text[unit_start] == ' ') ++unit_start;
        // Longest alias that starts at unit_start and is not followed by an ASCII letter (so "m"
        // does not match the start of "model").
        const Alias* best = nullptr;
        for (const Alias& alias : kAliases) {
            if (text.substr(unit_start, alias.alias.size()) != alias.alias) continue;
            const std::size_t after = unit_start + alias.alias.size();
            const bool ascii_alias = std::isalpha(static_cast<unsigned char>(alias.alias[0])) != 0;
            if (ascii_alias && after < text.size() &&
                (std::isalnum(static_cast<unsigned char>(text[after])) != 0)) {
                continue;
            }
            if (best == nullptr || alias.alias.size() > best->alias.size()) best = &alias;
        }
        if (best != nullptr) {
            TextQuantity quantity;
            quantity.value = std::strtod(number.c_str(), nullptr);
            quantity.unit = std::string(best->udunits);
            quantity.surface = std::string(best->alias);
            out.push_back(std::move(quantity));
            pos = unit_start + best->alias.size();
        } else {
            pos = end;
        }
    }
    return out;
}

}  // namespace renewmatch::matcher
