#include "api/reference.hpp"

#include "api/csv.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace renewmatch::api {
namespace {

bool AllDigits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Reads a CSV with a header; returns the records after the header or a kMalformed error.
Result<std::vector<CsvRecord>> ReadTable(std::string_view text,
                                         std::vector<std::string_view> expected_header) {
    CsvTable table = ReadAllCsv(text);
    if (table.error) return Errc::kMalformed;
    if (table.records.empty()) return Errc::kMalformed;
    const auto& header = table.records.front().fields;
    if (header.size() != expected_header.size()) return Errc::kMalformed;
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (header[i] != expected_header[i]) return Errc::kMalformed;
    }
    table.records.erase(table.records.begin());
    return std::move(table.records);
}

CodeProblem Problem(std::string code, std::string message) {
    return CodeProblem{std::move(code), std::move(message)};
}

}  // namespace

std::string_view CpvLevelName(CpvLevel level) noexcept {
    switch (level) {
        case CpvLevel::kDivision:
            return "division";
        case CpvLevel::kGroup:
            return "group";
        case CpvLevel::kClass:
            return "class";
        case CpvLevel::kCategory:
            return "category";
        case CpvLevel::kSubcategory:
            return "subcategory";
    }
    return "subcategory";
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
    auto lower = [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    };
    std::vector<std::size_t> prev(b.size() + 1);
    std::vector<std::size_t> cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

Result<ReferenceData> ReferenceData::Parse(std::string_view cpv_csv,
                                           std::string_view hs_csv,
                                           std::string_view units_csv) {
    ReferenceData data;

    auto cpv_rows = ReadTable(cpv_csv, {"code", "level", "parent", "label_en"});
    if (!cpv_rows) return cpv_rows.error();
    static constexpr std::string_view kLevels[] = {"division", "group", "class", "category",
                                                   "subcategory"};
    for (auto& row : *cpv_rows) {
        auto& f = row.fields;
        const std::string& id = f[0];
        if (id.size() != 10 || id[8] != '-' || !AllDigits(std::string_view(id).substr(0, 8)) ||
            !AllDigits(std::string_view(id).substr(9))) {
            return Errc::kInvalidArgument;
        }
        const auto level_it = std::find(std::begin(kLevels), std::end(kLevels), f[1]);
        if (level_it == std::end(kLevels)) return Errc::kInvalidArgument;
        ClassificationEntry entry;
        entry.id = id;
        entry.parent = f[2];
        entry.level = static_cast<int>(level_it - std::begin(kLevels));
        entry.label = std::move(f[3]);
        data.cpv_by8_.emplace(id.substr(0, 8), id);
        if (!entry.parent.empty()) data.cpv_parent_.emplace(id, entry.parent);
        data.cpv_.emplace(id, std::move(entry));
    }
    for (const auto& [child, parent] : data.cpv_parent_) {
        if (!data.cpv_.contains(parent)) return Errc::kInvalidArgument;
    }

    auto hs_rows = ReadTable(hs_csv, {"section", "hscode", "description", "parent", "level"});
    if (!hs_rows) return hs_rows.error();
    for (auto& row : *hs_rows) {
        auto& f = row.fields;
        if (f[1] == "TOTAL") continue;  // the upstream table's "all commodities" root row
        ClassificationEntry entry;
        entry.id = f[1];
        entry.label = std::move(f[2]);
        entry.parent = f[3] == "TOTAL" ? std::string() : f[3];
        if (f[4] != "2" && f[4] != "4" && f[4] != "6") return Errc::kInvalidArgument;
        entry.level = f[4][0] - '0';
        if (!AllDigits(entry.id) || entry.id.size() != static_cast<std::size_t>(entry.level)) {
            return Errc::kInvalidArgument;
        }
        if (!entry.parent.empty()) data.hs_parent_.emplace(entry.id, entry.parent);
        data.hs_.emplace(entry.id, std::move(entry));
    }
    for (const auto& [child, parent] : data.hs_parent_) {
        if (!data.hs_.contains(parent)) return Errc::kInvalidArgument;
    }

    auto unit_rows = ReadTable(units_csv, {"code", "name", "symbol", "recommended"});
    if (!unit_rows) return unit_rows.error();
    for (auto& row : *unit_rows) {
        auto& f = row.fields;
        if (f[0].empty()) return Errc::kInvalidArgument;
        QuantityUnit unit{f[0], std::move(f[1]), std::move(f[2]), f[3] == "1"};
        data.units_.emplace(unit.code, std::move(unit));
    }
    if (data.cpv_.empty() || data.hs_.empty() || data.units_.empty()) {
        return Errc::kInvalidArgument;
    }
    return data;
}

std::shared_ptr<const ReferenceData> ReferenceData::Embedded() {
    static const std::shared_ptr<const ReferenceData> instance = [] {
        auto parsed = Parse(EmbeddedCpvCsv(), EmbeddedHsCsv(), EmbeddedUnitCodesCsv());
        if (!parsed) {
            // The embedded tables are part of the build; failing to parse them is a build defect.
            std::fprintf(stderr, "renewmatch: embedded classification/unit data is corrupt\n");
            std::abort();
        }
        return std::make_shared<const ReferenceData>(std::move(*parsed));
    }();
    return instance;
}

boost::system::result<std::string, CodeProblem> ReferenceData::CanonicalClassification(
    std::string_view scheme, std::string_view code) const {
    const std::string s = Upper(Trim(scheme));
    code = Trim(code);
    if (s.empty() || s == "CPV") {
        const bool with_check = code.size() == 10 && code[8] == '-' &&
                                AllDigits(code.substr(0, 8)) && AllDigits(code.substr(9));
        const bool bare = code.size() == 8 && AllDigits(code);
        if (!with_check && !bare) {
            return Problem("malformed_code",
                           "CPV code '" + std::string(code) + "' is not of the form 12345678-9");
        }
        const auto it = cpv_by8_.find(std::string(code.substr(0, 8)));
        if (it == cpv_by8_.end()) {
            return Problem("unknown_code",
                           "CPV code '" + std::string(code) + "' is not in CPV 2008");
        }
        if (with_check && it->second != code) {
            return Problem("bad_check_digit", "CPV code '" + std::string(code) +
                                                  "' has a wrong check digit; the code is " +
                                                  it->second);
        }
        return {boost::system::in_place_value, it->second};
    }
    if (s == "HS") {
        std::string digits;
        for (char c : code) {
            if (c != '.' && c != ' ') digits.push_back(c);
        }
        if (!AllDigits(digits) ||
            (digits.size() != 2 && digits.size() != 4 && digits.size() != 6)) {
            return Problem("malformed_code",
                           "HS code '" + std::string(code) + "' must have 2, 4 or 6 digits");
        }
        if (!hs_.contains(digits)) {
            return Problem("unknown_code",
                           "HS code '" + std::string(code) + "' is not in the HS nomenclature");
        }
        return {boost::system::in_place_value, std::move(digits)};
    }
    return Problem("unknown_scheme",
                   "classification scheme '" + std::string(scheme) + "' is not CPV or HS");
}

const ClassificationEntry* ReferenceData::FindCpv(std::string_view canonical) const {
    const auto it = cpv_.find(std::string(canonical));
    return it == cpv_.end() ? nullptr : &it->second;
}

const ClassificationEntry* ReferenceData::FindHs(std::string_view canonical) const {
    const auto it = hs_.find(std::string(canonical));
    return it == hs_.end() ? nullptr : &it->second;
}

std::vector<std::string> ReferenceData::Ancestors(std::string_view scheme,
                                                  std::string_view canonical) const {
    const std::string s = Upper(scheme);
    const auto& parents = (s == "HS") ? hs_parent_ : cpv_parent_;
    std::vector<std::string> chain;
    auto it = parents.find(std::string(canonical));
    // The hierarchy has at most 5 levels; the bound guards against a cycle in corrupt data.
    while (it != parents.end() && chain.size() < 8) {
        chain.push_back(it->second);
        it = parents.find(it->second);
    }
    return chain;
}

const QuantityUnit* ReferenceData::FindQuantityUnit(std::string_view code) const {
    const auto it = units_.find(std::string(code));
    return it == units_.end() ? nullptr : &it->second;
}

std::vector<std::string> ReferenceData::SuggestQuantityUnits(std::string_view text,
                                                             std::size_t k) const {
    struct Scored {
        std::size_t distance;
        int rank;  // recommended codes first among equals
        const std::string* code;
    };
    std::vector<Scored> scored;
    scored.reserve(units_.size());
    const std::string needle = Upper(Trim(text));
    for (const auto& [code, unit] : units_) {
        std::size_t d = EditDistance(needle, code);
        if (!unit.symbol.empty()) d = std::min(d, EditDistance(needle, unit.symbol));
        d = std::min(d, EditDistance(needle, unit.name));
        scored.push_back({d, unit.recommended ? 0 : 1, &code});
    }
    const std::size_t n = std::min(k, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(),
                      [](const Scored& a, const Scored& b) {
                          if (a.distance != b.distance) return a.distance < b.distance;
                          if (a.rank != b.rank) return a.rank < b.rank;
                          return *a.code < *b.code;
                      });
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n; ++i) out.push_back(*scored[i].code);
    return out;
}

}  // namespace renewmatch::api
